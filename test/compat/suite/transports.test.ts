/**
 * Every transport against the real brokers, with NodeSDK of the line under test and tracebridge's
 * instrumentation in its `instrumentations` list: the wrappers are created without any provider option,
 * so their spans and metrics reach the line's SDK only through what NodeSDK gave the instrumentation.
 * Each hop: the right names and kinds, one trace, the consumer or server span the child of the producer
 * or client span, which is the child of the caller's span; and its duration histograms in sdk-metrics.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SpanKind, trace } from '@opentelemetry/api';
import * as grpc from '@grpc/grpc-js';
import * as amqp from 'amqplib';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { grpcClientInterceptor, grpcServerInterceptor } from 'tracebridge/grpc';
import { traceConsumer, traceProducer } from 'tracebridge/kafka';
import { traceChannel } from 'tracebridge/amqp';
import { streamConsumer, streamProducer } from 'tracebridge/redis';
import { assertChildOf, onlySpan, startNodeSdk, uniqueName } from './nodesdk-harness';
import type { NodeSdkHarness } from './nodesdk-harness';
import { SDK_LINE } from './sdk-line';
import type { ReadableSpan } from './sdk-line';

const HOST = '127.0.0.1';
const tracer = () => trace.getTracer('tracebridge-compat-caller');

describe(
  `every transport through NodeSDK on the OpenTelemetry JS ${SDK_LINE} line`,
  { timeout: 120_000 },
  () => {
    let harness: NodeSdkHarness;
    before(() => {
      harness = startNodeSdk();
      assert.equal(
        harness.instrumentation.getConfig().enabled ?? true,
        true,
        'NodeSDK enabled the instrumentation',
      );
    });
    after(() => harness.shutdown());

    /** Runs `work` inside a caller span, as the request that starts a hop, and returns that span's id. */
    async function asCaller(name: string, work: () => Promise<unknown>): Promise<string> {
      return tracer().startActiveSpan(name, async (span) => {
        try {
          await work();
          return span.spanContext().spanId;
        } finally {
          span.end();
        }
      });
    }

    function assertHop(
      spans: readonly ReadableSpan[],
      callerName: string,
      [outName, outKind]: [string, SpanKind],
      [inName, inKind]: [string, SpanKind],
    ): { outgoing: ReadableSpan; incoming: ReadableSpan } {
      const caller = onlySpan(spans, callerName);
      const outgoing = onlySpan(spans, outName, outKind);
      const incoming = onlySpan(spans, inName, inKind);
      assertChildOf(outgoing, caller);
      assertChildOf(incoming, outgoing);
      assert.equal(outgoing.instrumentationScope.name, incoming.instrumentationScope.name);
      assert.match(outgoing.instrumentationScope.name, /tracebridge/, 'made by tracebridge, not the caller');
      return { outgoing, incoming };
    }

    async function assertHistogram(name: string, attribute: string, value: string): Promise<void> {
      const points = (await harness.histogram(name)).filter((p) => p.attributes[attribute] === value);
      assert.ok(points.length > 0, `${name} has a data point with ${attribute}=${value}`);
      assert.ok(
        points.every((p) => p.value.count >= 1 && (p.value.sum ?? 0) >= 0),
        `${name} recorded`,
      );
    }

    /** The hop of one message: `send`/`publish`, then `process`, in the caller's trace, with both histograms. */
    async function assertMessageHop(
      callerName: string,
      destination: string,
      producerName: string,
      system: string,
    ): Promise<ReadableSpan> {
      const spans = await harness.spansOnceExported(`process ${destination}`);
      const { incoming } = assertHop(
        spans,
        callerName,
        [producerName, SpanKind.PRODUCER],
        [`process ${destination}`, SpanKind.CONSUMER],
      );
      assert.equal(incoming.attributes['messaging.system'], system);
      for (const name of ['messaging.client.operation.duration', 'messaging.process.duration']) {
        await assertHistogram(name, 'messaging.destination.name', destination);
      }
      return incoming;
    }

    it('gRPC: a unary call on loopback', async () => {
      const path = '/tracebridge.compat.Echo/Say';
      const identity = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };
      const server = new grpc.Server({ interceptors: [grpcServerInterceptor()] });
      server.addService(
        {
          say: {
            path,
            requestStream: false,
            responseStream: false,
            requestSerialize: identity.serialize,
            requestDeserialize: identity.deserialize,
            responseSerialize: identity.serialize,
            responseDeserialize: identity.deserialize,
          },
        },
        {
          say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
            callback(null, Buffer.concat([Buffer.from('echo '), call.request]));
          },
        },
      );
      const port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${HOST}:0`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        );
      });
      const client = new grpc.Client(`${HOST}:${port}`, grpc.credentials.createInsecure(), {
        interceptors: [grpcClientInterceptor()],
      });
      try {
        const callerName = uniqueName('grpc-caller');
        await asCaller(callerName, async () => {
          const reply = await new Promise<Buffer | undefined>((resolve, reject) => {
            client.makeUnaryRequest(
              path,
              identity.serialize,
              identity.deserialize,
              Buffer.from('hi'),
              (e, v) => (e ? reject(e) : resolve(v)),
            );
          });
          assert.equal(reply?.toString(), 'echo hi');
        });
        const spans = await harness.spansOnceExported(callerName);
        const { outgoing, incoming } = assertHop(
          spans,
          callerName,
          ['tracebridge.compat.Echo/Say', SpanKind.CLIENT],
          ['tracebridge.compat.Echo/Say', SpanKind.SERVER],
        );
        assert.equal(outgoing.attributes['rpc.system'], 'grpc');
        assert.equal(incoming.attributes['rpc.grpc.status_code'], 0);
        await assertHistogram('rpc.client.call.duration', 'rpc.method', 'Say');
        await assertHistogram('rpc.server.call.duration', 'rpc.method', 'Say');
      } finally {
        client.close();
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      }
    });

    it('Kafka: a message from a traced producer to a traced consumer', async () => {
      const kafka = new Kafka({
        clientId: 'tracebridge-compat',
        brokers: [`${HOST}:9092`],
        logLevel: logLevel.NOTHING,
        retry: { retries: 5 },
      });
      const topic = uniqueName('kafka');
      const groupId = `${topic}-group`;
      const admin = kafka.admin();
      const producer = traceProducer(kafka.producer({ allowAutoTopicCreation: false }));
      const consumer = traceConsumer(
        kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 }),
      );
      await admin.connect();
      try {
        assert.equal(
          await admin.createTopics({
            topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
            waitForLeaders: true,
          }),
          true,
        );
        await producer.connect();
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        const received = new Promise<string>((resolve) => {
          void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
        });
        const callerName = uniqueName('kafka-caller');
        await asCaller(callerName, () =>
          producer.send({ topic, messages: [{ key: 'k', value: 'order 42' }] }),
        );
        assert.equal(await received, 'order 42');
        const incoming = await assertMessageHop(callerName, topic, `send ${topic}`, 'kafka');
        assert.equal(incoming.attributes['messaging.consumer.group.name'], groupId);
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
        await admin.deleteGroups([groupId]).catch(() => undefined);
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
        await admin.disconnect();
      }
    });

    it('RabbitMQ: a publish to a queue, consumed and acked', async () => {
      const connection = await amqp.connect(`amqp://guest:guest@${HOST}:5672`);
      try {
        const channel = traceChannel(await connection.createChannel());
        const queue = uniqueName('amqp');
        await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
        const received = new Promise<string>((resolve, reject) => {
          channel
            .consume(queue, (message) => {
              if (message === null) return;
              channel.ack(message);
              resolve(message.content.toString());
            })
            .catch(reject);
        });
        const callerName = uniqueName('amqp-caller');
        await asCaller(callerName, async () => {
          assert.equal(channel.sendToQueue(queue, Buffer.from('order 42')), true);
        });
        assert.equal(await received, 'order 42');
        await assertMessageHop(callerName, queue, `publish ${queue}`, 'rabbitmq');
        await channel.close();
      } finally {
        await connection.close();
      }
    });

    it('Redis: a stream entry added by the producer, processed by a consumer group', async () => {
      const redis = new Redis({ host: HOST, port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      const stream = uniqueName('redis');
      try {
        await redis.call('XGROUP', 'CREATE', stream, 'workers', '0', 'MKSTREAM');
        const callerName = uniqueName('redis-caller');
        await asCaller(callerName, () => streamProducer(redis, { stream }).add({ orderId: '42' }));
        const reply = await redis.call(
          'XREADGROUP',
          'GROUP',
          'workers',
          'w1',
          'COUNT',
          10,
          'STREAMS',
          stream,
          '>',
        );
        const seen: string[][] = [];
        await streamConsumer(redis, { group: 'workers', consumer: 'w1' }).processRead(reply, (job) => {
          seen.push(job.fields.map(String));
        });
        assert.deepEqual(seen, [['orderId', '42']], 'the job’s own fields, without the context');
        await assertMessageHop(callerName, stream, `send ${stream}`, 'redis');
      } finally {
        await redis.del(stream);
        await redis.quit();
      }
    });
  },
);
