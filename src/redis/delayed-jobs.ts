/**
 * Delayed jobs: scheduled into a sorted set scored by due time, moved onto the stream when due by
 * `promoteDueJobs`, then consumed like any other entry. The job keeps the trace context of its scheduling,
 * so it runs in its originating trace, and its process span records how long it was delayed
 * (`tracebridge.messaging.delay_ms`: from scheduling to promotion) apart from how long it then queued
 * (`tracebridge.messaging.time_in_queue_ms`, from the entry id).
 */
import { TracebridgeArgumentError, TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import { checkOptionTypes } from '../core/option-checks';
import { redisStreamFieldsCarrier } from '../propagation/redis-stream-fields-carrier';
import { endAtReply, sendCommand } from './command-reply';
import { encodeDelayedJobMember } from './delayed-job-member';
import { DELAYED_JOB_MAX_FIELDS, promoteDueJobs } from './promote-due-jobs';
import type { RedisCommandClient } from './redis-client';
import { createRedisTelemetry, PRODUCER_TELEMETRY_OPTIONS, requireClient, requireName } from './redis-config';
import { DEFAULT_DELAYED_JOBS_OPTIONS } from './redis-options';
import type {
  DelayedJobsOptions,
  DelayedJobWhen,
  PromoteDueJobsOptions,
  StreamFieldsInput,
} from './redis-options';
import { fieldArguments, SCHEDULED_AT_FIELD } from './stream-fields';

/** Every option of {@link DelayedJobsOptions}. */
const DELAYED_JOBS_OPTIONS = {
  ...PRODUCER_TELEMETRY_OPTIONS,
  stream: 'string',
  key: 'string',
  unpromotableKey: 'string',
  maxLen: 'positive integer',
} as const;

/** Every option of {@link PromoteDueJobsOptions}. */
const PROMOTE_OPTIONS = { limit: 'positive integer', nowMs: 'non-negative integer' } as const;

/** Schedules jobs for later and moves them onto the stream when due. */
export interface DelayedJobs {
  /** The stream due jobs are moved onto. */
  readonly stream: string;
  /** The sorted set scheduled jobs wait in. */
  readonly key: string;
  /** The sorted set jobs too wide to be moved onto the stream are set aside in (see `promoteDueJobs`). */
  readonly unpromotableKey: string;
  /**
   * Schedules an entry with `fields` (not modified) for `when`, inside a PRODUCER span named
   * `schedule {stream}` whose context the job carries. Resolves when Redis has stored it (`ZADD`).
   * Rejects with `TracebridgeConfigError` when `when` holds no finite time, and with
   * `TracebridgeArgumentError` (`TRACEBRIDGE_JOB_TOO_WIDE`) when the entry would have more than
   * {@link DELAYED_JOB_MAX_FIELDS} fields (tracebridge's few context fields included): Redis' Lua could not
   * move it onto the stream. Nothing is stored then.
   */
  schedule(fields: StreamFieldsInput, when: DelayedJobWhen): Promise<void>;
  /**
   * Moves the jobs due by now onto the stream, atomically (a Lua script), oldest due first, and resolves
   * with how many moved. Run it periodically, from any number of processes. A job that cannot be moved
   * (more than {@link DELAYED_JOB_MAX_FIELDS} fields, stored by something other than `schedule`) never
   * holds up the others: it is moved to {@link unpromotableKey}, keeping its due time as its score, and
   * reported through the `diag` logger. Throws `TracebridgeConfigError` on a malformed option.
   */
  promoteDueJobs(options?: PromoteDueJobsOptions): Promise<number>;
}

/**
 * Creates the delayed-job helper for `options.stream`. With a client created with ioredis' `keyPrefix`,
 * `stream` and the keys are the names the application uses: the client prefixes the keys (the promotion
 * script receives them as `KEYS`, which ioredis prefixes), and spans name the stream without the prefix.
 * Throws `TracebridgeConfigError` on a missing stream name, an unknown or mistyped option, or a client
 * that is not an ioredis client.
 */
export function delayedJobs(redis: RedisCommandClient, options: DelayedJobsOptions): DelayedJobs {
  requireClient(redis, ['call'], 'redis');
  checkOptionTypes('delayedJobs', options, DELAYED_JOBS_OPTIONS);
  const d = DEFAULT_DELAYED_JOBS_OPTIONS;
  const stream = requireName(options.stream, 'stream');
  const key = requireName(options.key ?? `${stream}${d.keySuffix}`, 'key');
  const unpromotableKey = requireName(
    options.unpromotableKey ?? `${key}${d.unpromotableSuffix}`,
    'unpromotableKey',
  );
  const maxLen = options.maxLen ?? 0;
  const telemetry = createRedisTelemetry(options);

  return {
    stream,
    key,
    unpromotableKey,
    schedule(fields, when) {
      const scheduledAtMs = Date.now();
      const dueAtMs = dueTimeMs(when, scheduledAtMs);
      if (dueAtMs === undefined) {
        return Promise.reject(
          new TracebridgeConfigError(
            TracebridgeErrorCode.InvalidOption,
            `schedule needs { delayMs } or { dueAtMs } with a finite number, got ${JSON.stringify(when)}`,
          ),
        );
      }
      const send = telemetry.startSend({
        destination: stream,
        operationName: 'schedule',
        info: { stream, fields },
      });
      const withContext = send.inject(redisStreamFieldsCarrier, fields);
      const entryFields = [
        ...fieldArguments(withContext as StreamFieldsInput),
        SCHEDULED_AT_FIELD,
        scheduledAtMs,
      ];
      if (entryFields.length > DELAYED_JOB_MAX_FIELDS * 2) {
        const error = new TracebridgeArgumentError(
          TracebridgeErrorCode.JobTooWide,
          `schedule: a delayed job of ${stream} may have at most ${DELAYED_JOB_MAX_FIELDS} fields ` +
            `(tracebridge's context fields included), got ${Math.ceil(entryFields.length / 2)}`,
        );
        send.recordError(error);
        send.end();
        return Promise.reject(error);
      }
      const member = encodeDelayedJobMember(entryFields);
      const reply = sendCommand(() => redis.call('zadd', key, dueAtMs, member), send.context);
      endAtReply(send, reply, false);
      return reply.then(() => undefined);
    },
    async promoteDueJobs(promoteOptions = {}) {
      checkOptionTypes('promoteDueJobs', promoteOptions, PROMOTE_OPTIONS);
      const limit = promoteOptions.limit ?? d.promoteLimit;
      const nowMs = promoteOptions.nowMs ?? Date.now();
      return promoteDueJobs(redis, { delayed: key, stream, setAside: unpromotableKey }, nowMs, limit, maxLen);
    },
  };
}

function dueTimeMs(when: DelayedJobWhen | undefined, nowMs: number): number | undefined {
  if (typeof when !== 'object' || when === null) return undefined;
  const due = 'dueAtMs' in when ? when.dueAtMs : nowMs + when.delayMs;
  return typeof due === 'number' && Number.isFinite(due) ? Math.round(due) : undefined;
}
