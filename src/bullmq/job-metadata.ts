/**
 * A job's context as BullMQ stores it (`job.opts.telemetry.metadata`, one string per job): a JSON object
 * of propagation fields, written and read through the registered propagator, plus the time the context
 * was written. It is the format `bullmq-otel` uses (its extra-less JSON object of propagator fields), so a
 * job added by either is processed in the same trace by the other.
 *
 * The string is read back from Redis, so it is hostile input: bounded before it is parsed, parsed without
 * throwing, accepted only as a plain object, and each field bounded and validated by the header rules.
 */
import { createContextKey } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { stepFailed } from '../core/diagnostics';
import { createHeaderRecordCarrier } from '../propagation/header-record-carrier';
import type { HeaderRecord } from '../propagation/header-record-carrier';
import type { BullmqMessagingTelemetry } from './span-role';

/** The carrier of a job's metadata object. */
export const jobMetadataCarrier = createHeaderRecordCarrier<HeaderRecord>('bullmq-job-metadata');

/** When the context was written, in ms since the epoch: a job's enqueue time. Ignored by `bullmq-otel`. */
export const ENQUEUED_AT_FIELD = 'tracebridge-enqueued-at';

/**
 * Metadata longer than this is not parsed: the propagation fields' own bounds (baggage 8 KiB, tracestate
 * 512 bytes, ...) leave it plenty of room.
 */
export const MAX_JOB_METADATA_LENGTH = 16_384;

/** A job's metadata, read. */
export interface JobMetadata {
  readonly fields: HeaderRecord;
  readonly enqueuedAtMs: number | undefined;
}

/** Where `fromMetadata` leaves a job's metadata for the process span BullMQ starts next. */
export const JOB_METADATA_KEY = createContextKey('tracebridge.bullmq.job-metadata');

/**
 * Serialises `ctx` for BullMQ to store with a job, through `telemetry` (so tracebridge's own fields, the
 * pipeline origin, go with it). Never throws; `''` (no metadata) if it cannot.
 */
export function encodeJobMetadata(telemetry: BullmqMessagingTelemetry, ctx: Context, nowMs: number): string {
  const fields = telemetry.inject(jobMetadataCarrier, ctx, { [ENQUEUED_AT_FIELD]: String(nowMs) });
  try {
    return JSON.stringify(fields);
  } catch (error) {
    // A propagator that wrote something JSON cannot hold (a BigInt): the job goes without a context.
    stepFailed('serialising a job context', error);
    return '';
  }
}

/** Reads stored metadata; `undefined` for anything that is not a bounded JSON object. */
export function decodeJobMetadata(metadata: unknown): JobMetadata | undefined {
  if (typeof metadata !== 'string' || metadata.length > MAX_JOB_METADATA_LENGTH) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = parsed as HeaderRecord;
  return { fields, enqueuedAtMs: enqueuedAt(fields) };
}

function enqueuedAt(fields: HeaderRecord): number | undefined {
  if (!Object.prototype.hasOwnProperty.call(fields, ENQUEUED_AT_FIELD)) return undefined;
  const value = fields[ENQUEUED_AT_FIELD];
  if (typeof value !== 'string' || value.length > 16 || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
