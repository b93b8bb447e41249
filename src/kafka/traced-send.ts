import { context } from '@opentelemetry/api';
import type { Context, Link, Span } from '@opentelemetry/api';
import { logger } from '../core/diagnostics';
import type { MessagingSpan } from '../core/messaging-span';
import {
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_MESSAGE_KEY,
  ATTR_MESSAGING_KAFKA_MESSAGE_TOMBSTONE,
} from '../core/semantic-attributes';
import { kafkaHeadersCarrier } from '../propagation/kafka-headers-carrier';
import { recordableKey } from './kafka-message-key';
import type { KafkaProducerInfo } from './kafka-options';
import type { KafkaTelemetry } from './kafka-telemetry';
import type {
  KafkaOutgoingMessage,
  KafkaProducerBatch,
  KafkaProducerRecord,
  KafkaTopicMessages,
} from './kafka-types';

/** A traced send, ready to go: its span, and the record (or batch) to hand to the client. */
interface Prepared<B> {
  readonly span: MessagingSpan;
  readonly sent: B;
}

/**
 * Traces the sends of one producer (or of one transaction): one PRODUCER `send` span per call, trace
 * context in every message's headers, and per-message `create` spans for multi-message sends.
 *
 * The caller's record, message and header objects are never modified: a message whose headers receive
 * context is a copy, and so is the record holding it. The client's promise is returned as it is.
 */
export class TracedSend {
  readonly #telemetry: KafkaTelemetry;
  readonly #createSpansPerMessage: boolean;
  readonly #recordMessageKeys: boolean;
  /** Describes a `create` span from its info (its one message): one function, not a closure per message. */
  readonly #describeCreated = (span: Span, info: KafkaProducerInfo): void => {
    const [message] = info.messages;
    if (message !== undefined) describeMessage(span, message, this.#recordMessageKeys);
  };

  constructor(
    telemetry: KafkaTelemetry,
    options: { readonly createSpansPerMessage: boolean; readonly recordMessageKeys: boolean },
  ) {
    this.#telemetry = telemetry;
    this.#createSpansPerMessage = options.createSpansPerMessage;
    this.#recordMessageKeys = options.recordMessageKeys;
  }

  /**
   * `producer.send(record)`, traced; `send` is the client's own method. Dormant (nothing registered), the
   * caller's record goes out as it is, as from the unwrapped producer.
   */
  send<R>(
    record: KafkaProducerRecord,
    parent: Context | undefined,
    send: (record: KafkaProducerRecord) => Promise<R>,
  ): Promise<R> {
    if (this.#telemetry.dormant) return send(record);
    const traced = this.#prepare((track) => {
      if (!isSendable(record)) return undefined;
      const group: KafkaTopicMessages[] = [record];
      const operation = track(this.#start(group, record.topic, parent));
      const messages = injectAll(this.#telemetry, group, operation.contexts)[0]!;
      const copy = messages === record.messages ? record : Object.assign({}, record, { messages });
      return { span: operation.span, sent: copy };
    });
    if (traced === undefined) return send(record);
    return traced.span.runAndEnd(() => send(traced.sent));
  }

  /**
   * `producer.sendBatch(batch)`, traced: one send span for the whole call, whatever its topics. Dormant,
   * the caller's batch goes out as it is.
   */
  sendBatch<R>(
    batch: KafkaProducerBatch,
    parent: Context | undefined,
    sendBatch: (batch: KafkaProducerBatch) => Promise<R>,
  ): Promise<R> {
    if (this.#telemetry.dormant) return sendBatch(batch);
    const traced = this.#prepare((track) => {
      const groups = batch?.topicMessages;
      if (!Array.isArray(groups) || !groups.every(isSendable)) return undefined;
      const topics = new Set(groups.map((g) => g.topic));
      const destination = topics.size === 1 ? groups[0]!.topic : undefined;
      const operation = track(this.#start(groups, destination, parent));
      const messages = injectAll(this.#telemetry, groups, operation.contexts);
      let changed = false;
      const topicMessages = groups.map((group, i) => {
        if (messages[i] === group.messages) return group;
        changed = true;
        return Object.assign({}, group, { messages: messages[i] });
      });
      return { span: operation.span, sent: changed ? Object.assign({}, batch, { topicMessages }) : batch };
    });
    if (traced === undefined) return sendBatch(batch);
    return traced.span.runAndEnd(() => sendBatch(traced.sent));
  }

  /**
   * Runs `prepare`, which starts a send's span and builds the copy to send, so that nothing it does with
   * the caller's record (any of whose objects may be a Proxy or have throwing getters) throws into the
   * caller: on a throw, the span it started is ended and the caller's own record goes out untraced.
   * `undefined` means untraced.
   */
  #prepare<B>(
    prepare: (track: <O extends { span: MessagingSpan }>(operation: O) => O) => Prepared<B> | undefined,
  ): Prepared<B> | undefined {
    let started: MessagingSpan | undefined;
    try {
      return prepare((operation) => {
        started = operation.span;
        return operation;
      });
    } catch (error) {
      logger.error('tracing a Kafka send failed; it goes out untraced', error);
      started?.end();
      return undefined;
    }
  }

  /**
   * Starts the send span and decides each message's context: its own ended `create` span when the send
   * carries several messages (the send span links them all), else the send span's.
   */
  #start(
    groups: readonly KafkaTopicMessages[],
    destination: string | undefined,
    parent: Context | undefined,
  ): { span: MessagingSpan; contexts: (group: number, message: number) => Context } {
    const base = parent ?? context.active();
    const count = groups.reduce((n, g) => n + g.messages.length, 0);
    let createContexts: Context[][] | undefined;
    let links: Link[] | undefined;
    if (this.#createSpansPerMessage && count > 1) {
      links = [];
      createContexts = groups.map((group) =>
        group.messages.map((message) => this.#createSpan(group.topic, message, base, links!)),
      );
    }
    const span = this.#telemetry.startSend({
      destination,
      operationName: 'send',
      messageCount: count,
      parent: base,
      links,
      describe:
        count === 1 ? (s) => describeMessage(s, groups[0]!.messages[0]!, this.#recordMessageKeys) : undefined,
      // One group (every \`send\`) hands its own array over; only a multi-topic \`sendBatch\` builds one.
      info: {
        topic: destination,
        messages: groups.length === 1 ? groups[0]!.messages : groups.flatMap((g) => g.messages),
      },
    });
    const contexts =
      createContexts === undefined
        ? () => span.context
        : (group: number, message: number) => createContexts[group]![message]!;
    return { span, contexts };
  }

