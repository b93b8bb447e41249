/**
 * Consumer side of Redis streams: runs a job handler for each entry of an `XREADGROUP`, `XAUTOCLAIM` or
 * `XCLAIM` reply inside the entry's process span, acknowledges it (`XACK`) when the handler succeeds and
 * ends the span at the acknowledgement. A handler that throws leaves its entry pending (for a retry or a
 * claim) and its span ends with the error.
 */
import type { Span } from '@opentelemetry/api';
import { callHook, logger, safely } from '../core/diagnostics';
import type { MessagingSpan } from '../core/messaging-span';
import type { MessagingTelemetry } from '../core/messaging-telemetry';
import {
  ATTR_MESSAGING_CLIENT_ID,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_TRACEBRIDGE_ATTEMPT,
  ATTR_TRACEBRIDGE_DELAY_MS,
} from '../core/semantic-attributes';
import { SettleRegistry } from '../core/settle-registry';
import { redisStreamFieldsCarrier } from '../propagation/redis-stream-fields-carrier';
import { callWithin } from './command-reply';
import { entryKey, lookUpDeliveryCounts } from './delivery-count';
import { keyPrefixOf } from './key-prefix';
import type { RedisConnection } from './redis-client';
import {
  ATTR_TRACEBRIDGE_REDIS_ACKNOWLEDGED,
  CONSUMER_TELEMETRY_OPTIONS,
  createRedisTelemetry,
  requireClient,
  requireName,
} from './redis-config';
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

