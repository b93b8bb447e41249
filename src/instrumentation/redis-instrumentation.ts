import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import type { DefaultsScope } from '../core/instrumentation-defaults';
import type { TracebridgeTransportConfig } from './instrumentation-config';
import { TransportInstrumentation } from './transport-instrumentation';

/**
 * The OpenTelemetry instrumentation for tracebridge's Redis helpers (`streamProducer`, `streamWorker`,
 * `listConsumer`, …): put it in NodeSDK's `instrumentations` (or use {@link TracebridgeInstrumentation}).
 * Helpers created without `tracerProvider`, `meterProvider` or `incoming` use NodeSDK's providers and this
 * instrumentation's `incoming`; `disable()` makes them record nothing.
 *
 * There is no zero-code mode for Redis: the helpers are the API (a job queue over Redis is the
 * application's design, not a client library's factory), and `@opentelemetry/instrumentation-ioredis`
 * traces commands, one level below tracebridge's job spans, so nothing overlaps.
 */
export class TracebridgeRedisInstrumentation extends TransportInstrumentation {
  constructor(config?: TracebridgeTransportConfig) {
    super('tracebridge-redis', config);
  }

  protected override get scope(): DefaultsScope {
    return 'redis';
  }

  protected override zeroCodeModules(): InstrumentationModuleDefinition[] {
    return [];
  }
}
