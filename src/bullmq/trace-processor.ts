import { context } from '@opentelemetry/api';
import { safely } from '../core/diagnostics';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import { activeAttempt } from './job-attempt';

/** When a job became ready to be processed, and how long it was delayed before that. */
export interface JobReadiness {
  readonly readyAtMs: number;
  readonly delayMs: number;
}

/**
 * Wraps a BullMQ processor function so that tracebridge's process span knows what BullMQ's telemetry
 * interface never tells it: the job's delay. Inside the span, before the processor runs, it reads the job
 * BullMQ hands it (`timestamp`, `opts.delay`, `attemptsMade`, `attemptsStarted`) and, for a job's first
 * attempt, sets `tracebridge.messaging.delay_ms` (the delay it was added with) and a
 * `tracebridge.messaging.time_in_queue_ms` measured from when it became ready (`timestamp + delay`),
 * and records the time-in-queue histogram with that value. Without the wrapper both run from the add.
 *
 * A retry, or a stalled job BullMQ recovered, is left as it was: BullMQ keeps no record of when the
 * previous attempt ended (its `finishedOn` is set only when the job is done, `processedOn` is overwritten
 * by the new attempt), so when the retry became ready cannot be known.
 *
 * The processor's result and errors pass through unchanged, its arity (`length`, which BullMQ reads to
 * decide whether to hand it an abort signal) is kept, and nothing is done when the active span is not a
 * tracebridge BullMQ process span (another telemetry, or none). Reading the job never throws into BullMQ.
 *
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) when `processor` is not a function.
 */
export function traceProcessor<Job, Rest extends unknown[], Result>(
  processor: (job: Job, ...rest: Rest) => Result,
): (job: Job, ...rest: Rest) => Result {
  if (typeof processor !== 'function') {
    throw new TracebridgeConfigError(
      TracebridgeErrorCode.InvalidOption,
      `traceProcessor: the processor must be a function, got ${typeof processor}`,
    );
  }
  const traced = function (this: unknown, job: Job, ...rest: Rest): Result {
    safely('reading a BullMQ job', () => markReady(job), undefined);
    return processor.call(this, job, ...rest);
  };
  Object.defineProperty(traced, 'length', { value: processor.length });
  return traced;
}

function markReady(job: unknown): void {
  const attempt = activeAttempt(context.active());
  if (attempt === undefined) return;
  const readiness = jobReadiness(job);
  if (readiness !== undefined) attempt.ready(readiness.readyAtMs, readiness.delayMs);
}

/**
 * When a job's first attempt became ready, from the job as BullMQ hands it to a processor; `undefined`
 * for a retry, a recovered stalled job, or a job that does not look like one.
 */
export function jobReadiness(job: unknown): JobReadiness | undefined {
  if (typeof job !== 'object' || job === null) return undefined;
  const { timestamp, attemptsMade, attemptsStarted, opts } = job as Record<string, unknown>;
  if (!isNonNegative(timestamp) || timestamp === 0) return undefined;
  if (attemptsMade !== undefined && attemptsMade !== 0) return undefined;
  if (isNonNegative(attemptsStarted) && attemptsStarted > 1) return undefined;
  // `job.delay` is no help: BullMQ sets it to 0 when it promotes the job. `opts.delay` keeps the delay
  // the job was added with (and a scheduler's run, the wait until its time).
  const delay = typeof opts === 'object' && opts !== null ? (opts as Record<string, unknown>).delay : 0;
  const delayMs = isNonNegative(delay) ? delay : 0;
  return { readyAtMs: timestamp + delayMs, delayMs };
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
