/**
 * Consumer side of Redis streams: runs a job handler for each entry of an `XREADGROUP`, `XAUTOCLAIM` or
 * `XCLAIM` reply inside the entry's process span, acknowledges it (`XACK`) when the handler succeeds and
 * ends the span at the acknowledgement. A handler that throws leaves its entry pending (for a retry or a
 * claim) and its span ends with the error.
 */
import type { Span } from '@opentelemetry/api';
import { callHook, logger } from '../core/diagnostics';
import type { MessagingSpan } from '../core/messaging-span';
import type { MessagingTelemetry, ProcessParams } from '../core/messaging-telemetry';
import {
  ATTR_MESSAGING_CLIENT_ID,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_TRACEBRIDGE_ATTEMPT,
  ATTR_TRACEBRIDGE_DELAY_MS,
} from '../core/semantic-attributes';
import { redisStreamFieldsCarrier } from '../propagation/redis-stream-fields-carrier';
import type { RedisStreamFields } from '../propagation/redis-stream-fields-carrier';
import { BatchAcknowledgements } from './batch-acknowledgements';
import { callWithin } from './command-reply';
import { entryKey, lookUpDeliveryCounts } from './delivery-count';
import { keyPrefixOf } from './key-prefix';
import type { RedisConnection } from './redis-client';
import { CONSUMER_TELEMETRY_OPTIONS, createRedisTelemetry, requireClient, requireName } from './redis-config';
import type {
  ProcessReadOptions,
  RedisJobErrorHandler,
  StreamConsumerOptions,
  StreamJob,
  StreamJobHandler,
} from './redis-options';
import { entryIdTimeMs } from './stream-entry-id';
import { contextFieldNames, fieldString, SCHEDULED_AT_FIELD, withoutFields } from './stream-fields';
import { claimReplyEntries, readReplyEntries } from './stream-reply';
import type { ReplyEntries, ReplyEntry } from './stream-reply';
import { isPromiseLike } from '../core/promise-like';
import { checkOptionTypes } from '../core/option-checks';

/** Processes the entries of stream replies for one consumer of one group. */
export interface StreamConsumer {
  readonly group: string;
  readonly consumer: string;
  /**
   * Runs `handler` for each entry of an `XREADGROUP` reply, one after another in reply order, each inside
   * its own process span (parented to the context the entry was added in); acknowledges each entry whose
   * handler succeeds (`XACK`), ending its span when Redis confirms. Resolves when every entry has been
   * handled and every acknowledgement answered; rejects with the first handler error (unchanged), or the
   * first failed `XACK`, after that. A `null` reply (the read timed out) does nothing.
   *
   * Only an acknowledgement Redis made is recorded: an `XACK` that acknowledges no entry (the entry is no
   * longer pending in the group) ends the span without the `ack` outcome, with
   * `tracebridge.messaging.redis.acknowledged: false`, and is reported through the `diag` logger.
   * With a client created with ioredis' `keyPrefix`, the reply names streams with the prefix: jobs and
   * spans get the stream's name without it, and `XACK` goes to the entry's key through the client.
   */
  processRead<V extends string | Buffer = string>(
    reply: unknown,
    handler: StreamJobHandler<V>,
    options?: ProcessReadOptions,
  ): Promise<void>;
  /**
   * Like {@link processRead}, for an `XAUTOCLAIM` or `XCLAIM` reply of `stream`: the entries continue the
   * trace they were added in, and each one's attempt number is its delivery count (looked up with
   * `XPENDING`). `stream` is the name given to the claiming command (without a `keyPrefix`).
   */
  processClaimed<V extends string | Buffer = string>(
    stream: string | Buffer,
    reply: unknown,
    handler: StreamJobHandler<V>,
  ): Promise<void>;
}

/** How the attempt numbers of a batch are known. */
type Attempts = 'first' | 'look-up';

/** What {@link StreamJobRunner}'s start parameters hold between entries. */
const NO_JOB: StreamJob<string | Buffer> = Object.freeze({
  stream: '',
  id: '',
  fields: [],
  attempt: undefined,
});

