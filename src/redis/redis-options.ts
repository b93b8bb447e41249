/**
 * Public option and job types of `tracebridge/redis`. Every option is optional unless marked otherwise;
 * each default is stated with the option and gathered in the `DEFAULT_…` objects below.
 */
import type { MessagingTelemetryOptions } from '../core/messaging-telemetry';
import type { RedisArgument } from './redis-client';

/** Telemetry options of a producer-side helper: where spans and metrics go, and a hook per send span. */
export type RedisProducerTelemetryOptions<SendInfo> = Omit<
  MessagingTelemetryOptions<SendInfo, never>,
  'processHook' | 'incoming' | 'originMaxAgeMs'
>;

/**
 * Telemetry options of a consumer-side helper: where spans and metrics go, the `incoming` trust policy
 * (per stream, list or channel name; default `'parent'`), and a hook per process span.
 */
export type RedisConsumerTelemetryOptions<ProcessInfo> = Omit<
  MessagingTelemetryOptions<never, ProcessInfo>,
  'sendHook'
>;

/**
 * The fields of a stream entry to add: a plain object, a flat `[field, value, ...]` list (as `XADD` takes
 * them) or a `Map`. Never modified: context fields are added to a copy.
 */
export type StreamFieldsInput =
  Readonly<Record<string, RedisArgument>> | readonly RedisArgument[] | ReadonlyMap<string, RedisArgument>;

/** One stream entry, as a job handler receives it. */
export interface StreamJob<V extends string | Buffer = string> {
  /** The stream the entry was read from. */
  readonly stream: string;
  /** The entry id, `<ms>-<seq>`. */
  readonly id: string;
  /**
   * The entry's fields as the flat `[field, value, ...]` list ioredis returns (strings, or Buffers from the
   * `*Buffer` commands), without the fields tracebridge added (the propagator's fields, such as
   * `traceparent`, and `tracebridge-scheduled-at`).
   */
  readonly fields: readonly V[];
  /**
   * Which delivery of the entry this is, from 1 (Redis' delivery count): 1 for an entry read with `>`,
   * looked up with `XPENDING` for an entry claimed or re-read from the pending list; `undefined` when the
   * lookup found nothing (another consumer took the entry meanwhile).
   */
  readonly attempt: number | undefined;
}

/** Runs one stream job. A throw or rejection leaves the entry pending (not acknowledged). */
export type StreamJobHandler<V extends string | Buffer = string> = (job: StreamJob<V>) => unknown;

/** What `sendHook` learns about an entry being added (or scheduled). */
export interface StreamSendInfo {
  readonly stream: string;
  /** The caller's fields, without tracebridge's. */
  readonly fields: StreamFieldsInput;
}

/** Options of `streamProducer`. */
export interface StreamProducerOptions extends RedisProducerTelemetryOptions<StreamSendInfo> {
  /** Required. The stream key entries are added to. */
  readonly stream: string;
  /**
   * Trims the stream to about this many entries on every add (`XADD ... MAXLEN ~ n`). Default: no trimming.
   */
  readonly maxLen?: number;
}

/** Options of `streamConsumer`. */
export interface StreamConsumerOptions extends RedisConsumerTelemetryOptions<StreamJob<string | Buffer>> {
  /** Required. The consumer group the entries were read with; recorded as `messaging.consumer.group.name`. */
  readonly group: string;
  /** Required. The consumer name the entries were read with; recorded as `messaging.client.id`. */
  readonly consumer: string;
}

/** Options of `streamConsumer(...).processRead`. */
export interface ProcessReadOptions {
  /**
   * Whether the reply came from re-reading this consumer's pending entries (`XREADGROUP` with an id, such
   * as `0`, instead of `>`): each entry's delivery count is then looked up with `XPENDING` for its attempt
   * number. Default `false`: entries read with `>` are first deliveries, attempt 1, with no lookup.
   */
  readonly pending?: boolean;
}

/** Called with an error the worker or listener could not hand back to a caller. */
export type RedisJobErrorHandler<Job> = (error: unknown, job: Job | undefined) => void;

/** Options of `streamWorker`. */
export interface StreamWorkerOptions<V extends string | Buffer = string> extends StreamConsumerOptions {
  /** Required. The stream to read. */
  readonly stream: string;
  /** Required. Runs each job; the entry is acknowledged when it returns (or its promise resolves). */
  readonly handler: StreamJobHandler<V>;
  /** Entries per `XREADGROUP` (`COUNT`). Default 10. */
  readonly count?: number;
  /**
   * How long one `XREADGROUP` blocks waiting for entries (`BLOCK`, ms). `stop()` resolves at most this long
   * after it is called (plus the time to finish the jobs in hand). Default 1000.
   */
  readonly blockMs?: number;
  /** Read with `XREADGROUP` through `callBuffer`, so field values arrive as Buffers. Default `false`. */
  readonly buffers?: boolean;
  /**
   * Take over entries pending for at least this long in any consumer of the group (`XAUTOCLAIM`), so
   * jobs of a crashed worker run again. Default: off (no claiming).
   */
  readonly claimMinIdleMs?: number;
  /** How often to claim, in ms, when `claimMinIdleMs` is set. Default: `claimMinIdleMs`. */
  readonly claimIntervalMs?: number;
  /** Entries per `XAUTOCLAIM` (`COUNT`). Default: `count`. */
  readonly claimCount?: number;
  /**
   * Create the group (with `MKSTREAM`) at `start()` if it does not exist, reading from `groupStartId`.
   * Default `true`.
   */
  readonly createGroup?: boolean;
  /** Where a group created by the worker starts: `'0'` (every entry in the stream) or `'$'`. Default `'0'`. */
  readonly groupStartId?: string;
  /** How long to wait before reading again after a failed `XREADGROUP` or `XAUTOCLAIM` (ms). Default 1000. */
  readonly retryDelayMs?: number;
  /**
   * Called with each job's error (the handler's, unchanged, or a failed `XACK`) and with failed reads
   * (`job` undefined). The error is also recorded on the job's span. Default: reported through the
   * OpenTelemetry `diag` logger (namespace `tracebridge`).
   */
  readonly onError?: RedisJobErrorHandler<StreamJob<V>>;
}

