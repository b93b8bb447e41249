/**
 * `messaging.destination.name` for RabbitMQ, as the semantic conventions (v1.44) define it, and the traits
 * of destinations whose names are made up at runtime (reply queues), which must stay out of span names.
 * @see https://opentelemetry.io/docs/specs/semconv/messaging/rabbitmq/
 */
import type { Span } from '@opentelemetry/api';
import type { DestinationTraits } from '../core/destination-traits';
import {
  ATTR_LEGACY_MESSAGING_DESTINATION,
  ATTR_LEGACY_MESSAGING_DESTINATION_KIND,
  LEGACY_DESTINATION_KIND_TOPIC,
} from '../core/legacy-attributes';

/** The name the conventions give the default (nameless) exchange when nothing else names the destination. */
export const DEFAULT_EXCHANGE_NAME = 'amq.default';

/** The pseudo-queue of RabbitMQ's direct reply-to; replies are routed to `amq.rabbitmq.reply-to.<suffix>`. */
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
/** The prefix of the names the broker gives direct reply-to queues. */
const DIRECT_REPLY_TO_PREFIX = `${DIRECT_REPLY_TO}.`;

/**
 * The destination of a publish: `{exchange}:{routing key}` when both are non-empty, whichever one is when only
 * one is (`sendToQueue('orders')` publishes to `orders`), and `amq.default` for the default exchange with no
 * routing key.
 */
export function publishDestination(exchange: string, routingKey: string): string {
  if (exchange === '') return routingKey === '' ? DEFAULT_EXCHANGE_NAME : routingKey;
  return routingKey === '' ? exchange : `${exchange}:${routingKey}`;
}

/**
 * The destination of a delivery: `{exchange}:{routing key}:{queue}`, leaving out what is empty (the default
 * exchange, a fanout's routing key) and naming the queue once when the routing key is the queue (messages
 * sent straight to a queue, and direct reply-to, whose routing key is the pseudo-queue plus a suffix).
 */
export function consumeDestination(exchange: string, routingKey: string, queue: string): string {
  const sameAsQueue =
    routingKey === queue || (queue === DIRECT_REPLY_TO && routingKey.startsWith(`${DIRECT_REPLY_TO}.`));
  const parts: string[] = [];
  if (exchange !== '') parts.push(exchange);
  if (routingKey !== '' && !sameAsQueue) parts.push(routingKey);
  if (queue !== '') parts.push(queue);
  return parts.length > 0 ? parts.join(':') : DEFAULT_EXCHANGE_NAME;
}

/** Prefix of the names RabbitMQ gives queues declared without one. */
const SERVER_NAMED_QUEUE_PREFIX = 'amq.gen-';

const DIRECT_REPLY_TO_TRAITS: DestinationTraits = Object.freeze({
  template: DIRECT_REPLY_TO,
  temporary: true,
});
const SERVER_NAMED_TRAITS: DestinationTraits = Object.freeze({ temporary: true, anonymous: true });

function queueTraits(queue: string): DestinationTraits | undefined {
  if (queue === DIRECT_REPLY_TO || queue.startsWith(DIRECT_REPLY_TO_PREFIX)) return DIRECT_REPLY_TO_TRAITS;
  if (queue.startsWith(SERVER_NAMED_QUEUE_PREFIX)) return SERVER_NAMED_TRAITS;
  return undefined;
}

/**
 * The traits of a publish's destination: a reply through direct reply-to (`amq.rabbitmq.reply-to.<suffix>`)
 * or to a server-named queue (`amq.gen-…`), both sent through the default exchange. `undefined` for
 * every other destination: its name is stable.
 */
export function publishDestinationTraits(
  exchange: string,
  routingKey: string,
): DestinationTraits | undefined {
  return exchange === '' ? queueTraits(routingKey) : undefined;
}

/** The traits of a delivery's destination: consumed from direct reply-to or a server-named queue. */
export function consumeDestinationTraits(queue: string): DestinationTraits | undefined {
  return queueTraits(queue);
}

/**
 * With `semconvStability: 'duplicate'`: the destination as the contrib amqplib instrumentation records it on
 * publish and consume spans, the exchange as given (`''` for the default exchange) and the kind `topic`.
 */
export function describeLegacyDestination(span: Span, exchange: string): void {
  span.setAttribute(ATTR_LEGACY_MESSAGING_DESTINATION, exchange);
  span.setAttribute(ATTR_LEGACY_MESSAGING_DESTINATION_KIND, LEGACY_DESTINATION_KIND_TOPIC);
}
