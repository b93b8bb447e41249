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
}

/**
 * A consumed message as the messaging core takes it: destination, carrier, headers, enqueue time,
 * attributes. The one object serves as a batch's message and as a single message's process parameters.
 */
export function consumedMessage(
  scope: ConsumedMessageScope,
  message: KafkaMessageLike,
  attempt: number | undefined,
): ProcessParams<KafkaHeaders | undefined, KafkaConsumerInfo> &
  BatchMessage<KafkaHeaders | undefined, KafkaConsumerInfo> {
  return {
    destination: scope.topic,
    carrier: kafkaHeadersCarrier,
    headers: message.headers,
    // The record timestamp: the producer's create time, or the broker's append time (LogAppendTime).
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
  span.setAttribute(ATTR_MESSAGING_DESTINATION_PARTITION_ID, String(scope.partition));
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
