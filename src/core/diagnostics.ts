import { logger } from '../logger';

export { logger };

/**
 * Calls a user-supplied hook, logging instead of propagating anything it throws: a broken hook must
 * never break the message or call it observes.
 *
 * @param hookName - the option the user gave the hook as (`'producerHook'`), so the log names it.
 */
export function callHook<A extends unknown[]>(
  hookName: string,
  hook: ((...args: A) => void) | undefined,
  ...args: A
): void {
  if (hook === undefined) return;
  try {
    hook(...args);
  } catch (error) {
    hookFailed(hookName, error);
  }
}

/**
 * {@link callHook} for a hook of a span and its info, the two arguments of every per-message hook: with a
 * fixed arity rather than a rest parameter, as this runs twice for every recording message.
 */
export function callSpanHook<S, I>(
  hookName: string,
  hook: ((span: S, info: I) => void) | undefined,
  span: S,
  info: I,
): void {
  if (hook === undefined) return;
  try {
    hook(span, info);
  } catch (error) {
    hookFailed(hookName, error);
  }
}

function hookFailed(hookName: string, error: unknown): void {
  logger.error(`${hookName} threw; the hook is skipped for this span`, error);
}

/**
 * Runs an instrumentation step (a tracer, meter, span or carrier call) so that a failure inside it is
 * logged and replaced by `fallback` instead of reaching the host's data path.
 */
export function safely<T>(what: string, step: () => T, fallback: T): T {
  try {
    return step();
  } catch (error) {
    stepFailed(what, error);
    return fallback;
  }
}

/**
 * Logs a failed instrumentation step, as {@link safely} does: for a hot path that catches inline rather
 * than allocating a closure per call.
 */
export function stepFailed(what: string, error: unknown): void {
  logger.error(`${what} failed; tracing skips this step`, error);
}
