/**
 * `notifier`: a RabbitMQ worker.
 *
 * - For each `order.reserved` delivery it asks `orders` for the order's details over gRPC and schedules
 *   the receipt job on a Redis stream, due about a second later. The mail provider fails the first
 *   notification of some customers (`failOnceCustomers`): that delivery is rejected, waits in the retry
 *   queue and comes back as attempt 2, in the same trace.
 * - It answers `receipts`' requests to deliver a receipt (AMQP request/reply): it "mails" the receipt,
 *   marks the order completed in `orders`, and replies to the request's `replyTo` with its
 *   `correlationId`, so the reply continues the trace.
 *
 * Every delivery is settled through the traced channel, which ends its CONSUMER span.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import * as amqp from 'amqplib';
import { Redis } from 'ioredis';
import { readDeliveryAttempt, traceChannel } from 'tracebridge/amqp';
import { delayedJobs } from 'tracebridge/redis';
import { createOrdersClient } from '../shop/orders-api';
import type { Order } from '../shop/orders-api';
import type { ReceiptReply, ReceiptRequest } from '../shop/receipt-messages';
import { runService } from '../shop/service-process';
import type { ShopConfig } from '../shop/shop-config';
import { assertNotifierQueues } from '../shop/shop-topology';

class MailProviderTimeout extends Error {
  override readonly name = 'MailProviderTimeout';
}

/** Runs handlers and remembers the ones still running, so `stop` can wait for them. */
class InFlight {
  private readonly running = new Set<Promise<void>>();

  run(work: () => Promise<void>): Promise<void> {
    const promise = work().finally(() => this.running.delete(promise));
    this.running.add(promise);
    return promise;
  }

  async drained(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}

async function start(config: ShopConfig) {
  const orders = createOrdersClient(`127.0.0.1:${config.ordersPort}`);
  const redis = new Redis(config.redisUrl);
  const receiptJobs = delayedJobs(redis, { stream: config.names.receiptStream });
  const connection = await amqp.connect(config.amqpUrl);
  const channel = traceChannel(await connection.createChannel());
  await assertNotifierQueues(channel, config.names, config.retryDelayMs);
  await channel.prefetch(10);
  const inFlight = new InFlight();
  const failOnce = new Set(config.failOnceCustomers);

  const notify = async (message: amqp.ConsumeMessage): Promise<void> => {
    const { orderId } = JSON.parse(message.content.toString()) as Order;
    const order = await orders.getOrder(orderId);
    const { attempt } = readDeliveryAttempt(message.fields.redelivered, message.properties.headers);
    await sleep(3); // rendering the notification
    if (failOnce.has(order.customerId) && attempt === 1) {
      throw new MailProviderTimeout(`the mail provider timed out notifying ${order.customerId}`);
    }
    await receiptJobs.schedule(
      { orderId: order.orderId, customerId: order.customerId },
      { delayMs: config.receiptDelayMs },
    );
  };

  const onReserved = (message: amqp.ConsumeMessage | null): void => {
    if (message === null) return; // the broker cancelled the consumer
    void inFlight.run(() =>
      notify(message).then(
        () => channel.ack(message),
        (error: unknown) => {
          // The delivery's span (active here) shows why; rejecting dead-letters it to the retry queue.
          const span = trace.getActiveSpan();
          span?.recordException(error instanceof Error ? error : String(error));
          span?.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          channel.nack(message, false, false);
        },
      ),
    );
  };

  const deliverReceipt = async (message: amqp.ConsumeMessage): Promise<void> => {
    const request = JSON.parse(message.content.toString()) as ReceiptRequest;
    await sleep(8); // handing the mail to the provider
    await orders.completeOrder(request.orderId, request.receiptId);
    const reply: ReceiptReply = { delivered: true, orderId: request.orderId };
    channel.sendToQueue(message.properties.replyTo as string, Buffer.from(JSON.stringify(reply)), {
      correlationId: message.properties.correlationId as string,
      contentType: 'application/json',
      timestamp: Date.now(),
    });
  };

  const onReceiptRequest = (message: amqp.ConsumeMessage | null): void => {
    if (message === null) return;
    void inFlight.run(() =>
      deliverReceipt(message).then(
        () => channel.ack(message),
        () => channel.nack(message, false, false), // the requester times out and its job is retried
      ),
    );
  };

  const consumers = [
    await channel.consume(config.names.notifierQueue, onReserved),
    await channel.consume(config.names.receiptRequestQueue, onReceiptRequest),
  ];

  return {
    async stop() {
      for (const { consumerTag } of consumers) await channel.cancel(consumerTag);
      await inFlight.drained();
      await channel.close();
      await connection.close();
      await redis.quit();
      orders.close();
    },
  };
}

runService({ name: 'notifier', start });
