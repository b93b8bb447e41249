/**
 * `inventory`: consumes `order.created` from Kafka with `eachBatch`, reserves stock for each order and
 * publishes `order.reserved` to a RabbitMQ topic exchange.
 *
 * The batch gets one span linking every message; `processBatchMessage` runs each order's work in its own
 * `process order.created` span, the child of that order's send in `orders`, so each order's trace goes on
 * here. The publish happens inside it, so the RabbitMQ message carries the same trace.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import * as amqp from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaMessage } from 'kafkajs';
import { traceChannel } from 'tracebridge/amqp';
import { processBatchMessage, traceConsumer } from 'tracebridge/kafka';
import type { Order } from '../shop/orders-api';
import { runService } from '../shop/service-process';
import type { ShopConfig } from '../shop/shop-config';
import { assertShopExchanges } from '../shop/shop-topology';

const GROUP_JOIN_TIMEOUT_MS = 60_000;
const tracer = trace.getTracer('shop-inventory');

async function start(config: ShopConfig) {
  const connection = await amqp.connect(config.amqpUrl);
  const channel = traceChannel(await connection.createConfirmChannel());
  await assertShopExchanges(channel, config.names);
  const stock = new Map<string, number>();

  /** The service's own work, as an INTERNAL span inside the message's process span. */
  const reserve = (order: Order): Promise<void> =>
    tracer.startActiveSpan('reserve stock', async (span) => {
      try {
        span.setAttribute('shop.sku', order.sku);
        await sleep(5 + order.quantity); // looking the stock up
        stock.set(order.sku, (stock.get(order.sku) ?? 100) - order.quantity);
      } finally {
        span.end();
      }
    });

  const publishReserved = (order: Order): Promise<void> =>
    new Promise((resolve, reject) => {
      channel.publish(
        config.names.eventsExchange,
        config.names.reservedRoutingKey,
        Buffer.from(JSON.stringify(order)),
        // A millisecond timestamp, so the consumer's time in queue is exact (AMQP's own is in seconds).
        {
          persistent: true,
          contentType: 'application/json',
          messageId: order.orderId,
          timestamp: Date.now(),
        },
        // amqplib calls back with an Error when the broker nacks the message.
        (error: Error | null) => (error ? reject(error) : resolve()),
      );
    });

  const handle = async (message: KafkaMessage): Promise<void> => {
    const order = JSON.parse(message.value?.toString() ?? '{}') as Order;
    await reserve(order);
    await publishReserved(order);
  };

  const kafka = new Kafka({
    clientId: 'inventory',
    brokers: [...config.kafkaBrokers],
    logLevel: logLevel.WARN,
  });
  const consumer = traceConsumer(kafka.consumer({ groupId: config.names.inventoryGroup }));
  await consumer.connect();
  await consumer.subscribe({ topics: [config.names.orderCreatedTopic] });
  const joined = new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.GROUP_JOIN, () => resolve());
    setTimeout(
      () => reject(new Error('inventory did not join its Kafka group')),
      GROUP_JOIN_TIMEOUT_MS,
    ).unref();
  });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      for (const message of payload.batch.messages) {
        if (!payload.isRunning() || payload.isStale()) break;
        await processBatchMessage(payload, message, () => handle(message));
        payload.resolveOffset(message.offset);
        await payload.heartbeat();
      }
    },
  });
  await joined;

  return {
    async stop() {
      // Waits for the batch in hand, then leaves the group.
      await consumer.disconnect();
      await channel.close();
      await connection.close();
    },
  };
}

runService({ name: 'inventory', start });
