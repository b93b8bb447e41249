/**
 * tracebridge: OpenTelemetry trace context across gRPC calls and Kafka, RabbitMQ and Redis messages.
 *
 * The public API, grouped by area. Everything is a named export; nothing here has side effects.
 * @packageDocumentation
 */

// Package identity.
export { VERSION, INSTRUMENTATION_NAME } from './version';

// Errors.
export { TracebridgeArgumentError, TracebridgeConfigError, TracebridgeErrorCode } from './core/errors';

// Propagation: one carrier per transport, all through the globally registered propagator.
export type { ContextCarrier, CarrierAccess } from './propagation/context-carrier';
export { createContextCarrier } from './propagation/context-carrier';
export type { HeaderRecord } from './propagation/header-record-carrier';
export { createHeaderRecordCarrier } from './propagation/header-record-carrier';
export type { KafkaHeaders } from './propagation/kafka-headers-carrier';
export { kafkaHeadersCarrier } from './propagation/kafka-headers-carrier';
export type { AmqpHeaders } from './propagation/amqp-headers-carrier';
export { amqpHeadersCarrier } from './propagation/amqp-headers-carrier';
export type { GrpcMetadata } from './propagation/grpc-metadata-carrier';
export { grpcMetadataCarrier } from './propagation/grpc-metadata-carrier';
export type { RedisFieldValue, RedisStreamFields } from './propagation/redis-stream-fields-carrier';
export { redisStreamFieldsCarrier } from './propagation/redis-stream-fields-carrier';
export type { DecodedPayload, EnvelopeHeaders } from './propagation/envelope';
export { decodeEnvelope, encodeEnvelope, envelopeHeadersCarrier } from './propagation/envelope';
export {
  BAGGAGE_MAX_BYTES,
  BAGGAGE_MAX_MEMBERS,
  TRACESTATE_MAX_LENGTH,
  TRACESTATE_MAX_MEMBERS,
  selectHeaderValue,
} from './propagation/header-limits';

// The messaging core, for adapters (tracebridge's own and yours).
export type {
  BatchParams,
  MessagingOperationType,
  MessagingTelemetryConfig,
  MessagingTelemetryOptions,
  OperationGroupParams,
  ProcessParams,
  SendParams,
} from './core/messaging-telemetry';
export { MessagingTelemetry } from './core/messaging-telemetry';
export type { DestinationTraits } from './core/destination-traits';
export type { BatchMessage } from './core/messaging-batch';
export { MessagingBatch } from './core/messaging-batch';
export { MessagingSpan } from './core/messaging-span';
export type { SettleKind, SettleOutcome } from './core/settle-outcome';
export type { SettleRegistryOptions } from './core/settle-registry';
export { DEFAULT_MAX_PENDING_SETTLES, SettleRegistry } from './core/settle-registry';
export type {
  IncomingOption,
  IncomingPolicy,
  IncomingPolicyRule,
  IncomingSubject,
} from './core/trust-policy';
export { DEFAULT_INCOMING_POLICY } from './core/trust-policy';
export type { SemconvStability } from './core/semconv-stability';
export type { SignatureFailure, SigningKey, SigningOption } from './core/context-signing';
export { DEFAULT_SIGNATURE_MAX_AGE_MS, SIGNATURE_HEADER } from './core/context-signing';
export { DEFAULT_ORIGIN_MAX_AGE_MS, ORIGIN_CLOCK_SKEW_MS, ORIGIN_HEADER } from './core/origin-time';
export type { HeaderCasing } from './core/header-casing';
export { JAVA_B3_HEADER_CASING, withHeaderCasing } from './core/header-casing';
