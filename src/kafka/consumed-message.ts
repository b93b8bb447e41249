import type { Span } from '@opentelemetry/api';
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_MESSAGE_KEY,
  ATTR_MESSAGING_KAFKA_MESSAGE_TOMBSTONE,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_TRACEBRIDGE_ATTEMPT,
} from '../core/semantic-attributes';
import type { BatchMessage } from '../core/messaging-batch';
import type { ProcessParams } from '../core/messaging-telemetry';
import { kafkaHeadersCarrier } from '../propagation/kafka-headers-carrier';
import type { KafkaHeaders } from '../propagation/kafka-headers-carrier';
import type { KafkaConsumerInfo } from './kafka-options';
import { recordableKey } from './kafka-message-key';
import type { KafkaMessageLike } from './kafka-types';

/** What the consumer wrapper knows when a message arrives, beyond the message itself. */
export interface ConsumedMessageScope {
  readonly topic: string;
  readonly partition: number;
  /** The consumer group, when known. */
  readonly groupId: string | undefined;
  /** The `recordMessageKeys` option: whether keys are recorded at all. */
  readonly recordMessageKeys: boolean;
  readonly recordBinaryKeys: boolean;
  /** `messaging.destination.partition.id`, made once for the scope rather than for every message. */
  readonly partitionId: string;
  /** Describes a first delivery of a message of the scope: one function for all of them, no closure each. */
  readonly describe: (span: Span, info: KafkaConsumerInfo) => void;
}

/** The scope of the messages of one partition, as a consumer in `groupId` (when known) receives them. */
function consumedMessageScope(
  topic: string,
  partition: number,
  groupId: string | undefined,
  options: { readonly recordMessageKeys: boolean; readonly recordBinaryKeys: boolean },
): ConsumedMessageScope {
  const scope: ConsumedMessageScope = {
    topic,
    partition,
    groupId,
    recordMessageKeys: options.recordMessageKeys,
    recordBinaryKeys: options.recordBinaryKeys,
    partitionId: String(partition),
    describe: (span, info) => describeConsumed(span, scope, info.message, undefined),
  };
  return scope;
}

/** Partitions per topic whose scope is kept; a partition beyond gets a scope per message (never seen). */
const MAX_KEPT_PARTITION = 4096;
/** Topics whose scopes are kept at once; a pattern subscription to more starts over. */
const MAX_KEPT_TOPICS = 1024;

/**
 * The scopes of one consumer's messages, one per partition, made once and handed out for every message of
 * it (partitions consumed concurrently interleave, so "the previous message's" would be remade often).
 * A scope is made again when the consumer's group changes (it joins a group after being created).
 */
export class ConsumedMessageScopes {
  readonly #groupId: () => string | undefined;
  readonly #options: { readonly recordMessageKeys: boolean; readonly recordBinaryKeys: boolean };
  readonly #byTopic = new Map<string, (ConsumedMessageScope | undefined)[]>();

  constructor(
    groupId: () => string | undefined,
    options: { readonly recordMessageKeys: boolean; readonly recordBinaryKeys: boolean },
  ) {
    this.#groupId = groupId;
    this.#options = {
      recordMessageKeys: options.recordMessageKeys,
      recordBinaryKeys: options.recordBinaryKeys,
    };
  }

  /** The scope of a message of `topic` and `partition`. */
  of(topic: string, partition: number): ConsumedMessageScope {
    const groupId = this.#groupId();
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= MAX_KEPT_PARTITION) {
      return consumedMessageScope(topic, partition, groupId, this.#options);
    }
    let scopes = this.#byTopic.get(topic);
    if (scopes === undefined) {
      if (this.#byTopic.size >= MAX_KEPT_TOPICS) this.#byTopic.clear();
      scopes = [];
      this.#byTopic.set(topic, scopes);
    }
    const kept = scopes[partition];
    if (kept !== undefined && kept.groupId === groupId) return kept;
    const scope = consumedMessageScope(topic, partition, groupId, this.#options);
    scopes[partition] = scope;
    return scope;
  }
}

/**
 * A consumed message as the messaging core takes it for `eachMessage`: destination, carrier, headers,
 * enqueue time, attributes.
 */
export function consumedMessage(
  scope: ConsumedMessageScope,
  message: KafkaMessageLike,
  attempt: number | undefined,
): ProcessParams<KafkaHeaders | undefined, KafkaConsumerInfo> {
  return {
    destination: scope.topic,
    carrier: kafkaHeadersCarrier,
    headers: message.headers,
    // The record timestamp: the producer's create time, or the broker's append time (LogAppendTime).
    enqueueTimeMs: Number(message.timestamp),
    consumerGroup: scope.groupId,
    // A retry (rare) also records its attempt.
    describe:
      attempt === undefined ? scope.describe : (span) => describeConsumed(span, scope, message, attempt),
    info: { topic: scope.topic, partition: scope.partition, message },
  };
}

/** One message of an `eachBatch` batch as the messaging core takes it, for its own process span. */
export function consumedBatchMessage(
  scope: ConsumedMessageScope,
  message: KafkaMessageLike,
  attempt: number | undefined,
): BatchMessage<KafkaHeaders | undefined, KafkaConsumerInfo> {
  return {
    carrier: kafkaHeadersCarrier,
    headers: message.headers,
    enqueueTimeMs: Number(message.timestamp),
    consumerGroup: scope.groupId,
    describe: (span) => describeConsumed(span, scope, message, attempt),
    info: { topic: scope.topic, partition: scope.partition, message },
  };
}

function describeConsumed(
  span: Span,
  scope: ConsumedMessageScope,
  message: KafkaMessageLike,
  attempt: number | undefined,
): void {
  span.setAttribute(ATTR_MESSAGING_DESTINATION_PARTITION_ID, scope.partitionId);
  if (scope.groupId !== undefined) span.setAttribute(ATTR_MESSAGING_CONSUMER_GROUP_NAME, scope.groupId);
  const offset = Number(message.offset);
  if (Number.isSafeInteger(offset)) span.setAttribute(ATTR_MESSAGING_KAFKA_OFFSET, offset);
  if (scope.recordMessageKeys) {
    const key = recordableKey(message.key, scope.recordBinaryKeys);
    if (key !== undefined) span.setAttribute(ATTR_MESSAGING_KAFKA_MESSAGE_KEY, key);
  }
  if (message.value === null) span.setAttribute(ATTR_MESSAGING_KAFKA_MESSAGE_TOMBSTONE, true);
  else span.setAttribute(ATTR_MESSAGING_MESSAGE_BODY_SIZE, Buffer.byteLength(message.value));
  if (attempt !== undefined) span.setAttribute(ATTR_TRACEBRIDGE_ATTEMPT, attempt);
}
