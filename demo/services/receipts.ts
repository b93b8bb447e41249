/**
 * `receipts`: a Redis stream worker. It moves due receipt jobs onto the stream (the notifier scheduled
 * them a second ahead), and for each job renders the receipt and asks `notifier` to deliver it, over AMQP
 * request/reply (direct reply-to). The job is acknowledged once the notifier has answered.
 *
 * Each job's CONSUMER span is the child of the notifier's `schedule receipts` span, so the job, the
 * request and the reply all stay in the order's trace; the span shows the second the job was delayed
 * apart from the time it then queued.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as amqp from 'amqplib';
import { Redis } from 'ioredis';
import { traceChannel } from 'tracebridge/amqp';
import { delayedJobs, streamWorker } from 'tracebridge/redis';
import type { StreamJob } from 'tracebridge/redis';
import type { ReceiptReply, ReceiptRequest } from '../shop/receipt-messages';
import { runService } from '../shop/service-process';
import type { ShopConfig } from '../shop/shop-config';

/** RabbitMQ's pseudo-queue for replies straight to this channel's consumer. */
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
const REPLY_TIMEOUT_MS = 10_000;
const PROMOTE_INTERVAL_MS = 100;

/** Replies awaited, by correlation id. */
class PendingReplies {
  private readonly waiting = new Map<string, (reply: ReceiptReply) => void>();

  expect(correlationId: string): Promise<ReceiptReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(new Error(`no reply from notifier within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      this.waiting.set(correlationId, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  settle(correlationId: unknown, reply: ReceiptReply): void {
    if (typeof correlationId !== 'string') return;
    this.waiting.get(correlationId)?.(reply);
    this.waiting.delete(correlationId);
  }
}

function fieldsToObject(fields: readonly string[]): Record<string, string> {
  const object: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) object[fields[i]!] = fields[i + 1]!;
  return object;
}

async function start(config: ShopConfig) {
  const connection = await amqp.connect(config.amqpUrl);
  const channel = traceChannel(await connection.createChannel());
  const replies = new PendingReplies();
  // Direct reply-to: consume the pseudo-queue (no ack) before publishing requests that name it.
  await channel.consume(
    DIRECT_REPLY_TO,
    (message) => {
      if (message === null) return;
      replies.settle(
        message.properties.correlationId,
        JSON.parse(message.content.toString()) as ReceiptReply,
      );
    },
    { noAck: true },
  );

  const requestDelivery = (request: ReceiptRequest): Promise<ReceiptReply> => {
    const correlationId = randomUUID();
    const reply = replies.expect(correlationId);
    channel.sendToQueue(config.names.receiptRequestQueue, Buffer.from(JSON.stringify(request)), {
      replyTo: DIRECT_REPLY_TO,
      correlationId,
      contentType: 'application/json',
      timestamp: Date.now(),
    });
    return reply;
  };

  const handle = async (job: StreamJob): Promise<void> => {
    const { orderId, customerId } = fieldsToObject(job.fields);
    await sleep(6); // rendering the receipt
    const receiptId = `rcp-${randomBytes(3).toString('hex')}`;
    await requestDelivery({ orderId: orderId!, customerId: customerId!, receiptId });
  };

  const redis = new Redis(config.redisUrl);
  const scheduled = delayedJobs(redis, { stream: config.names.receiptStream });
  const promoter = setInterval(() => {
    scheduled.promoteDueJobs().catch((error: unknown) => console.error('receipts: promote failed:', error));
  }, PROMOTE_INTERVAL_MS);

  // XREADGROUP BLOCK holds its connection, so the worker reads on one of its own.
  const workerRedis = redis.duplicate();
  const worker = streamWorker(workerRedis, {
    stream: config.names.receiptStream,
    group: config.names.receiptGroup,
    consumer: `receipts-${process.pid}`,
    blockMs: 200,
    handler: handle,
    onError: (error) => console.error('receipts: job failed:', error),
  });
  await worker.start();

  return {
    async stop() {
      clearInterval(promoter);
      await worker.stop();
      await channel.close();
      await connection.close();
      await workerRedis.quit();
      await redis.quit();
    },
  };
}

runService({ name: 'receipts', start });
