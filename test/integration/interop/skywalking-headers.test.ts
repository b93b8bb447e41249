/**
 * Mixed fleets: a SkyWalking agent's headers (`sw8`, `sw8-correlation`, `sw8-x`) on a message or call that
 * also goes through tracebridge. tracebridge neither reads nor rewrites them: a Kafka message, a RabbitMQ
 * message and gRPC metadata carrying them arrive at the consumer or handler with them unchanged, next to
 * tracebridge's own context, which still continues the trace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { ConsumeMessage } from 'amqplib';
import { traceChannel } from '../../../src/amqp/index';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { traceConsumer, traceProducer } from '../../../src/kafka/index';
import { AMQP_CLIENTS, openFixture } from '../../helpers/amqp-broker';
import type { AmqpFixture } from '../../helpers/amqp-broker';
import { startKafkaFixture, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { exportedSpan } from '../../helpers/peer-assertions';
import { ordersClient, placeOrder, startOrdersServer } from '../../helpers/orders-fixture';
import { assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 60_000 };
const b64 = (text: string): string => Buffer.from(text).toString('base64');

/**
 * Headers as a SkyWalking agent sets them (Cross Process Propagation Headers Protocol v3): sample flag,
 * trace id, parent segment id, parent span id, service, instance, endpoint and target address, the
 * strings Base64-encoded; plus correlation and extension headers.
 */
const SKYWALKING_HEADERS = {
  sw8: [
    '1',
    b64('a3b9f1d2e4c5.101.17120000000000001'),
    b64('a3b9f1d2e4c5.101.17120000000000000'),
    '3',
    b64('checkout'),
    b64('checkout-7f9c@10.0.0.7'),
    b64('/orders/place'),
    b64('orders:9092'),
  ].join('-'),
  'sw8-correlation': `${b64('tenant')}:${b64('acme')}`,
  'sw8-x': '1-1712000000000',
} as const;

describe('SkyWalking sw8 headers pass through tracebridge untouched', () => {
  let tracing: TestTracing;
  let kafka: KafkaFixture;
  let amqp: AmqpFixture;

  before(async () => {
    tracing = setupTracing('w3c');
    [kafka, amqp] = await Promise.all([startKafkaFixture('nodefleet-sw8'), openFixture(AMQP_CLIENTS[0]!)]);
  });
  after(async () => {
    await Promise.allSettled([kafka?.close(), amqp?.close()]);
    await tracing.shutdown();
  });

  it('Kafka: the consumer gets the sw8 headers as produced', TIMEOUT, async () => {
    const [topic] = (await kafka.createTopics(['nodefleet-sw8'])) as [string];
    const producer = traceProducer(await kafka.producer());
    await producer.send({ topic, messages: [{ value: 'order', headers: { ...SKYWALKING_HEADERS } }] });
    const consumer = traceConsumer(await kafka.consumer([topic]));
    const received: KafkaMessage[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
    const processed = await exportedSpan(tracing, `process ${topic}`, SpanKind.CONSUMER);
    await consumer.stop();

    for (const [key, value] of Object.entries(SKYWALKING_HEADERS))
      assert.equal(received[0]!.headers?.[key]?.toString(), value, `${key} unchanged`);
    assertChildOf(processed, tracing.span(`send ${topic}`));
  });

  it('RabbitMQ: the consumer gets the sw8 headers as published', TIMEOUT, async () => {
    const queue = await amqp.queue('nodefleet-sw8');
    const channel = traceChannel(await amqp.connection.createChannel());
    const received: ConsumeMessage[] = [];
    await channel.consume(queue, (message) => {
      if (message === null) return;
      received.push(message);
      channel.ack(message);
    });
    channel.sendToQueue(queue, Buffer.from('order'), { headers: { ...SKYWALKING_HEADERS } });
    await waitUntil('the delivery', () => received.length === 1);
    const processed = await exportedSpan(tracing, `process ${queue}`, SpanKind.CONSUMER);
    await channel.close();

    const headers = received[0]!.properties.headers ?? {};
    for (const [key, value] of Object.entries(SKYWALKING_HEADERS))
      assert.equal(headers[key], value, `${key} unchanged`);
    assertChildOf(processed, tracing.span(`publish ${queue}`));
  });

  it('gRPC: the handler gets the sw8 metadata as sent', TIMEOUT, async () => {
    let seen: Metadata | undefined;
    const server = await startOrdersServer([grpcServerInterceptor()], undefined, (_method, metadata) => {
      seen = metadata;
    });
    const client = ordersClient(server.address, [grpcClientInterceptor()]);
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(SKYWALKING_HEADERS)) metadata.set(key, value);
    try {
      await placeOrder(client, 'sku-sw8', metadata);
    } finally {
      client.close();
      await server.close();
    }

    for (const [key, value] of Object.entries(SKYWALKING_HEADERS))
      assert.deepEqual(seen?.get(key), [value], `${key} unchanged`);
    assertChildOf(
      tracing.span('shop.v1.Orders/PlaceOrder', SpanKind.SERVER),
      tracing.span('shop.v1.Orders/PlaceOrder', SpanKind.CLIENT),
    );
  });
});
