/**
 * The gateway's HTTP instrumentation, enabled as this module loads. It patches `node:http` when that is
 * required, so the gateway imports this module before `node:http`. It reaches the SDK through the global
 * tracer provider, which the service registers a moment later; `registerInstrumentations` then hands it
 * the meter provider too.
 */
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';

export const httpInstrumentation = new HttpInstrumentation();
