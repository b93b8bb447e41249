import { createHeaderRecordCarrier } from './header-record-carrier';

/**
 * Kafka message headers as kafkajs (and Confluent's KafkaJS-compatible client) shape them: values are
 * Buffers or strings, and a key repeated on the wire arrives as an array of them.
 */
export type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/**
 * Carries trace context in Kafka message headers. Injected values are strings; on extract a repeated key
 * yields its first valid value and a non-UTF-8 or oversized value is ignored.
 */
export const kafkaHeadersCarrier = createHeaderRecordCarrier<KafkaHeaders>('kafka-headers');
