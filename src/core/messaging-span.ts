import { context, SpanStatusCode } from '@opentelemetry/api';
import type { Context, Span, TextMapPropagator } from '@opentelemetry/api';
import { logger, safely, stepFailed } from './diagnostics';
import { describeHostError, hostErrorType } from './host-error';
import { isPromiseLike, whenSettled } from './promise-like';
import {
  ATTR_ERROR_TYPE,
  ATTR_TRACEBRIDGE_SETTLE_OUTCOME,
  ATTR_TRACEBRIDGE_SETTLE_REQUEUE,
} from './semantic-attributes';
import type { SettleOutcome } from './settle-outcome';
import type { ContextCarrier } from '../propagation/context-carrier';

/** Called once, when the span ends, with the duration and the error type (for metrics). */
export type SpanEndListener = (durationS: number, errorType: string | undefined) => void;

/**
 * One span of a messaging operation (a send, a message's processing, a batch) and the context it is
 * active in. It ends exactly once, whichever of `end`, `settle` or `runAndEnd` gets there first; later
 * calls are ignored. No method throws, whatever the SDK underneath does and whatever the application
 * throws, rejects with or returns (a Proxy, a revoked Proxy, an error with throwing getters, `null`): the
 * application's own value reaches it unchanged, and tracebridge adds no rejection of its own.
 */
export class MessagingSpan {
  /** The OpenTelemetry span; non-recording when tracing is off or the trace is not sampled. */
  readonly span: Span;
  /** The context in which `span` is active: run the application's work in it, inject it into messages. */
  readonly context: Context;
  readonly #startedAt: number;
  readonly #onEnd: SpanEndListener | undefined;
  readonly #signer: TextMapPropagator | undefined;
  #errorType: string | undefined;
  #ended = false;

  /** @internal Created by `MessagingTelemetry`; adapters do not construct it. */
  constructor(span: Span, spanContext: Context, onEnd?: SpanEndListener, signer?: TextMapPropagator) {
    this.span = span;
    this.context = spanContext;
    this.#onEnd = onEnd;
    this.#signer = signer;
    // The clock is read only for a listener (live metrics): a span with none has no duration to report.
    this.#startedAt = onEnd === undefined ? 0 : performance.now();
  }