/** When a delayed job is due: after `delayMs`, or at `dueAtMs` (ms since the epoch). */
export type DelayedJobWhen = { readonly delayMs: number } | { readonly dueAtMs: number };

/** Options of `delayedJobs`. */
export interface DelayedJobsOptions extends RedisProducerTelemetryOptions<StreamSendInfo> {
  /** Required. The stream due jobs are moved onto. */
  readonly stream: string;
  /**
   * The sorted set holding scheduled jobs, scored by due time. Default: `` `${stream}:delayed` ``. In a
   * Redis Cluster, give both keys one hash tag (`{jobs}`, `{jobs}:delayed`): promotion touches both.
   */
  readonly key?: string;
  /**
   * The sorted set a job that cannot be moved onto the stream (too many fields) is set aside in, with its
   * due time as its score, so it never blocks the jobs behind it. Default: `` `${key}:unpromotable` ``.
   * In a Redis Cluster, it needs the same hash tag as `key` (the default has it).
   */
  readonly unpromotableKey?: string;
  /** Trims the stream to about this many entries when jobs are moved onto it. Default: no trimming. */
  readonly maxLen?: number;
}

/** Options of `delayedJobs(...).promoteDueJobs`. */
export interface PromoteDueJobsOptions {
  /** The most jobs moved by one call. Default 100. */
  readonly limit?: number;
  /** "Now", in ms since the epoch: jobs due at or before it move. Default `Date.now()`. */
  readonly nowMs?: number;
}

/** A job from a list or a channel, as a handler receives it. */
export interface EnvelopeJob {
  /** The payload, byte for byte as the producer gave it (or as received, when it was not in an envelope). */
  readonly payload: Buffer;
  /**
   * Whether the value was a tracebridge envelope. `false` for a value from a producer without tracebridge
   * (or a damaged envelope): the payload is then the whole value, processed in a new trace.
   */
  readonly enveloped: boolean;
}

/** One value popped from a list. */
export interface ListJob extends EnvelopeJob {
  readonly list: string;
}

/** One pub/sub message. */
export interface ChannelMessage extends EnvelopeJob {
  readonly channel: string;
  /** The pattern it matched, for a `psubscribe` subscription. */
  readonly pattern: string | undefined;
}

/** What `sendHook` learns about a list push or a publish. */
export interface EnvelopeSendInfo {
  /** The list or channel. */
  readonly destination: string;
  /** The caller's payload, before it is wrapped. */
  readonly payload: string | Uint8Array;
}

/** Which end of the list `listProducer` pushes to. */
export type ListEnd = 'left' | 'right';

/** Options of `listProducer`. */
export interface ListProducerOptions extends RedisProducerTelemetryOptions<EnvelopeSendInfo> {
  /** Required. The list key. */
  readonly list: string;
  /** `'left'` pushes with `LPUSH` (pair with `BRPOP` for a FIFO queue), `'right'` with `RPUSH`. Default `'left'`. */
  readonly end?: ListEnd;
}

/** Options of `listConsumer`. */
export interface ListConsumerOptions extends RedisConsumerTelemetryOptions<ListJob> {
  /**
   * The ioredis `keyPrefix` of the client the values are popped with. `BRPOP`, `BLPOP` and `BLMPOP`
   * replies name the list in full, prefix included; it is stripped, so that jobs and spans name the list
   * as the application (and `listProducer`) does. Default: none.
   */
  readonly keyPrefix?: string;
}

/** Options of `channelPublisher`. */
export type ChannelPublisherOptions = RedisProducerTelemetryOptions<EnvelopeSendInfo>;

/** Options of `channelListener`. */
export interface ChannelListenerOptions extends RedisConsumerTelemetryOptions<ChannelMessage> {
  /**
   * Called with a handler's error (unchanged; it is also recorded on the message's span). Default: reported
   * through the OpenTelemetry `diag` logger (namespace `tracebridge`).
   */
  readonly onError?: RedisJobErrorHandler<ChannelMessage>;
}

/** Defaults of {@link StreamWorkerOptions}. */
export const DEFAULT_STREAM_WORKER_OPTIONS = Object.freeze({
  count: 10,
  blockMs: 1000,
  buffers: false,
  createGroup: true,
  groupStartId: '0',
  retryDelayMs: 1000,
});

/** Defaults of {@link ListProducerOptions}. */
export const DEFAULT_LIST_PRODUCER_OPTIONS = Object.freeze({ end: 'left' });

/** Defaults of {@link DelayedJobsOptions} and {@link PromoteDueJobsOptions}. */
export const DEFAULT_DELAYED_JOBS_OPTIONS = Object.freeze({
  keySuffix: ':delayed',
  unpromotableSuffix: ':unpromotable',
  promoteLimit: 100,
});
