/**
 * The older messaging attribute names that tracebridge also emits with `semconvStability: 'duplicate'`
 * (`OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup`), so that dashboards and alerts built on the data of the
 * contrib instrumentations or the OpenTelemetry Java agent keep working after a switch.
 *
 * Where each name comes from (checked against the installed packages, see the unit test):
 * - the messaging conventions up to v1.24, which the Java agent (2.x) emits by default:
 *   `messaging.operation`, `messaging.client_id`, `messaging.kafka.consumer.group`,
 *   `messaging.kafka.message.offset`; and v1.24's `messaging.kafka.destination.partition`, which the 1.x
 *   agent emitted (2.x emits the current `messaging.destination.partition.id`);
 * - the older names `@opentelemetry/instrumentation-amqplib` still emits by default:
 *   `messaging.destination`, `messaging.destination_kind`, `messaging.rabbitmq.routing_key`,
 *   `messaging.message_id`, `messaging.conversation_id`.
 *
 * `@opentelemetry/instrumentation-kafkajs` and `-grpc` emit current names only, which tracebridge emits
 * in both modes.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/
 * @see https://github.com/open-telemetry/semantic-conventions/blob/v1.24.0/docs/messaging/messaging-spans.md
 */
import type { AttributeValue } from '@opentelemetry/api';
import {
  ATTR_MESSAGING_CLIENT_ID,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_MESSAGE_CONVERSATION_ID,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY,
} from './semantic-attributes';

/** v1.24's operation (`publish`, `create`, `receive`, `process`); replaced by `messaging.operation.type`. */
export const ATTR_LEGACY_MESSAGING_OPERATION = 'messaging.operation';
/** v1.24's `messaging.client.id`. */
export const ATTR_LEGACY_MESSAGING_CLIENT_ID = 'messaging.client_id';
/** v1.24's `messaging.consumer.group.name` for Kafka. */
export const ATTR_LEGACY_MESSAGING_KAFKA_CONSUMER_GROUP = 'messaging.kafka.consumer.group';
/** v1.24's `messaging.kafka.offset`. */
export const ATTR_LEGACY_MESSAGING_KAFKA_MESSAGE_OFFSET = 'messaging.kafka.message.offset';
/** v1.24's `messaging.destination.partition.id` for Kafka, an integer where the new one is a string. */
export const ATTR_LEGACY_MESSAGING_KAFKA_DESTINATION_PARTITION = 'messaging.kafka.destination.partition';
/** contrib amqplib: the exchange (`''` for the default exchange). */
export const ATTR_LEGACY_MESSAGING_DESTINATION = 'messaging.destination';
/** contrib amqplib: always `'topic'`. */
export const ATTR_LEGACY_MESSAGING_DESTINATION_KIND = 'messaging.destination_kind';
/** contrib amqplib: `messaging.rabbitmq.destination.routing_key`. */
export const ATTR_LEGACY_MESSAGING_RABBITMQ_ROUTING_KEY = 'messaging.rabbitmq.routing_key';
/** contrib amqplib: `messaging.message.id`. */
export const ATTR_LEGACY_MESSAGING_MESSAGE_ID = 'messaging.message_id';
/** contrib amqplib: `messaging.message.conversation_id`. */
export const ATTR_LEGACY_MESSAGING_CONVERSATION_ID = 'messaging.conversation_id';

/** The value contrib amqplib gives `messaging.destination_kind` on every span. */
export const LEGACY_DESTINATION_KIND_TOPIC = 'topic';

/**
 * `messaging.operation` per operation type: v1.24 called a send `publish`; the other types kept their
 * names.
 */
export const LEGACY_OPERATION = Object.freeze({
  create: 'create',
  send: 'publish',
  receive: 'receive',
  process: 'process',
} as const);

/** An older name written next to a current one, with the value converted when the type changed. */
export interface LegacyRename {
  readonly name: string;
  /** Converts the current value; `undefined` writes nothing. Default: the value as it is. */
  readonly convert?: (value: AttributeValue) => AttributeValue | undefined;
}

/** Kafka partitions were integers before they became `messaging.destination.partition.id` strings. */
function partitionNumber(value: AttributeValue): AttributeValue | undefined {
  const partition = typeof value === 'string' ? Number(value) : value;
  return Number.isSafeInteger(partition) ? partition : undefined;
}

const COMMON: ReadonlyArray<readonly [string, LegacyRename]> = [
  [ATTR_MESSAGING_CLIENT_ID, { name: ATTR_LEGACY_MESSAGING_CLIENT_ID }],
];

const BY_SYSTEM: Readonly<Record<string, ReadonlyArray<readonly [string, LegacyRename]>>> = {
  kafka: [
    [ATTR_MESSAGING_CONSUMER_GROUP_NAME, { name: ATTR_LEGACY_MESSAGING_KAFKA_CONSUMER_GROUP }],
    [ATTR_MESSAGING_KAFKA_OFFSET, { name: ATTR_LEGACY_MESSAGING_KAFKA_MESSAGE_OFFSET }],
    [
      ATTR_MESSAGING_DESTINATION_PARTITION_ID,
      { name: ATTR_LEGACY_MESSAGING_KAFKA_DESTINATION_PARTITION, convert: partitionNumber },
    ],
  ],
  rabbitmq: [
    [ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY, { name: ATTR_LEGACY_MESSAGING_RABBITMQ_ROUTING_KEY }],
    [ATTR_MESSAGING_MESSAGE_ID, { name: ATTR_LEGACY_MESSAGING_MESSAGE_ID }],
    [ATTR_MESSAGING_MESSAGE_CONVERSATION_ID, { name: ATTR_LEGACY_MESSAGING_CONVERSATION_ID }],
  ],
};

/**
 * The older names of `system`'s span attributes, keyed by the current name. Systems the older
 * conventions had nothing specific for (Redis, BullMQ) get the common ones only.
 */
export function legacyRenames(system: string): ReadonlyMap<string, LegacyRename> {
  return new Map([...COMMON, ...(BY_SYSTEM[system] ?? [])]);
}
