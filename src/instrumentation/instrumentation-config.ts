/**
 * Public configuration types of `tracebridge/instrumentation`. Every field is optional; each default is
 * stated with the field, and the environment variable that sets it, when there is one.
 */
import type { SemconvStability } from '../core/semconv-stability';
import type { IncomingOption } from '../core/trust-policy';

/**
 * Which messaging conventions tracebridge's spans follow. `'stable'`: the current ones only.
 * `'duplicate'` (`OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup`): also the older names the contrib
 * instrumentations and the Java agent emit by default. Wrappers created without their own
 * `semconvStability` option use the instrumentation's. The same type as the adapters' option.
 */
export type MessagingSemconvStability = SemconvStability;

/** The configuration of one transport's instrumentation (Kafka, RabbitMQ, gRPC or Redis). */
export interface TracebridgeTransportConfig {
  /**
   * Whether the instrumentation is on. Off, the wrappers that use its defaults record nothing (no spans,
   * no metrics) and zero-code mode adds no tracing. Default: `true`, unless
   * `OTEL_NODE_DISABLED_INSTRUMENTATIONS` names it (`tracebridge`, or `tracebridge-kafka`, …).
   */
  readonly enabled?: boolean;
  /**
   * Zero-code mode: clients created after the instrumentation is registered are traced without a wrapper
   * call (kafkajs producers and consumers, amqplib promise-API channels, grpc-js clients and servers).
   * Has no effect on Redis, whose helpers are the API. Default: `false` (`TRACEBRIDGE_ZERO_CODE=true`).
   */
  readonly zeroCode?: boolean;
  /**
   * The `incoming` trust policy of the wrappers (and zero-code clients) created without one. Default:
   * `'parent'` (`TRACEBRIDGE_INCOMING`, or per transport `TRACEBRIDGE_KAFKA_INCOMING`,
   * `TRACEBRIDGE_RABBITMQ_INCOMING`, `TRACEBRIDGE_GRPC_INCOMING`, `TRACEBRIDGE_REDIS_INCOMING`).
   */
  readonly incoming?: IncomingOption;
  /**
   * Remove the patches of the contrib instrumentation of the same library (kafkajs, amqplib, grpc-js)
   * when that library loads, so that each operation has one span, tracebridge's. Default: `true`
   * (`TRACEBRIDGE_UNPATCH_CONTRIB=false` turns it off).
   */
  readonly unpatchContrib?: boolean;
  /** See {@link MessagingSemconvStability}. Default: from `OTEL_SEMCONV_STABILITY_OPT_IN`, else `'stable'`. */
  readonly semconvStability?: MessagingSemconvStability;
  /**
   * Whether the wrappers (and zero-code clients) created without their own `endToEndLatency` option carry
   * the `tracebridge-origin` header and record the end-to-end latency histograms. Default: `true`
   * (`TRACEBRIDGE_END_TO_END_LATENCY=false` turns it off).
   */
  readonly endToEndLatency?: boolean;
}

/**
 * The configuration of `TracebridgeInstrumentation`: the transport fields apply to every transport, and
 * `kafka`, `rabbitmq`, `grpc` and `redis` override them for one.
 */
export interface TracebridgeInstrumentationConfig extends TracebridgeTransportConfig {
  readonly kafka?: TracebridgeTransportConfig;
  readonly rabbitmq?: TracebridgeTransportConfig;
  readonly grpc?: TracebridgeTransportConfig;
  readonly redis?: TracebridgeTransportConfig;
}

/** The defaults of {@link TracebridgeTransportConfig}; environment variables and options are spread over them. */
export const DEFAULT_TRANSPORT_CONFIG = Object.freeze({
  enabled: true,
  zeroCode: false,
  unpatchContrib: true,
  semconvStability: 'stable',
  endToEndLatency: true,
} as const satisfies TracebridgeTransportConfig);
