import { MessagingTelemetry } from '../core/messaging-telemetry';
import type { MessagingTelemetryOptions } from '../core/messaging-telemetry';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';

/**
 * The `messaging.system` of every Redis span. The semantic conventions list no value for Redis (their
 * `redis` lives under `db.system.name`, for command spans); `messaging.system` is an open enum whose
 * guidance is a custom value naming the system when none applies, so the honest choice is `'redis'`.
 * @see https://opentelemetry.io/docs/specs/semconv/registry/attributes/messaging/#messaging-system
 */
export const REDIS_MESSAGING_SYSTEM = 'redis';

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
    sendHook: options.sendHook,
    processHook: options.processHook,
    system: REDIS_MESSAGING_SYSTEM,
  });
}

function invalid(message: string): TracebridgeConfigError {
  return new TracebridgeConfigError(TracebridgeErrorCode.InvalidOption, message);
}

/** A required, non-empty string option (a key, group or consumer name). */
export function requireName(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalid(`${option} must be a non-empty string, got ${describe(value)}`);
  return value;
}

/** An optional positive integer option; `fallback` when absent. */
export function positiveInteger(value: unknown, option: string, fallback: number): number;
export function positiveInteger(value: unknown, option: string, fallback?: number): number | undefined;
export function positiveInteger(value: unknown, option: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw invalid(`${option} must be a positive integer, got ${describe(value)}`);
  return value;
}

/** An optional integer option that may be 0; `fallback` when absent. */
export function nonNegativeInteger(value: unknown, option: string, fallback: number): number;
export function nonNegativeInteger(value: unknown, option: string, fallback?: number): number | undefined;
export function nonNegativeInteger(value: unknown, option: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw invalid(`${option} must be an integer >= 0, got ${describe(value)}`);
  return value;
}

/** A required function option (a handler). */
export function requireFunction<F>(value: F, option: string): F {
  if (typeof value !== 'function') throw invalid(`${option} must be a function, got ${describe(value)}`);
  return value;
}

/** An optional function option (a hook); `undefined` when absent. */
export function optionalFunction<F>(value: F | undefined, option: string): F | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw invalid(`${option} must be a function, got ${describe(value)}`);
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
