/**
 * `tracebridge/instrumentation`: tracebridge as OpenTelemetry instrumentations, for NodeSDK's
 * `instrumentations` list (or `registerInstrumentations`): NodeSDK's providers, `enable()`/`disable()`,
 * `setConfig()` defaults, configuration from the environment, the opt-in zero-code mode, and no span
 * doubled with the contrib kafkajs, amqplib and grpc instrumentations.
 *
 * A separate entry point: it needs `@opentelemetry/instrumentation` (an optional peer dependency, which
 * `@opentelemetry/sdk-node` already brings), and the rest of tracebridge never loads it.
 * @packageDocumentation
 */
export { TracebridgeInstrumentation } from './tracebridge-instrumentation';
export { TracebridgeKafkaInstrumentation } from './kafka-instrumentation';
export { TracebridgeAmqpInstrumentation } from './amqp-instrumentation';
export { TracebridgeGrpcInstrumentation } from './grpc-instrumentation';
export { TracebridgeRedisInstrumentation } from './redis-instrumentation';
export type { ResolvedTransportConfig, TransportInstrumentation } from './transport-instrumentation';
export type {
  MessagingSemconvStability,
  TracebridgeInstrumentationConfig,
  TracebridgeTransportConfig,
} from './instrumentation-config';
export { DEFAULT_TRANSPORT_CONFIG } from './instrumentation-config';
export type { OverlappingContribInstrumentation, WithoutOverlaps } from './contrib-overlaps';
export {
  OVERLAPPING_CONTRIB_INSTRUMENTATIONS,
  autoInstrumentationsWithoutOverlaps,
} from './contrib-overlaps';
