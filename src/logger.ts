import { diag } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';

/**
 * The namespaced logger every tracebridge component reports instrumentation failures through. It writes
 * nothing unless the application registered a `diag` logger.
 *
 * It lives below both the messaging core and the propagation layer, so that carriers can report without
 * depending on the core (the core re-exports it from `core/diagnostics`).
 */
export const logger: DiagLogger = diag.createComponentLogger({ namespace: 'tracebridge' });
