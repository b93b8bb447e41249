/**
 * `tracebridge/amqp`: a traced drop-in for amqplib's promise-API `Channel` and `ConfirmChannel`
 * (amqplib 0.10.x, 1.x and 2.x).
 *
 * A separate entry point, so that an application without RabbitMQ never needs amqplib or its type
 * definitions. amqplib itself is never loaded by tracebridge: it traces the channel you give it.
 * @packageDocumentation
 */
export { pendingSettles, traceChannel } from './trace-channel';
export type { AmqpConsumeInfo, AmqpPublishInfo, AmqpTracingOptions } from './amqp-options';
export { DEFAULT_AMQP_TRACING_OPTIONS } from './amqp-options';
export type {
  AmqpChannel,
  AmqpConsumeCallback,
  AmqpConsumeOptions,
  AmqpGetOptions,
  AmqpMessage,
  AmqpMessageFields,
  AmqpMessageProperties,
  AmqpPublishOptions,
} from './amqp-types';
export { consumeDestination, publishDestination } from './amqp-destination';
export type { DeliveryAttempt } from './delivery-attempt';
export { readDeliveryAttempt } from './delivery-attempt';
export { enqueueTimeMs } from './message-timestamp';
