import type { Span } from '@opentelemetry/api';
import { logger, safely } from '../core/diagnostics';
import type { DestinationTraits } from '../core/destination-traits';
import type { IncomingSubject } from '../core/trust-policy';
import type { MessagingSpan } from '../core/messaging-span';
import { isPromiseLike } from '../core/promise-like';
import {
  ATTR_MESSAGING_MESSAGE_CONVERSATION_ID,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY,
  ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG,
  ATTR_TRACEBRIDGE_ATTEMPT,
  ATTR_TRACEBRIDGE_RABBITMQ_DEATH_COUNT,
  ATTR_TRACEBRIDGE_RABBITMQ_DEATH_REASON,
  ATTR_TRACEBRIDGE_RABBITMQ_REDELIVERED,
} from '../core/semantic-attributes';
import type { SettleOutcome } from '../core/settle-outcome';
import { amqpHeadersCarrier } from '../propagation/amqp-headers-carrier';
import type { AmqpChannelConfig } from './amqp-config';
import type { AmqpConsumeInfo } from './amqp-options';
import { consumeDestination, consumeDestinationTraits, describeLegacyDestination } from './amqp-destination';
import type { AmqpConsumeCallback, AmqpMessage } from './amqp-types';
import { readDeliveryAttempt } from './delivery-attempt';
import { enqueueTimeMs } from './message-timestamp';
import { nameOf } from './publish-tracing';

const CANCELLED_BY_BROKER: SettleOutcome = { kind: 'cancelled', reason: 'the broker cancelled the consumer' };
const CANCELLED_BY_CALLER: SettleOutcome = { kind: 'cancelled', reason: 'the consumer was cancelled' };

/**
 * Wraps a consumer callback: each delivery gets a CONSUMER `process` span, parented to the publisher's
 * context (per the trust policy), and the callback runs inside it. The span waits in the channel's tracker
 * for the delivery's ack, nack or reject; with `noAck` nothing waits and the span ends when the callback
 * returns or its promise settles. A span that is inert (see `MessagingSpan.inert`: not sampled, no live
 * metrics) has no settle outcome to record: it does not wait either, and ends when the callback returns.
 * `null`, amqplib's signal that the broker cancelled the consumer, ends that consumer's waiting spans and
 * is passed on. What the callback throws reaches amqplib unchanged, and a rejection stays an unhandled
 * rejection (see `MessagingSpan.runUnawaited`).
 */
export function traceConsumer(
  config: AmqpChannelConfig,
  queue: string,
  onMessage: AmqpConsumeCallback,
  noAck: boolean,
  consumerTagOption: string | undefined,
): AmqpConsumeCallback {
  // Known from the options or from the first delivery; the broker's cancel does not say which consumer.
  let consumerTag = consumerTagOption;
  const names = new DeliveryNames(queue);
  return (message) => {
    if (message === null || message === undefined) {
      const tag = consumerTag;
      if (tag !== undefined)
        safely(
          'ending a cancelled consumer’s spans',
          () => config.tracker.releaseConsumer(tag, CANCELLED_BY_BROKER),
          0,
        );
      return onMessage(message);
    }
    // Nothing registered: the callback gets the delivery as amqplib gave it, and nothing waits for its
    // settle (a delivery is untracked, which every settle handles).
    if (config.telemetry.dormant) return onMessage(message);
    const span = startDelivery(config, names, message, 'process');
    if (span === undefined) return onMessage(message);
    // A span that cannot record a settle outcome need not wait for the settle: no tracking per delivery.
    if (noAck || span.inert) return span.runUnawaitedWith(onMessage, message, true);
    const fields = message.fields;
    consumerTag = typeof fields.consumerTag === 'string' ? fields.consumerTag : consumerTag;
    config.tracker.track(consumerTag, fields.deliveryTag, span);
    return span.runUnawaitedWith(onMessage, message, false);
  };
}

/**
 * Wraps the promise of a `get`: a message it resolves with gets a CLIENT `receive` span, parented like a
 * delivery's, which waits for its settle (or ends at once with `noAck`, or when it is inert). The caller
 * gets a promise that resolves with amqplib's result, or rejects with amqplib's error, after the span has
 * started; a result that is not a promise (the callback API) is returned untouched and not traced.
 */
export function traceGet(config: AmqpChannelConfig, queue: string, noAck: boolean, result: unknown): unknown {
  if (!isPromiseLike(result)) return result;
  return result.then((message: unknown) => {
    if (isMessage(message)) {
      const span = startDelivery(config, new DeliveryNames(queue), message, 'receive');
      if (span !== undefined) {
        if (noAck || span.inert) span.end();
        else
          safely(
            'tracking a pulled message',
            () => config.tracker.track(undefined, message.fields.deliveryTag, span),
            undefined,
          );
      }
    }
    return message;
  });
}

/**
 * Wraps the promise of `cancel(consumerTag)`: once the broker confirms the cancel (after which nothing more
 * is delivered to the consumer), that consumer's waiting spans end as `cancelled`. The caller gets a promise
 * with amqplib's result or error; a result that is not a promise is returned untouched.
 */
