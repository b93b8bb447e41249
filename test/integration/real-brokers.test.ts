// Proves that each broker the integration tests rely on is real and reachable: a message goes through
// Kafka, RabbitMQ and a Redis stream and comes back, and a span exported to Zipkin can be read back from
// Zipkin's query API. `node scripts/brokers.mjs start` (run by `npm test`) starts them; when one is not
// reachable these tests fail, they never skip.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import * as amqp from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Consumer, KafkaMessage, Producer } from 'kafkajs';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const HOST = '127.0.0.1';
const TEST_TIMEOUT = 60_000;

function unique(prefix: string): string {
  return `${prefix}-${Date.now()}-${randomUUID().slice(0, 8)}`;
}

/** Fails with a message that says what to do when nothing listens on the broker's port. */
async function assertListening(name: string, port: number): Promise<void> {
  const error = await new Promise<Error | null>((resolve) => {
    const socket = tcpConnect({ host: HOST, port });
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(new Error('connect timed out'));
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (err) => resolve(err));
  });
  if (error !== null) {
    assert.fail(
      `${name} is not reachable on ${HOST}:${port} (${error.message}); ` +
        'start the brokers with `node scripts/brokers.mjs start`',
    );
  }
}

/** Resolves with `promise`, or rejects after `ms` with a message naming what was awaited. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A W3C traceparent with random ids, standing in for the context the library puts in messages. */
function traceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

// node:test's describe/it return promises that the runner itself tracks; `void` marks them as such.
describe('real brokers', () => {
  it(
    'Kafka: a message with a header round-trips through a new topic',
    { timeout: TEST_TIMEOUT },
    async () => {
      await assertListening('Kafka', 9092);
      const kafka = new Kafka({
        clientId: 'tracebridge-real-brokers',
        brokers: [`${HOST}:9092`],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3000,
        retry: { retries: 5 },
      });
      const topic = unique('tracebridge-it');
      const groupId = unique('tracebridge-it-group');
      const value = `hello ${randomUUID()}`;
      const headerValue = traceparent();

      const admin: Admin = kafka.admin();
      const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
      const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
      let topicCreated = false;
      try {
        await admin.connect();
        const created = await admin.createTopics({
          topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
          waitForLeaders: true,
        });
        assert.equal(created, true, `topic ${topic} was not created`);
        topicCreated = true;

        await producer.connect();
        const [record] = await producer.send({
          topic,
          messages: [{ key: 'k1', value, headers: { traceparent: headerValue } }],
        });
        assert.ok(record, 'producer.send returned no record metadata');
        assert.equal(record.errorCode, 0);

        let deliver: (message: KafkaMessage) => void = () => {};
        const received = new Promise<KafkaMessage>((resolve) => {
          deliver = resolve;
        });
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          eachMessage: ({ message }) => {
            deliver(message);
            return Promise.resolve();
          },
        });
        const message = await within(30_000, `the message on ${topic}`, received);

        assert.equal(message.value?.toString('utf8'), value);
        assert.equal(message.key?.toString('utf8'), 'k1');
        const header = message.headers?.traceparent;
        assert.ok(Buffer.isBuffer(header), 'the traceparent header did not come back as a Buffer');
        assert.equal(header.toString('utf8'), headerValue);

        await consumer.disconnect();
        await admin.deleteGroups([groupId]);
        await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
        topicCreated = false;
        const remaining = await admin.listTopics();
        assert.ok(!remaining.includes(topic), `topic ${topic} still listed after deleteTopics`);
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
        if (topicCreated) await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
        await admin.disconnect();
      }
    },
  );

  it('RabbitMQ: a message with a header round-trips through a queue', { timeout: TEST_TIMEOUT }, async () => {
    await assertListening('RabbitMQ', 5672);
    const connection = await amqp.connect(`amqp://guest:guest@${HOST}:5672`);
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', {
        exclusive: true,
        autoDelete: true,
        durable: false,
      });
      const body = `hello ${randomUUID()}`;
      const headerValue = randomUUID();

      const received = new Promise<ConsumeMessage>((resolve, reject) => {
        channel
          .consume(queue, (msg) => {
            if (msg !== null) resolve(msg);
          })
          .catch(reject);
      });
      const accepted = channel.sendToQueue(queue, Buffer.from(body), {
        headers: { 'x-tracebridge-test': headerValue },
        contentType: 'text/plain',
        timestamp: Math.floor(Date.now() / 1000),
      });
      assert.equal(accepted, true);

      const msg = await within(15_000, `the message on ${queue}`, received);
      channel.ack(msg);
      assert.equal(msg.content.toString('utf8'), body);
      assert.equal(msg.properties.contentType, 'text/plain');
      assert.equal(msg.properties.headers?.['x-tracebridge-test'], headerValue);

      await channel.close();
    } finally {
      await connection.close();
    }
  });

  it('Redis: an entry round-trips through a stream', { timeout: TEST_TIMEOUT }, async () => {
    await assertListening('Redis', 6379);
    const redis = new Redis({
      host: HOST,
      port: 6379,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    const key = unique('tracebridge-it-stream');
    const payload = `job ${randomUUID()}`;
    const context = traceparent();
    try {
      await redis.connect();
      const id = await redis.xadd(key, '*', 'payload', payload, 'traceparent', context);
      assert.ok(typeof id === 'string' && /^\d+-\d+$/.test(id), `unexpected stream entry id ${String(id)}`);

      const entries = await redis.xrange(key, '-', '+');
      assert.deepEqual(entries, [[id, ['payload', payload, 'traceparent', context]]]);

      assert.equal(await redis.del(key), 1);
    } finally {
      await redis.quit();
    }
  });

  it('Zipkin: an exported span can be read back by trace id', { timeout: TEST_TIMEOUT }, async () => {
    await assertListening('Zipkin', 9411);
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new SimpleSpanProcessor(
          new ZipkinExporter({ url: `http://${HOST}:9411/api/v2/spans`, serviceName: 'tracebridge-test' }),
        ),
      ],
    });
    // Zipkin lower-cases span names, so the name is lower case to begin with.
    const name = unique('tracebridge-it-span').toLowerCase();
    let traceId = '';
    try {
      const span = provider.getTracer('tracebridge-real-brokers').startSpan(name);
      traceId = span.spanContext().traceId;
      span.end();
      await provider.forceFlush();
    } finally {
      await provider.shutdown();
    }

    interface ZipkinSpan {
      traceId: string;
      id: string;
      name?: string;
      localEndpoint?: { serviceName?: string };
    }
    const url = `http://${HOST}:9411/api/v2/trace/${traceId}`;
    const deadline = Date.now() + 10_000;
    let last = 'no answer yet';
    let spans: ZipkinSpan[] | undefined;
    while (spans === undefined) {
      const response = await fetch(url);
      if (response.status === 200) {
        spans = (await response.json()) as ZipkinSpan[];
      } else {
        last = `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;
        if (Date.now() > deadline) assert.fail(`trace ${traceId} not found in Zipkin within 10 s (${last})`);
        await sleep(250);
      }
    }

    assert.ok(Array.isArray(spans));
    assert.equal(spans.length, 1);
    const [span] = spans;
    assert.ok(span);
    assert.equal(span.traceId, traceId);
    assert.equal(span.name, name);
    // The exporter's `serviceName` is only a fallback: the provider's default resource already carries a
    // service.name (unknown_service:...), which wins. Any non-empty name proves the endpoint was mapped.
    assert.ok(span.localEndpoint?.serviceName, 'the span came back without a localEndpoint.serviceName');
  });
});
