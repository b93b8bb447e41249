/**
 * `tracebridge/kafka`: traced stand-ins for kafkajs producers and consumers (and those of the KafkaJS API
 * of `@confluentinc/kafka-javascript`).
 *
 * A separate entry point, so that an application without Kafka never loads anything Kafka-specific. It
 * needs no Kafka client at run time: it wraps the one you pass in.
 * @packageDocumentation
 */
export { traceProducer } from './traced-producer';
export { traceConsumer } from './traced-consumer';
export { processBatchMessage } from './batch-message';
export { KAFKA_ATTEMPT_HEADER, retryMessage } from './retry-message';
export type {
  KafkaConsumerInfo,
  KafkaConsumerTracingOptions,
  KafkaProducerInfo,
  KafkaProducerTracingOptions,
  KafkaTracingOptions,
} from './kafka-options';
export { DEFAULT_KAFKA_CONSUMER_OPTIONS, DEFAULT_KAFKA_PRODUCER_OPTIONS } from './kafka-options';
export type {
  KafkaBatchLike,
  KafkaConsumerLike,
  KafkaEachBatchPayload,
  KafkaEachMessagePayload,
  KafkaMessageLike,
  KafkaOutgoingMessage,
  KafkaProducerBatch,
  KafkaProducerLike,
  KafkaProducerRecord,
  KafkaSender,
  KafkaTopicMessages,
  KafkaTransactionLike,
} from './kafka-types';