export function traceCancel(config: AmqpChannelConfig, consumerTag: unknown, result: unknown): unknown {
  if (!isPromiseLike(result) || typeof consumerTag !== 'string') return result;
  return result.then((reply: unknown) => {
    safely(
      'ending a cancelled consumer’s spans',
      () => config.tracker.releaseConsumer(consumerTag, CANCELLED_BY_CALLER),
      0,
    );
    return reply;
  });
}

/**
 * The names of one consumer's deliveries: its queue's, and per exchange and routing key the destination
 * and the subject of the trust policy. A consumer's deliveries nearly always repeat the last pair, so the
 * last one's names are kept rather than joined and allocated again for every message.
 */
class DeliveryNames {
  readonly queue: string;
  readonly traits: DestinationTraits | undefined;
  /** `messaging.destination.name` of the last delivery given to {@link update}. */
  destination = '';
  /** The trust policy's subject of the last delivery given to {@link update}. */
  subject: IncomingSubject = { name: '' };
  readonly #queueName: string;
  #known = false;
  #exchange: unknown;
  #routingKey: unknown;

  constructor(queue: string) {
    this.queue = queue;
    this.#queueName = nameOf(queue);
    this.traits = consumeDestinationTraits(this.#queueName);
  }

  /** Makes `destination` and `subject` those of a delivery with these `fields`. */
  update(fields: AmqpMessage['fields']): void {
    if (this.#known && fields.exchange === this.#exchange && fields.routingKey === this.#routingKey) return;
    this.#known = true;
    this.#exchange = fields.exchange;
    this.#routingKey = fields.routingKey;
    const exchange = nameOf(fields.exchange);
    this.destination = consumeDestination(exchange, nameOf(fields.routingKey), this.#queueName);
    // Rules match the queue and the exchange, names the operator controls, never the routing key.
    this.subject = Object.freeze({ name: this.#queueName, exchange });
  }
}

/** Starts the span of one delivery or pulled message; `undefined` only if something unforeseen threw. */
function startDelivery(
  config: AmqpChannelConfig,
  names: DeliveryNames,
  message: AmqpMessage,
  operation: 'process' | 'receive',
): MessagingSpan | undefined {
  // Inline rather than through `safely`: this runs for every delivery, and a closure each adds up.
  try {
    const { fields, properties } = message;
    names.update(fields);
    return config.telemetry.startProcess({
      destination: names.destination,
      destinationTraits: names.traits,
      incomingSubject: names.subject,
      operationType: operation,
      carrier: amqpHeadersCarrier,
      headers: properties.headers,
      enqueueTimeMs: enqueueTimeMs(properties.timestamp),
      describe:
        config.telemetry.semconvStability === 'duplicate' ? describeDeliveryAlsoLegacy : describeDelivery,
      info: { queue: names.queue, message, operation },
    });
  } catch (error) {
    logger.error(`starting a ${operation} span failed; tracing skips this step`, error);
    return undefined;
  }
}

/** {@link describeDelivery}, plus the older names of the destination (`semconvStability: 'duplicate'`). */
function describeDeliveryAlsoLegacy(span: Span, info: AmqpConsumeInfo): void {
  describeDelivery(span, info);
  describeLegacyDestination(span, nameOf(info.message.fields.exchange));
}

/** One function for every delivery (the message comes as the span's info), not a closure over each. */
function describeDelivery(span: Span, { message }: AmqpConsumeInfo): void {
  const { fields, properties } = message;
  if (typeof fields.routingKey === 'string' && fields.routingKey !== '')
    span.setAttribute(ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY, fields.routingKey);
  if (typeof fields.deliveryTag === 'number')
    span.setAttribute(ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG, fields.deliveryTag);
  const { messageId, correlationId } = properties;
  if (typeof messageId === 'string' && messageId !== '')
    span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, messageId);
  if (typeof correlationId === 'string' && correlationId !== '')
    span.setAttribute(ATTR_MESSAGING_MESSAGE_CONVERSATION_ID, correlationId);
  // Only what sets a delivery apart from a first attempt is recorded: absent means first, and the common
  // case costs no attributes.
  const attempt = readDeliveryAttempt(fields.redelivered, properties.headers);
  if (attempt.redelivered) span.setAttribute(ATTR_TRACEBRIDGE_RABBITMQ_REDELIVERED, true);
  if (attempt.attempt > 1) span.setAttribute(ATTR_TRACEBRIDGE_ATTEMPT, attempt.attempt);
  if (attempt.deathCount !== undefined)
    span.setAttribute(ATTR_TRACEBRIDGE_RABBITMQ_DEATH_COUNT, attempt.deathCount);
  if (attempt.deathReason !== undefined)
    span.setAttribute(ATTR_TRACEBRIDGE_RABBITMQ_DEATH_REASON, attempt.deathReason);
}

function isMessage(value: unknown): value is AmqpMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { fields, properties } = value as { fields?: unknown; properties?: unknown };
  return (
    typeof fields === 'object' && fields !== null && typeof properties === 'object' && properties !== null
  );
}