/** The start parameters of an entry's process span, refilled for each entry. */
type StartingEntry = {
  -readonly [
    K in keyof ProcessParams<RedisStreamFields | undefined, StreamJob<string | Buffer>>
  ]: ProcessParams<RedisStreamFields | undefined, StreamJob<string | Buffer>>[K];
};

const CONNECTION_ENDED = Object.freeze({
  kind: 'closed' as const,
  reason: 'the Redis connection ended before the entry was acknowledged',
});

/** Every option of {@link StreamConsumerOptions}. */
export const STREAM_CONSUMER_OPTIONS = Object.freeze({
  ...CONSUMER_TELEMETRY_OPTIONS,
  group: 'string',
  consumer: 'string',
} as const);

/**
 * Creates the consumer-side helper for `group` / `consumer`. `redis` is the connection entries are
 * acknowledged (and delivery counts looked up) through; it may be the one they were read with, and has
 * the same `keyPrefix` (if any) as that one. Throws `TracebridgeConfigError` on a missing name, an unknown
 * or mistyped option, or a client that is not an ioredis client.
 */
export function streamConsumer(redis: RedisConnection, options: StreamConsumerOptions): StreamConsumer {
  checkOptionTypes('streamConsumer', options, STREAM_CONSUMER_OPTIONS);
  return new StreamJobRunner(redis, options);
}

/** @internal The implementation behind {@link streamConsumer}, also driven by the stream worker. */
export class StreamJobRunner implements StreamConsumer {
  readonly group: string;
  readonly consumer: string;
  /** The client's ioredis `keyPrefix`, which replies include in stream names and commands must not. */
  readonly keyPrefix: string | undefined;
  readonly #redis: RedisConnection;
  readonly #telemetry: MessagingTelemetry<never, StreamJob<string | Buffer>>;
  /**
   * The process spans of each batch being run, so that a lost connection ends those whose handler is
   * running or whose XACK is unanswered (a span ends once: those ended already are left as they are).
   * A batch's own list, not a registry keyed per entry: every span of a batch has ended when the batch
   * returns, so the batch holds them no longer than that, and no entry pays for a map's insert and delete.
   */
  readonly #batches = new Set<MessagingSpan[]>();
  /**
   * What `startProcess` is told about the entry whose span is starting: one object for the consumer,
   * refilled for each entry rather than one made per entry, as the core reads it while the span starts
   * (synchronously) and keeps none of it. {@link #describe} reads the entry's raw fields from it.
   */
  readonly #starting: StartingEntry;
  #watching = false;
  readonly #onConnectionEnd = (): void => {
    this.#watching = false;
    for (const spans of this.#batches) for (const span of spans) span.settle(CONNECTION_ENDED);
  };

