import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { VERSION } from '../version';
import { TracebridgeAmqpInstrumentation } from './amqp-instrumentation';
import { checkInstrumentationConfig } from './check-config';
import { TracebridgeGrpcInstrumentation } from './grpc-instrumentation';
import type { TracebridgeInstrumentationConfig, TracebridgeTransportConfig } from './instrumentation-config';
import { TracebridgeKafkaInstrumentation } from './kafka-instrumentation';
import { TracebridgeRedisInstrumentation } from './redis-instrumentation';
import type { TransportInstrumentation } from './transport-instrumentation';

type TransportName = 'kafka' | 'rabbitmq' | 'grpc' | 'redis';

/**
 * Every tracebridge transport as one OpenTelemetry instrumentation, for NodeSDK's `instrumentations`:
 * Kafka, RabbitMQ, gRPC and Redis (see each transport's instrumentation for what it does).
 *
 * @example
 * ```ts
 * const sdk = new NodeSDK({
 *   instrumentations: [
 *     getNodeAutoInstrumentations(autoInstrumentationsWithoutOverlaps()),
 *     new TracebridgeInstrumentation(), // or { zeroCode: true }
 *   ],
 * });
 * sdk.start();
 * ```
 * @throws TracebridgeConfigError when an option has a value it does not accept.
 */
export class TracebridgeInstrumentation implements Instrumentation<TracebridgeInstrumentationConfig> {
  readonly instrumentationName = 'tracebridge';
  readonly instrumentationVersion = VERSION;
  #config: TracebridgeInstrumentationConfig;
  readonly #transports: Readonly<Record<TransportName, TransportInstrumentation>>;

  constructor(config: TracebridgeInstrumentationConfig = {}) {
    checkInstrumentationConfig(config);
    this.#config = { ...config };
    this.#transports = {
      kafka: new TracebridgeKafkaInstrumentation(transportConfig(config, 'kafka')),
      rabbitmq: new TracebridgeAmqpInstrumentation(transportConfig(config, 'rabbitmq')),
      grpc: new TracebridgeGrpcInstrumentation(transportConfig(config, 'grpc')),
      redis: new TracebridgeRedisInstrumentation(transportConfig(config, 'redis')),
    };
  }

  /** The instrumentation of one transport, e.g. to read its resolved configuration. */
  transport(name: TransportName): TransportInstrumentation {
    return this.#transports[name];
  }

  enable(): void {
    this.#each((t) => t.enable());
  }

  disable(): void {
    this.#each((t) => t.disable());
  }

  setTracerProvider(tracerProvider: TracerProvider): void {
    this.#each((t) => t.setTracerProvider(tracerProvider));
  }

  setMeterProvider(meterProvider: MeterProvider): void {
    this.#each((t) => t.setMeterProvider(meterProvider));
  }

  /**
   * Replaces the configuration of every transport (see {@link TracebridgeInstrumentationConfig}); the
   * environment still applies below it. `enabled` is `enable()` or `disable()`.
   * @throws TracebridgeConfigError when an option has a value it does not accept; nothing changes then.
   */
  setConfig(config: TracebridgeInstrumentationConfig = {}): void {
    checkInstrumentationConfig(config);
    this.#config = { ...config };
    for (const [name, transport] of this.#entries()) transport.setConfig(transportConfig(config, name));
  }

  /**
   * The configuration as given, with `enabled` saying whether any transport is on (NodeSDK calls
   * `enable()` on an instrumentation whose `enabled` is false).
   */
  getConfig(): TracebridgeInstrumentationConfig {
    const enabled = this.#entries().some(([, t]) => t.isEnabled());
    return { ...this.#config, enabled };
  }

  #entries(): [TransportName, TransportInstrumentation][] {
    return Object.entries(this.#transports) as [TransportName, TransportInstrumentation][];
  }

  #each(step: (transport: TransportInstrumentation) => void): void {
    for (const [, transport] of this.#entries()) step(transport);
  }
}

/** The shared fields, then the transport's own over them. */
function transportConfig(
  config: TracebridgeInstrumentationConfig,
  name: TransportName,
): TracebridgeTransportConfig {
  const { kafka: _k, rabbitmq: _r, grpc: _g, redis: _d, ...shared } = config;
  return { ...shared, ...config[name] };
}
