/**
 * Attribute and metric names from the OpenTelemetry semantic conventions (messaging, v1.44).
 *
 * They are spelled out here rather than imported: the messaging conventions live in the *incubating*
 * entry point of `@opentelemetry/semantic-conventions`, which its authors advise against depending on at
 * run time, and tracebridge's only run-time OpenTelemetry dependency is the API. A unit test checks
 * every name below against the semantic-conventions package, so a drift fails the build.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/
 */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const ATTR_MESSAGING_DESTINATION_TEMPLATE = 'messaging.destination.template';
export const ATTR_MESSAGING_DESTINATION_TEMPORARY = 'messaging.destination.temporary';
export const ATTR_MESSAGING_DESTINATION_ANONYMOUS = 'messaging.destination.anonymous';
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const ATTR_MESSAGING_CLIENT_ID = 'messaging.client.id';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_MESSAGE_CONVERSATION_ID = 'messaging.message.conversation_id';
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
export const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const ATTR_MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key';
export const ATTR_MESSAGING_KAFKA_MESSAGE_TOMBSTONE = 'messaging.kafka.message.tombstone';
export const ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY = 'messaging.rabbitmq.destination.routing_key';
export const ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG = 'messaging.rabbitmq.message.delivery_tag';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_ERROR_TYPE = 'error.type';

export const METRIC_MESSAGING_CLIENT_OPERATION_DURATION = 'messaging.client.operation.duration';
export const METRIC_MESSAGING_CLIENT_SENT_MESSAGES = 'messaging.client.sent.messages';
export const METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES = 'messaging.client.consumed.messages';
export const METRIC_MESSAGING_PROCESS_DURATION = 'messaging.process.duration';

/**
 * tracebridge's own attributes and metrics, for facts the conventions have no name for. They live under
 * `tracebridge.` so they can never collide with a future convention.
 */
export const ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS = 'tracebridge.messaging.time_in_queue_ms';
export const ATTR_TRACEBRIDGE_SETTLE_OUTCOME = 'tracebridge.messaging.settle.outcome';
export const ATTR_TRACEBRIDGE_SETTLE_REQUEUE = 'tracebridge.messaging.settle.requeue';
export const ATTR_TRACEBRIDGE_INCOMING_POLICY = 'tracebridge.incoming.policy';
/** With `signing` configured: `'valid'`, or why the inbound context failed verification. */
export const ATTR_TRACEBRIDGE_TRUST_SIGNATURE = 'tracebridge.trust.signature';
/** On the verification failure counter: why the context failed (see `SignatureFailure`). */
export const ATTR_TRACEBRIDGE_TRUST_FAILURE_REASON = 'tracebridge.trust.failure_reason';
/** Counter of inbound contexts that failed signature verification. */
export const METRIC_TRACEBRIDGE_TRUST_VERIFICATION_FAILURES = 'tracebridge.trust.verification_failures';
export const METRIC_TRACEBRIDGE_TIME_IN_QUEUE = 'tracebridge.messaging.time_in_queue';
/**
 * Which delivery attempt of a message this processing is, from 1: a Kafka retry header, an AMQP
 * redelivery or `x-death` count, a Redis stream entry's delivery count.
 */
export const ATTR_TRACEBRIDGE_ATTEMPT = 'tracebridge.messaging.attempt';
/** Messages the consumer is behind the partition's high watermark when it receives a batch. */
export const ATTR_TRACEBRIDGE_CONSUMER_LAG = 'tracebridge.messaging.consumer_lag';
export const METRIC_TRACEBRIDGE_CONSUMER_LAG = 'tracebridge.messaging.consumer_lag';
/** How long a delayed job waited for its due time, before it was enqueued for processing (ms). */
export const ATTR_TRACEBRIDGE_DELAY_MS = 'tracebridge.messaging.delay_ms';
/** Kafka: how a transaction ended, `commit` or `abort`; and how many topics a `sendOffsets` covered. */
export const ATTR_TRACEBRIDGE_KAFKA_TRANSACTION_OUTCOME = 'tracebridge.messaging.kafka.transaction.outcome';
export const ATTR_TRACEBRIDGE_KAFKA_OFFSET_TOPICS = 'tracebridge.messaging.kafka.offset_topics';
/** AMQP: the broker's `redelivered` flag of the delivery. */
export const ATTR_TRACEBRIDGE_RABBITMQ_REDELIVERED = 'tracebridge.messaging.rabbitmq.redelivered';
/** AMQP: from the `x-death` header of a dead-lettered message, its count and reason. */
export const ATTR_TRACEBRIDGE_RABBITMQ_DEATH_COUNT = 'tracebridge.messaging.rabbitmq.death_count';
export const ATTR_TRACEBRIDGE_RABBITMQ_DEATH_REASON = 'tracebridge.messaging.rabbitmq.death_reason';

/**
 * RPC names (gRPC), from the same conventions.
 * @see https://opentelemetry.io/docs/specs/semconv/rpc/grpc/
 */
export const ATTR_RPC_SYSTEM = 'rpc.system';
export const ATTR_RPC_SERVICE = 'rpc.service';
export const ATTR_RPC_METHOD = 'rpc.method';
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';
export const ATTR_RPC_MESSAGE_TYPE = 'rpc.message.type';
export const ATTR_RPC_MESSAGE_ID = 'rpc.message.id';
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
export const ATTR_NETWORK_PEER_PORT = 'network.peer.port';
export const METRIC_RPC_CLIENT_CALL_DURATION = 'rpc.client.call.duration';
export const METRIC_RPC_SERVER_CALL_DURATION = 'rpc.server.call.duration';
/** Per-call message counts of streaming calls; the conventions count them only as metrics. */
export const ATTR_TRACEBRIDGE_RPC_MESSAGES_SENT = 'tracebridge.rpc.messages_sent';
export const ATTR_TRACEBRIDGE_RPC_MESSAGES_RECEIVED = 'tracebridge.rpc.messages_received';

/**
 * End-to-end latency: the time from the start of the request a message or call belongs to (its pipeline's
 * origin) until its processing starts, in ms on the span and seconds on the histogram; and the hop the
 * message or call is at since that origin (1 for the first).
 */
export const ATTR_TRACEBRIDGE_END_TO_END_MS = 'tracebridge.messaging.end_to_end_ms';
export const ATTR_TRACEBRIDGE_HOPS = 'tracebridge.messaging.hops';
export const METRIC_TRACEBRIDGE_END_TO_END_DURATION = 'tracebridge.messaging.end_to_end.duration';
export const ATTR_TRACEBRIDGE_RPC_END_TO_END_MS = 'tracebridge.rpc.end_to_end_ms';
export const ATTR_TRACEBRIDGE_RPC_HOPS = 'tracebridge.rpc.hops';
export const METRIC_TRACEBRIDGE_RPC_END_TO_END_DURATION = 'tracebridge.rpc.end_to_end.duration';