  /**
   * Returns `headers` with this span's context injected through `carrier`, never modifying `headers`.
   * A carrier that throws is logged and the headers go out as they were. With signing configured, the
   * injected context is signed too.
   *
   * Headers that are there come back as headers (a carrier over optional headers, such as
   * `kafkaHeadersCarrier`, given a defined object returns one); absent headers come back as a new object
   * when the propagator wrote anything, else absent.
   */
  inject<C>(carrier: ContextCarrier<C | undefined>, headers: C): C;
  inject<C>(carrier: ContextCarrier<C>, headers: C): C;
  inject<C>(carrier: ContextCarrier<C>, headers: C): C {
    return injectContext(carrier, this.context, headers, this.#signer);
  }

  /** Whether the span has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Whether ending this span can make no difference: it does not record (the trace is not sampled) and no
   * listener waits for its end (no live metrics). An adapter need not then hold it until its delivery is
   * settled, which costs bookkeeping per message: it may end it as soon as the handler has run, as the
   * outcome would be recorded nowhere. Asked once per message, after the span has started.
   */
  get inert(): boolean {
    if (this.#onEnd !== undefined) return false;
    try {
      return !this.span.isRecording();
    } catch {
      // An SDK that cannot say: the span is held as if it recorded.
      return false;
    }
  }

  /**
   * Runs `work` with this span active. A throw or a rejection is recorded on the span and passed on
   * unchanged; the span is not ended (the caller decides when: at return, at settle, ...). The value
   * `work` returns is returned as it is, the same promise included, so its timing does not change.
   */
  run<T>(work: () => T): T {
    return this.runWith(work, undefined);
  }

  /**
   * {@link run} for `work` taking one argument, `arg`: a hot path passes a function made once and the
   * message, rather than a closure over the message made for every one.
   */
  runWith<A, T>(work: (arg: A) => T, arg: A): T {
    let result: T;
    try {
      result = context.with(this.context, work, undefined, arg);
    } catch (error) {
      this.recordError(error);
      throw error;
    }
    // An inert span has nothing to record of a rejection: no reaction on the host's promise for it.
    if (isPromiseLike(result) && !this.inert) {
      whenSettled(result, (outcome) => {
        if (outcome.rejected) this.recordError(outcome.error);
      });
    }
    return result;
  }

  /**
   * Like {@link run}, then ends the span when `work` returns or, for a promise, when it settles (an
   * {@link inert} span, with nothing to record of how it settles, ends as the promise is returned).
   */
  runAndEnd<T>(work: () => T): T {
    let result: T;
    try {
      result = context.with(this.context, work);
    } catch (error) {
      this.recordError(error);
      this.end();
      throw error;
    }
    // An inert span ends as the promise is returned (see `inert`): no reaction on the host's promise for it.
    const observed =
      isPromiseLike(result) &&
      !this.inert &&
      whenSettled(result, (outcome) => {
        if (outcome.rejected) this.recordError(outcome.error);
        this.end();
      });
    if (!observed) this.end();
    return result;
  }

  /**
   * Runs `work` with this span active for a caller that drops what `work` returns, such as an event
   * listener (an amqplib consume callback). A throw or a rejection is recorded and passed on unchanged;
   * with `endWhenDone` the span ends when `work` returns or its promise settles.
   *
   * Unlike {@link run}, a promise is not observed in place: that would mark it handled and silence the
   * application's own unhandled rejection. A derived promise is returned instead, rejecting in turn with
   * the same error, so a rejection nobody awaits still surfaces as it would without tracing.
   */
  runUnawaited<T>(work: () => T, endWhenDone: boolean): T {
    return this.runUnawaitedWith(work, undefined, endWhenDone);
  }

  /** {@link runUnawaited} for `work` taking one argument, `arg`: see {@link runWith}. */
  runUnawaitedWith<A, T>(work: (arg: A) => T, arg: A, endWhenDone: boolean): T {
    let result: T;
    try {
      result = context.with(this.context, work, undefined, arg);
    } catch (error) {
      this.recordError(error);
      if (endWhenDone) this.end();
      throw error;
    }
    // An inert span has nothing to record of the promise: the host's own is returned, and no reaction made.
    if (!isPromiseLike(result) || (endWhenDone && this.inert)) {
      if (endWhenDone) this.end();
      return result;
    }
    const derived = safely(
      'observing the promise the application returned',
      () =>
        result.then(
          (value) => {
            if (endWhenDone) this.end();
            return value;
          },
          (error: unknown) => {
            this.recordError(error);
            if (endWhenDone) this.end();
            throw error;
          },
        ) as T,
      undefined,
    );
    if (derived !== undefined) return derived;
    // The host's thenable refused to be observed: hand it back as it is, and end what would wait for it.
    if (endWhenDone) this.end();
    return result;
  }

  /**
   * Records `error` on the span (exception event, error status, `error.type`) without ending it. `error`
   * is whatever the application threw: it is read defensively (see `describeHostError`) and never throws.
   */
  recordError(error: unknown): void {
    if (this.#ended) return;
    this.#errorType = hostErrorType(error);
    if (!isRecording(this.span)) return;
    const { type, message, exception } = describeHostError(error);
    safely(
      'recording an error on a span',
      () => {
        if (exception !== undefined) this.span.recordException(exception);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message });
        this.span.setAttribute(ATTR_ERROR_TYPE, type);
      },
      undefined,
    );
  }

  /**
   * Ends the span with the outcome of settling its delivery: ack, nack, reject, close, cancel, evict. A
   * settle other than ack marks the span an error, unless an error is already recorded on it (by the
   * handler, or by the application through the span): that error says more than how the delivery was
   * settled, so its status description and `error.type` are kept.
   */
  settle(outcome: SettleOutcome): void {
    if (this.#ended) return;
    if (outcome.kind !== 'ack') {
      const recordedBefore = this.#errorType !== undefined;
      this.#errorType ??= outcome.kind;
      const requeue = 'requeue' in outcome ? outcome.requeue : undefined;
      const reason = 'reason' in outcome && outcome.reason !== undefined ? `: ${outcome.reason}` : '';
      safely(
        'recording a settle outcome',
        () => {
          if (!this.span.isRecording()) return;
          if (requeue !== undefined) this.span.setAttribute(ATTR_TRACEBRIDGE_SETTLE_REQUEUE, requeue);
          if (!recordedBefore) this.span.setAttribute(ATTR_ERROR_TYPE, outcome.kind);
          if (!recordedBefore && !hasErrorStatus(this.span))
            this.span.setStatus({ code: SpanStatusCode.ERROR, message: `${outcome.kind}${reason}` });
        },
        undefined,
      );
    }
    try {
      this.span.setAttribute(ATTR_TRACEBRIDGE_SETTLE_OUTCOME, outcome.kind);
    } catch (error) {
      logger.error('recording a settle outcome failed; tracing skips this step', error);
    }
    this.end();
  }

  /** Ends the span. Only the first call has an effect. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    // Inline rather than through `safely`: this runs for every message, and a closure per call adds up.
    try {
      this.span.end();
    } catch (error) {
      logger.error('ending a span failed; tracing skips this step', error);
    }
    if (this.#onEnd !== undefined) {
      const durationS = (performance.now() - this.#startedAt) / 1000;
      this.#onEnd(durationS, this.#errorType);
    }
  }
}

/**
 * Injects `ctx` into a copy of `headers` through `carrier`, signed by `signer` when there is one; a carrier
 * that throws is logged and `headers` go out as they were.
 */
export function injectContext<C>(
  carrier: ContextCarrier<C>,
  ctx: Context,
  headers: C,
  signer: TextMapPropagator | undefined,
): C {
  // Inline rather than through `safely`: this runs for every message, and a closure each adds up.
  try {
    return carrier.inject(ctx, headers, signer);
  } catch (error) {
    stepFailed(`injecting into ${carrier.name}`, error);
    return headers;
  }
}

/** `span.isRecording()`, false when the SDK underneath throws. */
function isRecording(span: Span): boolean {
  return safely('asking whether a span records', () => span.isRecording(), false);
}

/**
 * Whether the application already gave the span an error status. The API cannot read a span's status; SDK
 * spans expose it as `ReadableSpan.status`, read here by shape so that no SDK is needed.
 */
function hasErrorStatus(span: Span): boolean {
  const status = (span as { readonly status?: { readonly code?: unknown } }).status;
  return status?.code === SpanStatusCode.ERROR;
}
