/**
 * The RabbitMQ topology of the shop. Each service asserts what it uses (assertions are idempotent), and
 * the runner asserts all of it before the services start so it can purge what a previous run left.
 *
 * Retries use the usual dead-letter loop: `notifier` rejects a delivery without requeueing; the broker
 * dead-letters it to the retry exchange, whose queue holds it for `retryDelayMs` (a per-queue TTL) and
 * then dead-letters it back to the notifier's queue through the default exchange. The message keeps its
 * headers, trace context included, and gains an `x-death` entry per hop, from which tracebridge reads the
 * attempt.
 */
import type { ShopResourceNames } from './shop-config';

/** The part of an amqplib channel the topology needs. */
export interface TopologyChannel {
  assertExchange(exchange: string, type: string, options?: object): Promise<unknown>;
  assertQueue(queue: string, options?: object): Promise<unknown>;
  bindQueue(queue: string, source: string, pattern: string): Promise<unknown>;
}

/** The exchanges publishers need. */
export async function assertShopExchanges(channel: TopologyChannel, names: ShopResourceNames): Promise<void> {
  await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
  await channel.assertExchange(names.retryExchange, 'fanout', { durable: true });
}

/** The notifier's queues: reservations with their retry loop, and receipt requests. */
export async function assertNotifierQueues(
  channel: TopologyChannel,
  names: ShopResourceNames,
  retryDelayMs: number,
): Promise<void> {
  await assertShopExchanges(channel, names);
  await channel.assertQueue(names.notifierQueue, {
    durable: true,
    arguments: { 'x-dead-letter-exchange': names.retryExchange },
  });
  await channel.bindQueue(names.notifierQueue, names.eventsExchange, names.reservedRoutingKey);
  await channel.assertQueue(names.retryQueue, {
    durable: true,
    arguments: {
      'x-message-ttl': retryDelayMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': names.notifierQueue,
    },
  });
  await channel.bindQueue(names.retryQueue, names.retryExchange, '');
  await channel.assertQueue(names.receiptRequestQueue, { durable: true });
}