  constructor(redis: RedisConnection, options: StreamConsumerOptions) {
    this.#redis = requireClient(redis, ['call', 'once', 'removeListener'], 'redis');
    this.group = requireName(options.group, 'group');
    this.consumer = requireName(options.consumer, 'consumer');
    this.keyPrefix = keyPrefixOf(redis);
    this.#telemetry = createRedisTelemetry(options);
    this.#starting = {
      destination: '',
      carrier: redisStreamFieldsCarrier,
      headers: undefined,
      enqueueTimeMs: undefined,
      consumerGroup: this.group,
      info: NO_JOB,
      describe: this.#describe,
    };
  }

  processRead<V extends string | Buffer = string>(
    reply: unknown,
    handler: StreamJobHandler<V>,
    options?: ProcessReadOptions,
  ): Promise<void> {
    const entries = readReplyEntries(reply, this.keyPrefix);
    return this.run(entries, handler, options?.pending === true ? 'look-up' : 'first');
  }

  processClaimed<V extends string | Buffer = string>(
    stream: string | Buffer,
    reply: unknown,
    handler: StreamJobHandler<V>,
  ): Promise<void> {
    return this.run(claimReplyEntries(stream, reply), handler, 'look-up');
  }

  /** Handles a batch; `onJobError` also sees every job's error, not only the first. */
  async run<V extends string | Buffer>(
    { entries, skipped }: ReplyEntries,
    handler: StreamJobHandler<V>,
    attempts: Attempts,
    onJobError?: RedisJobErrorHandler<StreamJob<V>>,
  ): Promise<void> {
    if (skipped > 0) logger.debug(`skipped ${skipped} reply elements that are not stream entries`);
    if (entries.length === 0) return;
    const counts =
      attempts === 'first'
        ? undefined
        : await lookUpDeliveryCounts(this.#redis, this.group, this.consumer, entries);
    const contextFields = contextFieldNames();
    let firstError: { error: unknown } | undefined;
    const fail = (error: unknown, job: StreamJob<V>): void => {
      firstError ??= { error };
      callHook('onError', onJobError, error, job);
    };
    // A dormant (or inert) entry's XACK reply and its job, at the same index (see BatchAcknowledgements).
    const rawAcks: Promise<unknown>[] = [];
    const rawJobs: StreamJob<V>[] = [];
    const acks = new BatchAcknowledgements(fail, rawAcks, rawJobs);
    // The process spans of the batch, watched for a lost connection from the first one on (a batch of
    // dormant entries has none, and watches nothing).
    const spans: MessagingSpan[] = [];
    // Made at the batch's first traced entry: a dormant batch needs none.
    let turn: HandlerTurn<V> | undefined;
    try {
      for (const entry of entries) {
        const attempt = counts === undefined ? 1 : counts.get(entryKey(entry));
        const job: StreamJob<V> = {
          stream: entry.stream,
          id: entry.id,
          fields: withoutFields(entry.fields as V[], contextFields),
          attempt,
        };
        // Asked per entry: an SDK registered in the middle of a batch traces the batch's next entry.
        if (this.#telemetry.dormant) {
          // As the unwrapped loop: the handler, then its XACK; no span, no field read, no bookkeeping.
          try {
            const result = handler(job);
            if (isPromiseLike(result)) {
              acks.observeRaw();
              await result;
            }
          } catch (error) {
            fail(error, job);
            continue;
          }
          rawAcks.push(sendAck(this.#redis, this.group, entry));
          rawJobs.push(job);
          continue;
        }
        const span = this.#startSpan(entry, job);
        if (spans.length === 0) this.#batchStarted(spans);
        spans.push(span);
        turn ??= new HandlerTurn(handler, this.#redis, this.group);
        turn.entry = entry;
        turn.sentAck = undefined;
        try {
          const result = span.runWith(turn.run, job);
          if (isPromiseLike(result)) {
            acks.observeRaw();
            await result;
          }
        } catch (error) {
          // Left pending on purpose, for a retry or a claim: the span ends with the error, unsettled.
          span.end();
          fail(error, job);
          continue;
        } finally {
          turn.entry = undefined;
        }
        // A handler that returned a promise: its XACK goes now, inside the span's context all the same.
        const reply =
          turn.sentAck ?? callWithin(span.context, this.#redis, 'xack', entry.key, this.group, entry.id);
        turn.sentAck = undefined;
        acks.addTraced(reply, span, job);
      }
      const unacknowledged = await acks.answered();
      if (unacknowledged > 0) this.#reportUnacknowledged(unacknowledged, entries[0]?.stream ?? '');
    } finally {
      if (spans.length > 0) this.#batchEnded(spans);
    }
    if (firstError !== undefined) throw firstError.error;
  }

  #startSpan(entry: ReplyEntry, job: StreamJob<string | Buffer>): MessagingSpan {
    const starting = this.#starting;
    starting.destination = entry.stream;
    starting.headers = entry.fields;
    starting.enqueueTimeMs = entryIdTimeMs(entry.id);
    starting.info = job;
    try {
      return this.#telemetry.startProcess(starting);
    } finally {
      // Not kept past the start: the consumer holds no entry of an earlier batch.
      starting.headers = undefined;
      starting.info = NO_JOB;
    }
  }

  /**
   * The process span's transport attributes: one function for every entry, rather than a closure over
   * each (the job comes as the span's info, its raw fields and enqueue time from {@link #starting}).
   */
  readonly #describe = (span: Span, job: StreamJob<string | Buffer>): void => {
    span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, job.id);
    span.setAttribute(ATTR_MESSAGING_CONSUMER_GROUP_NAME, this.group);
    span.setAttribute(ATTR_MESSAGING_CLIENT_ID, this.consumer);
    if (job.attempt !== undefined) span.setAttribute(ATTR_TRACEBRIDGE_ATTEMPT, job.attempt);
    const { headers, enqueueTimeMs } = this.#starting;
    // Always an entry's flat list here (a reply's fields, see `flatFields`).
    const delayMs = Array.isArray(headers) ? scheduledDelayMs(headers, enqueueTimeMs) : undefined;
    if (delayMs !== undefined) span.setAttribute(ATTR_TRACEBRIDGE_DELAY_MS, delayMs);
  };

  /** One diag line per batch, however many of its entries went unacknowledged. */
  #reportUnacknowledged(count: number, stream: string): void {
    logger.warn(
      `XACK acknowledged no entry for ${count} job(s) of ${stream} in group ${this.group}: they were no ` +
        'longer pending (acknowledged by another consumer, deleted or trimmed, or the group was recreated); ' +
        'their spans record no acknowledgement',
    );
  }

  /** Watches the connection only while entries are in flight, so an idle consumer holds no listener. */
  #batchStarted(spans: MessagingSpan[]): void {
    this.#batches.add(spans);
    if (!this.#watching) {
      this.#watching = true;
      this.#redis.once('end', this.#onConnectionEnd);
    }
  }

  #batchEnded(spans: MessagingSpan[]): void {
    this.#batches.delete(spans);
    if (this.#batches.size === 0 && this.#watching) {
      this.#watching = false;
      this.#redis.removeListener('end', this.#onConnectionEnd);
    }
  }
}

