import { MessagingTelemetry } from '../core/messaging-telemetry';
import type { MessagingTelemetryConfig } from '../core/messaging-telemetry';
import type { KafkaConsumerInfo, KafkaProducerInfo } from './kafka-options';

/** The messaging core as the Kafka wrappers use it. */
export type KafkaTelemetry = MessagingTelemetry<KafkaProducerInfo, KafkaConsumerInfo>;

/** `messaging.system` for Kafka, per the conventions. */
export const KAFKA_SYSTEM = 'kafka';

/** One telemetry per wrapped producer or consumer; throws `TracebridgeConfigError` on a bad `incoming`. */
export function createKafkaTelemetry(
  options: Omit<MessagingTelemetryConfig<KafkaProducerInfo, KafkaConsumerInfo>, 'system'>,
): KafkaTelemetry {
  return new MessagingTelemetry({ ...options, system: KAFKA_SYSTEM });
}
