import { diag } from '@opentelemetry/api';
import type { DiagLogFunction, DiagLogger } from '@opentelemetry/api';

const componentLogger = diag.createComponentLogger({ namespace: 'tracebridge' });

/**
 * One level of {@link logger}: a report is made from a `catch` on the data path, so a registered logger
 * that throws (or chokes on the host's value it is handed) must not turn the report into a throw.
 */
function guarded(level: keyof DiagLogger): DiagLogFunction {
  return (message, ...args) => {
    try {
      componentLogger[level](message, ...args);
    } catch {
      // Nowhere left to report to: the logger itself failed.
    }
  };
}

/**
 * The namespaced logger every tracebridge component reports instrumentation failures through.
 * It writes nothing unless the application registered a `diag` logger, and it never throws.
 */
export const logger: DiagLogger = {
  error: guarded('error'),
  warn: guarded('warn'),
  info: guarded('info'),
  debug: guarded('debug'),
  verbose: guarded('verbose'),
};

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
    logger.error(`${hookName} threw; the hook is skipped for this span`, error);
  }
}

/**
 * Runs an instrumentation step (a tracer, meter, span or carrier call) so that a failure inside it is
 * logged and replaced by `fallback` instead of reaching the host's data path.
 */
export function safely<T>(what: string, step: () => T, fallback: T): T {
  try {
    return step();
  } catch (error) {
    logger.error(`${what} failed; tracing skips this step`, error);
    return fallback;
  }
}
