import { logger } from './diagnostics';

/**
 * Answers `true` on every stand-in a tracebridge wrapper returns (see `withMethodOverrides`). A
 * `Symbol.for` key, so that two copies of tracebridge in one process recognise each other's stand-ins, and
 * a proxy trap rather than a property, so the caller's object is never written to.
 */
export const TRACED_BY_TRACEBRIDGE = Symbol.for('tracebridge.traced');

/** Whether `value` is a stand-in returned by a tracebridge wrapper (explicit or zero-code). */
export function isTracedByTracebridge(value: unknown): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  return (value as { [TRACED_BY_TRACEBRIDGE]?: unknown })[TRACED_BY_TRACEBRIDGE] === true;
}

/** Marks a function tracebridge made (an interceptor), so zero-code mode does not add a second one. */
export function markTraced<F extends object>(made: F): F {
  Object.defineProperty(made, TRACED_BY_TRACEBRIDGE, { value: true });
  return made;
}

const warned = new Set<string>();

/**
 * What a wrapper does with an object that is already traced: it returns it as is, so that wrapping twice
 * (by hand, or over zero-code mode) still gives one span per operation. Options given to the second
 * wrapping cannot apply; that is said once per wrapper through `diag`.
 */
export function alreadyTraced<T>(traced: T, where: string, options: object | undefined): T {
  if (options !== undefined && Object.keys(options).length > 0 && !warned.has(where)) {
    warned.add(where);
    logger.warn(
      `${where}: this object is already traced (by zero-code mode or an earlier call), so it is returned as is and these options are ignored; configure zero-code mode with the instrumentation's setConfig, or wrap the original object`,
    );
  }
  return traced;
}
