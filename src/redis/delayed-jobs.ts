/**
 * Delayed jobs: scheduled into a sorted set scored by due time, moved onto the stream when due by
 * `promoteDueJobs`, then consumed like any other entry. The job keeps the trace context of its scheduling,
 * so it runs in its originating trace, and its process span records how long it was delayed
 * (`tracebridge.messaging.delay_ms`: from scheduling to promotion) apart from how long it then queued
 * (`tracebridge.messaging.time_in_queue_ms`, from the entry id).
 */
import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import { redisStreamFieldsCarrier } from '../propagation/redis-stream-fields-carrier';
import { endAtReply, sendCommand } from './command-reply';
import { encodeDelayedJobMember } from './delayed-job-member';
import { promoteDueJobs } from './promote-due-jobs';
import type { RedisCommandClient } from './redis-client';
import {
  createRedisTelemetry,
  nonNegativeInteger,
  positiveInteger,
  requireClient,
  requireName,
} from './redis-config';
import { DEFAULT_DELAYED_JOBS_OPTIONS } from './redis-options';
import type {
  DelayedJobsOptions,
  DelayedJobWhen,
  PromoteDueJobsOptions,
  StreamFieldsInput,
} from './redis-options';
import { fieldArguments, SCHEDULED_AT_FIELD } from './stream-fields';

/** Schedules jobs for later and moves them onto the stream when due. */
export interface DelayedJobs {
  /** The stream due jobs are moved onto. */
  readonly stream: string;
  /** The sorted set scheduled jobs wait in. */
  readonly key: string;
  /**
   * Schedules an entry with `fields` (not modified) for `when`, inside a PRODUCER span named
   * `schedule {stream}` whose context the job carries. Resolves when Redis has stored it (`ZADD`).
   * Rejects with `TracebridgeConfigError` when `when` holds no finite time.
   */
  schedule(fields: StreamFieldsInput, when: DelayedJobWhen): Promise<void>;
  /**
   * Moves the jobs due by now onto the stream, atomically (a Lua script), oldest due first, and resolves
   * with how many moved. Run it periodically, from any number of processes.
   */
  promoteDueJobs(options?: PromoteDueJobsOptions): Promise<number>;
}

/**
 * Creates the delayed-job helper for `options.stream`. Throws `TracebridgeConfigError` on a missing
 * stream name, a bad `maxLen`, or a client that is not an ioredis client.
 */
export function delayedJobs(redis: RedisCommandClient, options: DelayedJobsOptions): DelayedJobs {
  requireClient(redis, ['call'], 'redis');
  const stream = requireName(options.stream, 'stream');
  const key = requireName(options.key ?? `${stream}${DEFAULT_DELAYED_JOBS_OPTIONS.keySuffix}`, 'key');
  const maxLen = positiveInteger(options.maxLen, 'maxLen') ?? 0;
  const telemetry = createRedisTelemetry(options);

  return {
    stream,
    key,
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
      const member = encodeDelayedJobMember(entryFields);
      const reply = sendCommand(() => redis.call('ZADD', key, dueAtMs, member));
      endAtReply(send, reply, false);
      return reply.then(() => undefined);
    },
    async promoteDueJobs(promoteOptions = {}) {
      const limit = positiveInteger(promoteOptions.limit, 'limit', DEFAULT_DELAYED_JOBS_OPTIONS.promoteLimit);
      const nowMs = nonNegativeInteger(promoteOptions.nowMs, 'nowMs', Date.now());
      return promoteDueJobs(redis, { delayed: key, stream }, nowMs, limit, maxLen);
    },
  };
}

function dueTimeMs(when: DelayedJobWhen | undefined, nowMs: number): number | undefined {
  if (typeof when !== 'object' || when === null) return undefined;
  const due = 'dueAtMs' in when ? when.dueAtMs : nowMs + when.delayMs;
  return typeof due === 'number' && Number.isFinite(due) ? Math.round(due) : undefined;
}