/** `XACK` of `entry`, as a promise whatever the client does (a client that throws rejects it). */
function sendAck(redis: RedisConnection, group: string, entry: ReplyEntry): Promise<unknown> {
  try {
    return redis.call('xack', entry.key, group, entry.id);
  } catch (error) {
    // The client's own error, passed on unchanged, whatever it is.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
}

/**
 * A traced entry's handler and, once it returned (not a promise), its XACK: sent in the one
 * `context.with` frame the handler runs in, inside its span's context (for an ioredis instrumentation's
 * command span), rather than in a frame of its own. One per batch, told its entry before each run; an
 * object of its own rather than a closure over the batch's variables, which would move those out of the
 * batch's frame for every entry, the dormant ones too.
 */
class HandlerTurn<V extends string | Buffer> {
  /** The entry whose handler runs next. */
  entry: ReplyEntry | undefined;
  /** Its XACK, when the handler returned something other than a promise. */
  sentAck: Promise<unknown> | undefined;
  readonly #handler: StreamJobHandler<V>;
  readonly #redis: RedisConnection;
  readonly #group: string;

  constructor(handler: StreamJobHandler<V>, redis: RedisConnection, group: string) {
    this.#handler = handler;
    this.#redis = redis;
    this.#group = group;
  }

  /** The work run in the entry's span: one function for the batch (read before the handler runs). */
  readonly run = (job: StreamJob<V>): unknown => {
    const entry = this.entry!;
    const result = this.#handler(job);
    if (!isPromiseLike(result)) this.sentAck = sendAck(this.#redis, this.#group, entry);
    return result;
  };
}

/**
 * How long a delayed job waited to become due and be moved onto the stream: from its scheduling to the
 * entry's creation (the id's time). `undefined` for an entry that was not scheduled.
 */
function scheduledDelayMs(fields: readonly unknown[], enqueueTimeMs: number | undefined): number | undefined {
  const scheduledAt = fieldString(fields, SCHEDULED_AT_FIELD);
  if (scheduledAt === undefined || enqueueTimeMs === undefined) return undefined;
  const scheduledAtMs = Number(scheduledAt);
  if (!Number.isSafeInteger(scheduledAtMs) || scheduledAtMs <= 0) return undefined;
  return Math.max(0, enqueueTimeMs - scheduledAtMs);
}