const ACK = Object.freeze({ kind: 'ack' as const });
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
   * Entries whose handler is running or whose XACK is unanswered, so a lost connection ends their spans.
   * Keyed by the reply's entry object itself: each delivery settles its own span, and no key string is
   * built for every job.
   */
  readonly #inFlight = new SettleRegistry<ReplyEntry>();
  /** The entry whose process span is starting, for {@link #describe}. */
  #describing: ReplyEntry | undefined;
  #activeBatches = 0;
  #watching = false;
  readonly #onConnectionEnd = (): void => {
    this.#watching = false;
    this.#inFlight.releaseAll(CONNECTION_ENDED);
  };

  constructor(redis: RedisConnection, options: StreamConsumerOptions) {
    this.#redis = requireClient(redis, ['call', 'once', 'removeListener'], 'redis');
    this.group = requireName(options.group, 'group');
    this.consumer = requireName(options.consumer, 'consumer');
    this.keyPrefix = keyPrefixOf(redis);
    this.#telemetry = createRedisTelemetry(options);
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
    // Per entry: whether it was acknowledged (a traced entry's `#ack` answers that, never rejecting), or a
    // dormant entry's raw XACK reply; `ackedJobs` are their jobs, for the rare failed raw XACK.
    const acks: Promise<unknown>[] = [];
    const ackedJobs: StreamJob<V>[] = [];
    let firstError: { error: unknown } | undefined;
    const fail = (error: unknown, job: StreamJob<V>): void => {
      firstError ??= { error };
      callHook('onError', onJobError, error, job);
    };

    this.#batchStarted();
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
            if (isPromiseLike(result)) await result;
          } catch (error) {
            fail(error, job);
            continue;
          }
          acks.push(this.#sendAck(entry));
          ackedJobs.push(job);
          continue;
        }
        const span = this.#startSpan(entry, job);
        this.#inFlight.track(entry, span);
        try {
          const result = span.runWith(handler, job);
          if (isPromiseLike(result)) await result;
        } catch (error) {
          this.#inFlight.endUnsettled(entry);
          fail(error, job);
          continue;
        }
        acks.push(this.#ack(entry, span, job, fail));
        ackedJobs.push(job);
      }
      const answers = await allAnswered(acks, ackedJobs, fail);
      let unacknowledged = 0;
      for (const answer of answers) if (!(Number(answer) > 0)) unacknowledged++;
      if (unacknowledged > 0) this.#reportUnacknowledged(unacknowledged, entries[0]?.stream ?? '');
    } finally {
      this.#batchEnded();
    }
    if (firstError !== undefined) throw firstError.error;
  }

  /** `XACK` of `entry`, as a promise whatever the client does (a client that throws rejects it). */
  #sendAck(entry: ReplyEntry): Promise<unknown> {
    try {
      return this.#redis.call('XACK', entry.key, this.group, entry.id);
    } catch (error) {
      // The client's own error, passed on unchanged, whatever it is.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
  }

  #startSpan(entry: ReplyEntry, job: StreamJob<string | Buffer>): MessagingSpan {
    const enqueueTimeMs = entryIdTimeMs(entry.id);
    // `describe` runs inside `startProcess`, synchronously: the entry it describes is held here meanwhile.
    this.#describing = entry;
    try {
      return this.#telemetry.startProcess({
        destination: entry.stream,
        carrier: redisStreamFieldsCarrier,
        headers: entry.fields,
        enqueueTimeMs,
        consumerGroup: this.group,
        info: job,
        describe: this.#describe,
      });
    } finally {
      this.#describing = undefined;
    }
  }

  /**
   * The process span's transport attributes: one function for every entry, rather than a closure over
   * each (the job comes as the span's info, its raw fields from {@link #describing}).
   */
  readonly #describe = (span: Span, job: StreamJob<string | Buffer>): void => {
    span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, job.id);
    span.setAttribute(ATTR_MESSAGING_CONSUMER_GROUP_NAME, this.group);
    span.setAttribute(ATTR_MESSAGING_CLIENT_ID, this.consumer);
    if (job.attempt !== undefined) span.setAttribute(ATTR_TRACEBRIDGE_ATTEMPT, job.attempt);
    const fields = this.#describing?.fields;
    const delayMs = fields === undefined ? undefined : scheduledDelayMs(fields, entryIdTimeMs(job.id));
    if (delayMs !== undefined) span.setAttribute(ATTR_TRACEBRIDGE_DELAY_MS, delayMs);
  };

  /**
   * Sends `XACK` (inside the job's span, for an ioredis instrumentation's command span) and ends the span
   * at the answer: settled as `ack` only when Redis acknowledged the entry. A failed `XACK` is recorded
   * and reported to `fail`. Resolves with `false` only when Redis answered that it acknowledged nothing.
   */
  #ack<Job>(
    entry: ReplyEntry,
    span: MessagingSpan,
    job: Job,
    fail: (error: unknown, job: Job) => void,
  ): Promise<boolean> {
    return callWithin(span.context, this.#redis, 'XACK', entry.key, this.group, entry.id).then(
      (acknowledged) => {
        if (Number(acknowledged) > 0) {
          this.#inFlight.settle(entry, ACK);
          return true;
        }
        safely(
          'recording an unacknowledged entry',
          () => {
            if (span.span.isRecording()) span.span.setAttribute(ATTR_TRACEBRIDGE_REDIS_ACKNOWLEDGED, false);
          },
          undefined,
        );
        this.#inFlight.endUnsettled(entry);
        return false;
      },
      (error: unknown) => {
        span.recordError(error);
        this.#inFlight.endUnsettled(entry);
        fail(error, job);
        return true; // reported already, as the error it is
      },
    );
  }

  /** One diag line per batch, however many of its entries went unacknowledged. */
  #reportUnacknowledged(count: number, stream: string): void {
    logger.warn(
      `XACK acknowledged no entry for ${count} job(s) of ${stream} in group ${this.group}: they were no ` +
        'longer pending (acknowledged by another consumer, deleted or trimmed, or the group was recreated); ' +
        'their spans record no acknowledgement',
    );
  }

  /** Watches the connection only while entries are in flight, so an idle consumer holds no listener. */
  #batchStarted(): void {
    if (this.#activeBatches++ === 0 && !this.#watching) {
      this.#watching = true;
      this.#redis.once('end', this.#onConnectionEnd);
    }
  }

  #batchEnded(): void {
    if (--this.#activeBatches === 0 && this.#watching) {
      this.#watching = false;
      this.#redis.removeListener('end', this.#onConnectionEnd);
    }
  }
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

/**
 * Every acknowledgement's answer once all have answered: a traced entry's `true` / `false`, a dormant
 * entry's XACK reply (the count of entries acknowledged). A failed dormant XACK (the only kind that
 * rejects) is reported to `fail` with its job, as a traced one is, and counts as answered. The common
 * case costs what the unwrapped loop's `Promise.all` does; the failure case waits for every answer too.
 */
async function allAnswered<Job>(
  acks: readonly Promise<unknown>[],
  jobs: readonly Job[],
  fail: (error: unknown, job: Job) => void,
): Promise<unknown[]> {
  try {
    return await Promise.all(acks);
  } catch {
    const outcomes = await Promise.allSettled(acks);
    return outcomes.map((outcome, i) => {
      if (outcome.status === 'fulfilled') return outcome.value;
      fail(outcome.reason, jobs[i]!);
      return true; // reported, as the error it is
    });
  }
}
