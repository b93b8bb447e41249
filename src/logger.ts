import { diag } from '@opentelemetry/api';
import type { DiagLogFunction, DiagLogger } from '@opentelemetry/api';

/*
 * It lives below both the messaging core and the propagation layer, so that carriers can report without
 * depending on the core (the core re-exports it from `core/diagnostics`).
 */

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
