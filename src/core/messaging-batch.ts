import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { isValidSpanContext } from '../propagation/span-context-validity';
import type { Context, Link, Span } from '@opentelemetry/api';
import type { ContextCarrier } from '../propagation/context-carrier';
import type { MessagingSpan } from './messaging-span';
import { readMessageContext } from './own-fields';
import type { InboundOwnFields, OwnFieldsReader } from './own-fields';

/** One message of a batch, as the adapter describes it to the core. */
export interface BatchMessage<C, ProcessInfo> {
  readonly carrier: ContextCarrier<C>;
  readonly headers: C;
  /** When the message was enqueued, in ms since the epoch; enables time-in-queue. */
  readonly enqueueTimeMs?: number;
  /** `messaging.consumer.group.name` for the end-to-end latency metric. Default: none. */
  readonly consumerGroup?: string | undefined;
  /** Adds message-specific attributes to its process span; called only when that span is recording. */
  readonly describe?: ((span: Span) => void) | undefined;
  /** Handed to `processHook` for the message's process span. */
  readonly info: ProcessInfo;
}

/** What a per-message span needs beyond its extracted context: how to start it, per the batch's policy. */
export type StartMessageSpan<ProcessInfo> = (
  extracted: Context,
  own: InboundOwnFields | undefined,
  ambient: Context,
  message: {
    timeInQueueMs: number | undefined;
    consumerGroup?: string | undefined;
    describe?: ((span: Span) => void) | undefined;
    info: ProcessInfo;
  },
) => MessagingSpan;

/**
 * A batch handed to the application: one span linking every message's context, and per-message process
 * spans for the work done on each message.
 *
 * Each message's context is extracted at most once, whether for the batch's links or its own span.
 */
export class MessagingBatch<C, ProcessInfo> {
  /** The batch span and the context it is active in. */
  readonly scope: MessagingSpan;
  readonly #startMessageSpan: StartMessageSpan<ProcessInfo>;
  readonly #messages: readonly BatchMessage<C, ProcessInfo>[];
  readonly #timesInQueueMs: readonly (number | undefined)[];
  readonly #extracted: (Context | undefined)[];
  /** What each message's own fields held, made on the first message that has any. */
  #own: (InboundOwnFields | undefined)[] | undefined;
  readonly #reader: OwnFieldsReader | undefined;

  /** @internal Created by `MessagingTelemetry.startBatch`. */
  constructor(
    startMessageSpan: StartMessageSpan<ProcessInfo>,
    scope: MessagingSpan,
    messages: readonly BatchMessage<C, ProcessInfo>[],
    timesInQueueMs: readonly (number | undefined)[],
    reader?: OwnFieldsReader,
  ) {
    this.#reader = reader;
    this.#startMessageSpan = startMessageSpan;
    this.scope = scope;
    this.#messages = messages;
    this.#timesInQueueMs = timesInQueueMs;
    this.#extracted = new Array<Context | undefined>(messages.length);
  }

  /** The number of messages in the batch. */
  get size(): number {
    return this.#messages.length;
  }

  /** Runs the application's batch handler with the batch span active; see `MessagingSpan.run`. */
  run<T>(work: () => T): T {
    return this.scope.run(work);
  }

  /**
   * Runs the work for the message at `index` inside its own process span: parented to that message's
   * context (per the trust policy), linked to the batch span, and timed from this call until `work`
   * returns or its promise settles, so it measures this message's work alone.
   */
  processMessage<T>(index: number, work: () => T): T {
    const message = this.#messages[index];
    if (message === undefined) return work();
    const extracted = this.#contextOf(index);
    const span = this.#startMessageSpan(extracted, this.#own?.[index], this.scope.context, {
      timeInQueueMs: this.#timesInQueueMs[index],
      consumerGroup: message.consumerGroup,
      describe: message.describe,
      info: message.info,
    });
    return span.runAndEnd(work);
  }

  /** Ends the batch span; only the first call has an effect. */
  end(): void {
    this.scope.end();
  }

  /** @internal One link per message with a valid context, in message order. */
  messageLinks(): Link[] {
    const links: Link[] = [];
    for (let i = 0; i < this.#messages.length; i++) {
      const spanContext = trace.getSpanContext(this.#contextOf(i));
      if (spanContext !== undefined && isValidSpanContext(spanContext)) links.push({ context: spanContext });
    }
    return links;
  }

  #contextOf(index: number): Context {
    let extracted = this.#extracted[index];
    if (extracted === undefined) {
      const message = this.#messages[index];
      if (message === undefined) {
        extracted = ROOT_CONTEXT;
      } else {
        extracted = readMessageContext(this.#reader, message.carrier, message.headers);
        const own = this.#reader?.take();
        if (own !== undefined)
          (this.#own ??= new Array<InboundOwnFields | undefined>(this.#messages.length))[index] = own;
      }
      this.#extracted[index] = extracted;
    }
    return extracted;
  }
}
