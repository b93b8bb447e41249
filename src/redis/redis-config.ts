import { MessagingTelemetry } from '../core/messaging-telemetry';
import type { MessagingTelemetryOptions } from '../core/messaging-telemetry';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import type { OptionType } from '../core/option-checks';

/**
 * The `messaging.system` of every Redis span. The semantic conventions list no value for Redis (their
 * `redis` lives under `db.system.name`, for command spans); `messaging.system` is an open enum whose
 * guidance is a custom value naming the system when none applies, so the honest choice is `'redis'`.
 * @see https://opentelemetry.io/docs/specs/semconv/registry/attributes/messaging/#messaging-system
 */
export const REDIS_MESSAGING_SYSTEM = 'redis';

/**
 * On a stream job's process span: `false` when the job succeeded but its `XACK` acknowledged no entry
 * (the entry was no longer pending in the group: claimed and acknowledged by another consumer, deleted,
 * trimmed, or the group recreated), so no acknowledgement is recorded for it. Absent otherwise.
 */
export const ATTR_TRACEBRIDGE_REDIS_ACKNOWLEDGED = 'tracebridge.messaging.redis.acknowledged';

/** A telemetry for one helper; the caller's options object is read, never kept or modified. */
export function createRedisTelemetry<SendInfo, ProcessInfo>(
  options: MessagingTelemetryOptions<SendInfo, ProcessInfo>,
): MessagingTelemetry<SendInfo, ProcessInfo> {
  return new MessagingTelemetry<SendInfo, ProcessInfo>({
    tracerProvider: options.tracerProvider,
    meterProvider: options.meterProvider,
    incoming: options.incoming,
    signing: options.signing,
    originMaxAgeMs: options.originMaxAgeMs,
    semconvStability: options.semconvStability,
    endToEndLatency: options.endToEndLatency,
    sendHook: options.sendHook,
    processHook: options.processHook,
    system: REDIS_MESSAGING_SYSTEM,
  });
}

function invalid(message: string): TracebridgeConfigError {
  return new TracebridgeConfigError(TracebridgeErrorCode.InvalidOption, message);
}

/** The options of every producer-side helper (`RedisProducerTelemetryOptions`). */
export const PRODUCER_TELEMETRY_OPTIONS = Object.freeze({
  tracerProvider: 'object',
  meterProvider: 'object',
  sendHook: 'function',
  signing: 'object',
  semconvStability: 'string',
  endToEndLatency: 'boolean',
} as const satisfies Record<string, OptionType>);

/** The options of every consumer-side helper (`RedisConsumerTelemetryOptions`). */
export const CONSUMER_TELEMETRY_OPTIONS = Object.freeze({
  tracerProvider: 'object',
  meterProvider: 'object',
  // The trust policy's own check (at telemetry creation) names what is wrong inside it.
  incoming: 'string or object',
  processHook: 'function',
  signing: 'object',
  originMaxAgeMs: 'positive integer',
  semconvStability: 'string',
  endToEndLatency: 'boolean',
} as const satisfies Record<string, OptionType>);

/** A required, non-empty string option (a key, group or consumer name). */
export function requireName(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalid(`${option} must be a non-empty string, got ${describe(value)}`);
  return value;
}

/** A required function option (a handler). */
export function requireFunction<F>(value: F, option: string): F {
  if (typeof value !== 'function') throw invalid(`${option} must be a function, got ${describe(value)}`);
  return value;
}

/** Checks that `client` has the methods a helper calls, so a wrong argument fails at setup. */
export function requireClient<C>(client: C, methods: readonly string[], what: string): C {
  const missing =
    typeof client !== 'object' || client === null
      ? methods
      : methods.filter((m) => typeof (client as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0)
    throw invalid(`${what} must be an ioredis client (Redis or Cluster); it has no ${missing.join(', ')}`);
  return client;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}
