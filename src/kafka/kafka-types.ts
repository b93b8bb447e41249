/**
 * The shapes tracebridge relies on, written structurally so that kafkajs 2.x and the KafkaJS-compatible
 * API of `@confluentinc/kafka-javascript` both fit, and so that neither client's type definitions are
 * needed to compile against tracebridge.
 */
import type { KafkaHeaders } from '../propagation/kafka-headers-carrier';

/** A message as a producer sends it (kafkajs `Message`). */
export interface KafkaOutgoingMessage {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly partition?: number;
  readonly headers?: KafkaHeaders;
  readonly timestamp?: string;
}

/** `producer.send(record)`'s argument (kafkajs `ProducerRecord`). */
export interface KafkaProducerRecord {
  readonly topic: string;
  readonly messages: readonly KafkaOutgoingMessage[];
}

/** One topic's messages in `producer.sendBatch` (kafkajs `TopicMessages`). */
export interface KafkaTopicMessages {
  readonly topic: string;
  readonly messages: readonly KafkaOutgoingMessage[];
}

/** `producer.sendBatch(batch)`'s argument (kafkajs `ProducerBatch`). */
export interface KafkaProducerBatch {
  readonly topicMessages?: readonly KafkaTopicMessages[];
}

/** What a producer and a transaction both have. */
export interface KafkaSender {
  // Method syntax keeps the parameters bivariant, so the clients' mutable array types are accepted.
  send(record: KafkaProducerRecord): Promise<unknown>;
  sendBatch(batch: KafkaProducerBatch): Promise<unknown>;
}

/** A transaction, as `producer.transaction()` resolves it. */
export interface KafkaTransactionLike extends KafkaSender {
  sendOffsets(offsets: {
    readonly consumerGroupId: string;
    readonly topics: readonly unknown[];
  }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A producer tracebridge can wrap. */
export interface KafkaProducerLike extends KafkaSender {
  transaction(): Promise<KafkaTransactionLike>;
}

/** A consumed message (kafkajs `KafkaMessage`). */
export interface KafkaMessageLike {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  /** Milliseconds since the epoch, as a string: the producer's create time or the broker's append time. */
  readonly timestamp: string;
  readonly offset: string;
  readonly headers?: KafkaHeaders;
}

/** `eachMessage`'s argument (kafkajs `EachMessagePayload`). */
export interface KafkaEachMessagePayload {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessageLike;
}

/** A fetched batch (kafkajs `Batch`). */
export interface KafkaBatchLike {
  readonly topic: string;
  readonly partition: number;
  /** The offset after the partition's last message, as a string. */
  readonly highWatermark: string;
  readonly messages: readonly KafkaMessageLike[];
}

/** `eachBatch`'s argument (kafkajs `EachBatchPayload`); its other members pass through untouched. */
export interface KafkaEachBatchPayload {
  readonly batch: KafkaBatchLike;
}

/** `consumer.run(config)`'s argument; every other field passes through untouched. */
export interface KafkaRunConfig {
  readonly eachMessage?: (payload: never) => Promise<void>;
  readonly eachBatch?: (payload: never) => Promise<void>;
}

/** A consumer tracebridge can wrap. */
export interface KafkaConsumerLike {
  run(config?: never): Promise<void>;
}