  /** A message's `create` span: started and ended at once, it marks where the message was made. */
  #createSpan(topic: string, message: KafkaOutgoingMessage, parent: Context, links: Link[]): Context {
    const create = this.#telemetry.startSend({
      destination: topic,
      operationName: 'create',
      operationType: 'create',
      parent,
      describe: this.#describeCreated,
      info: { topic, messages: [message] },
    });
    // Checked before `end()`: an ended span no longer records.
    if (create.span.isRecording()) links.push({ context: create.span.spanContext() });
    create.end();
    // The create span's context carries the origin of the work it was made in, for the message's headers.
    return create.context;
  }
}

/**
 * Injects each message's context into a copy of its headers. Returns, per group, the new messages array,
 * or the original array when nothing was injected (no propagator registered), so nothing is copied then.
 */
function injectAll(
  telemetry: KafkaTelemetry,
  groups: readonly KafkaTopicMessages[],
  contextOf: (group: number, message: number) => Context,
): (readonly KafkaOutgoingMessage[])[] {
  return groups.map((group, g) => {
    let copy: KafkaOutgoingMessage[] | undefined;
    group.messages.forEach((message, m) => {
      const headers = telemetry.inject(kafkaHeadersCarrier, contextOf(g, m), message.headers);
      if (headers === message.headers || headers === undefined) return;
      copy ??= group.messages.slice();
      // Into `{}` and then set, not with a literal `{ headers }` as a third source: one object less.
      const withHeaders: { -readonly [K in keyof KafkaOutgoingMessage]: KafkaOutgoingMessage[K] } =
        Object.assign({}, message);
      withHeaders.headers = headers;
      copy[m] = withHeaders;
    });
    return copy ?? group.messages;
  });
}

function describeMessage(span: Span, message: KafkaOutgoingMessage, recordKey: boolean): void {
  // Binary keys are never recorded on send: `recordBinaryKeys` is a consumer option.
  const key = recordKey ? recordableKey(message.key, false) : undefined;
  if (key !== undefined) span.setAttribute(ATTR_MESSAGING_KAFKA_MESSAGE_KEY, key);
  if (typeof message.partition === 'number') {
    span.setAttribute(ATTR_MESSAGING_DESTINATION_PARTITION_ID, String(message.partition));
  }
  if (message.value === null) span.setAttribute(ATTR_MESSAGING_KAFKA_MESSAGE_TOMBSTONE, true);
}

/** Whether the client would accept this as a topic's messages; anything else is passed on untraced. */
function isSendable(group: KafkaTopicMessages | undefined): group is KafkaTopicMessages {
  return (
    typeof group === 'object' &&
    group !== null &&
    typeof group.topic === 'string' &&
    Array.isArray(group.messages) &&
    group.messages.every((m) => typeof m === 'object' && m !== null)
  );
}
