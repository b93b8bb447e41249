// A five-hop pipeline through the real brokers, one trace and one origin: an HTTP ingress calls gRPC
// (hop 1), whose handler sends to Kafka (hop 2), whose consumer publishes to RabbitMQ (hop 3), whose
// consumer adds a Redis stream job (hop 4), whose processing calls gRPC again (hop 5). Each hop's
// end-to-end latency is at least the previous hop's, and each carries one hop more.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { traceChannel } from '../../src/amqp/index';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../src/grpc/index';
import { traceConsumer, traceProducer } from '../../src/kafka/index';
import { streamConsumer, streamProducer } from '../../src/redis/index';
import { AMQP_CLIENTS, deferred, openFixture } from '../helpers/amqp-broker';
import type { AmqpFixture } from '../helpers/amqp-broker';
import {
  atIngress,
  END_TO_END_METRIC,
  endToEndOf,
  histogramPoints,
  pointWith,
  RPC_END_TO_END_METRIC,
} from '../helpers/end-to-end';
import { startKafkaFixture, waitUntil } from '../helpers/kafka-fixture';
import type { KafkaFixture } from '../helpers/kafka-fixture';
import { ordersClient, placeOrder, startOrdersServer } from '../helpers/orders-fixture';
import type { RunningServer } from '../helpers/orders-fixture';
import { connectRedis, uniqueKey } from '../helpers/redis-clients';
import type { TestRedis } from '../helpers/redis-clients';
import { setupMetrics, setupTracing } from '../helpers/tracing';
import type { TestMetrics, TestTracing } from '../helpers/tracing';

const GROUP = 'e2e-chain';

describe('end-to-end latency over five hops: gRPC -> Kafka -> RabbitMQ -> Redis -> gRPC', () => {
  let tracing: TestTracing;
  let meters: TestMetrics;
  let kafka: KafkaFixture;
  let amqp: AmqpFixture;
  let redis: TestRedis;
  const servers: RunningServer[] = [];
  let stream: string;

  before(async () => {
    tracing = setupTracing('w3c');
    meters = setupMetrics();
    kafka = await startKafkaFixture('tracebridge-e2e-chain');
    amqp = await openFixture(AMQP_CLIENTS[0]!);
    redis = await connectRedis('ioredis5-resp2');
    stream = uniqueKey('e2e-chain');
    await redis.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM');
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await redis.del(stream);
    redis.disconnect();
    await amqp.close();
    await kafka.close();
    await meters.shutdown();
    await tracing.shutdown();
  });

  it(
    'each hop carries one hop more and a latency at least the previous one',
    { timeout: 90_000 },
    async () => {
      const [topic] = await kafka.createTopics(['e2e-chain']);
      const queue = await amqp.queue('e2e-chain');
      const producer = traceProducer(await kafka.producer());
      const channel = traceChannel(await amqp.connection.createChannel());
      const jobs = streamProducer(redis, { stream });

      // Hop 5: the last server.
      const last = await startOrdersServer([grpcServerInterceptor()]);
      servers.push(last);
      const lastClient = ordersClient(last.address, [grpcClientInterceptor()]);
      // Hop 1: the first server sends to Kafka.
      const first = await startOrdersServer([grpcServerInterceptor()], async () => {
        await producer.send({ topic: topic!, messages: [{ value: 'order' }] });
      });
      servers.push(first);
      // Hop 2: Kafka -> RabbitMQ.
      const consumer = traceConsumer(await kafka.consumer([topic!]));
      await consumer.run({
        eachMessage: async () => {
          channel.sendToQueue(queue, Buffer.from('ship'));
        },
      });
      // Hop 3: RabbitMQ -> Redis stream; hop 4: the job calls gRPC.
      const done = deferred<void>();
      await channel.consume(queue, (message) => {
        if (message === null) return;
        void jobs.add({ task: 'receipt' }).then(() => channel.ack(message));
      });
      const worker = streamConsumer(redis, { group: GROUP, consumer: 'w' });
      const poll = (async () => {
        for (;;) {
          const reply = await redis.callBuffer(
            'XREADGROUP',
            'GROUP',
            GROUP,
            'w',
            'COUNT',
            10,
            'BLOCK',
            200,
            'STREAMS',
            stream,
            '>',
          );
          if (reply === null) continue;
          await worker.processRead(reply, () => placeOrder(lastClient, 'receipt'));
          done.resolve();
          return;
        }
      })();

      await atIngress(tracing, 100, () =>
        placeOrder(ordersClient(first.address, [grpcClientInterceptor()]), 'o1'),
      );
      await done.promise;
      await poll;
      await consumer.stop();
      lastClient.close();
      await waitUntil('the last server span', () => serverSpans(tracing).length === 2);

      const [firstServer, lastServer] = serverSpans(tracing);
      const chain = [
        firstServer!,
        tracing.span(`process ${topic}`, SpanKind.CONSUMER),
        tracing.span(`process ${queue}`, SpanKind.CONSUMER),
        tracing.span(`process ${stream}`, SpanKind.CONSUMER),
        lastServer!,
      ];
      const hops = chain.map((span) => endToEndOf(span, span.kind === SpanKind.SERVER));
      assert.deepEqual(
        hops.map((h) => h.hops),
        [1, 2, 3, 4, 5],
      );
      for (let i = 1; i < hops.length; i++)
        assert.ok(
          hops[i]!.ms >= hops[i - 1]!.ms,
          `hop ${i + 1} (${hops[i]!.ms} ms) after hop ${i} (${hops[i - 1]!.ms} ms)`,
        );
      assert.ok(hops[0]!.ms >= 100, `hop 1: ${hops[0]!.ms} ms after the ingress`);
      const traceIds = new Set(chain.map((s) => s.spanContext().traceId));
      assert.equal(traceIds.size, 1, 'one trace from the first hop to the last');

      const messaging = await histogramPoints(meters, END_TO_END_METRIC);
      for (const [system, destination] of [
        ['kafka', topic!],
        ['rabbitmq', queue],
        ['redis', stream],
      ] as const)
        assert.equal(
          pointWith(messaging, { 'messaging.system': system, 'messaging.destination.name': destination })
            .count,
          1,
        );
      assert.equal(
        pointWith(await histogramPoints(meters, RPC_END_TO_END_METRIC), { 'rpc.method': 'PlaceOrder' }).count,
        2,
      );
    },
  );
});

function serverSpans(tracing: TestTracing): ReadableSpan[] {
  return tracing
    .spans()
    .filter((s) => s.kind === SpanKind.SERVER)
    .sort((a, b) => (endToEndOf(a, true).hops < endToEndOf(b, true).hops ? -1 : 1));
}
