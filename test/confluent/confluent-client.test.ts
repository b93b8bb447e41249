// The Kafka wrappers over the KafkaJS-compatible API of @confluentinc/kafka-javascript (librdkafka),
// against the real broker. The client is built into .cache/confluent by scripts/confluent-client.mjs
// (`npm run test:confluent` runs it first); without it these tests fail, they never skip.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { processBatchMessage, retryMessage, traceConsumer, traceProducer } from '../../src/kafka/index';
import type {
  KafkaConsumerLike,
  KafkaEachBatchPayload,
  KafkaEachMessagePayload,
  KafkaProducerLike,
} from '../../src/kafka/index';
import { waitUntil } from '../helpers/kafka-fixture';
import { assertAttributes, assertChildOf, assertLinks, assertRoot, setupTracing } from '../helpers/tracing';
import type { TestTracing } from '../helpers/tracing';

const TIMEOUT = { timeout: 120_000 };

/** The parts of Confluent's KafkaJS API these tests use. */
interface ConfluentProducer extends KafkaProducerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}
/** Confluent's transaction is the producer itself; sendOffsets takes the consumer, not a group id. */
interface ConfluentTransaction {
  send: KafkaProducerLike['send'];
  sendOffsets(offsets: {
    consumer: ConfluentConsumer;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface ConfluentConsumer extends KafkaConsumerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[] }): Promise<void>;
  assignment(): { topic: string; partitions: number[] }[];
  run(config?: {
    eachMessage?: (payload: KafkaEachMessagePayload) => Promise<void>;
    eachBatch?: (payload: KafkaEachBatchPayload & { resolveOffset(offset: string): void }) => Promise<void>;
  }): Promise<void>;
}
interface ConfluentKafka {
  producer(config?: object): ConfluentProducer;
  consumer(config: object): ConfluentConsumer;
  admin(): {
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    createTopics(request: { topics: { topic: string; numPartitions: number }[] }): Promise<unknown>;
    deleteTopics(request: { topics: string[] }): Promise<unknown>;
  };
}
interface ConfluentModule {
  KafkaJS: { Kafka: new (config: object) => ConfluentKafka; logLevel: { NOTHING: number } };
}

function loadConfluent(): ConfluentModule {
  const prefix = join(__dirname, '..', '..', '.cache', 'confluent');
  try {
    return createRequire(join(prefix, 'package.json'))('@confluentinc/kafka-javascript') as ConfluentModule;
  } catch (error) {
    return assert.fail(
      `@confluentinc/kafka-javascript is not built (${String(error)}): run \`node scripts/confluent-client.mjs\``,
    );
  }
}

describe('Kafka wrappers over @confluentinc/kafka-javascript (KafkaJS API)', () => {
  let kafka: ConfluentKafka;
  let admin: ReturnType<ConfluentKafka['admin']>;
  let tracing: TestTracing;
  const topics: string[] = [];
  const clients: { disconnect(): Promise<void> }[] = [];

  before(async () => {
    const { KafkaJS } = loadConfluent();
    kafka = new KafkaJS.Kafka({
      kafkaJS: {
        brokers: ['127.0.0.1:9092'],
        clientId: 'tracebridge-confluent',
        logLevel: KafkaJS.logLevel.NOTHING,
      },
    });
    admin = kafka.admin();
    await admin.connect();
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.disconnect()));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });
  afterEach(async () => {
    await tracing.shutdown();
  });

  async function createTopic(prefix: string, partitions = 1): Promise<string> {
    const topic = `${prefix}-${randomUUID().slice(0, 8)}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
    topics.push(topic);
    return topic;
  }

  async function producer(): Promise<ConfluentProducer> {
    const p = traceProducer(kafka.producer());
    clients.push(p);
    await p.connect();
    return p;
  }

  async function consumer(topic: string, groupId: string): Promise<ConfluentConsumer> {
    const c = traceConsumer(kafka.consumer({ kafkaJS: { groupId, fromBeginning: true } }), { groupId });
    clients.push(c);
    await c.connect();
    await c.subscribe({ topics: [topic] });
    return c;
  }

  it(
    'produce -> eachMessage: one trace, the handler inside the process span, attributes',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const topic = await createTopic('cf-orders');
      const p = await producer();
      const root = trace.getTracer('test').startSpan('place order');
      const message = { key: 'order-7', value: 'placed', headers: { 'x-tenant': 'acme' } };
      await context.with(trace.setSpan(context.active(), root), () => p.send({ topic, messages: [message] }));
      root.end();
      assert.deepEqual(message.headers, { 'x-tenant': 'acme' }, "the caller's headers are not modified");

      const groupId = `${topic}-group`;
      const c = await consumer(topic, groupId);
      const seen: { spanId: string | undefined; tenant: string | undefined }[] = [];
      await c.run({
        eachMessage: async ({ message: m }) => {
          seen.push({
            spanId: trace.getActiveSpan()?.spanContext().spanId,
            tenant: m.headers?.['x-tenant']?.toString(),
          });
        },
      });
      await waitUntil('the message to be processed', () => seen.length === 1, 60_000);

      const send = tracing.span(`send ${topic}`, SpanKind.PRODUCER);
      const processSpan = tracing.span(`process ${topic}`, SpanKind.CONSUMER);
      assertChildOf(send, root);
      assertChildOf(processSpan, send);
      assert.equal(seen[0]?.spanId, processSpan.spanContext().spanId);
      assert.equal(seen[0]?.tenant, 'acme');
      assertAttributes(processSpan, {
        'messaging.system': 'kafka',
        'messaging.consumer.group.name': groupId,
        'messaging.destination.partition.id': '0',
        'messaging.kafka.offset': 0,
        'messaging.kafka.message.key': 'order-7',
      });
      assert.equal(typeof processSpan.attributes['tracebridge.messaging.time_in_queue_ms'], 'number');
    },
  );

  it(
    'a multi-message send and eachBatch: create spans, batch links, per-message spans',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const topic = await createTopic('cf-batch');
      const p = await producer();
      await p.send({ topic, messages: [0, 1, 2].map((i) => ({ key: String(i), value: `job ${i}` })) });
      const c = await consumer(topic, `${topic}-group`);
      const handled: string[] = [];
      await c.run({
        eachBatch: async (payload) => {
          for (const message of payload.batch.messages) {
            await processBatchMessage(payload, message, async () => {
              handled.push(message.key!.toString());
              await sleep(5);
            });
            payload.resolveOffset(message.offset);
          }
        },
      });
      await waitUntil('3 messages to be handled', () => handled.length === 3, 60_000);
      // A per-message span ends when its work returns and a batch span when eachBatch does, both after
      // the last message was counted as handled: wait for the spans themselves.
      const consumed = (batch: boolean) =>
        tracing
          .spans()
          .filter(
            (s) =>
              s.kind === SpanKind.CONSUMER &&
              (s.attributes['messaging.batch.message_count'] !== undefined) === batch,
          );
      await waitUntil(
        'every per-message and batch span to end',
        () =>
          consumed(false).length === 3 &&
          consumed(true).reduce((n, b) => n + Number(b.attributes['messaging.batch.message_count']), 0) === 3,
        10_000,
      );

      const creates = tracing.spans().filter((s) => s.name === `create ${topic}`);
      assert.equal(creates.length, 3);
      const send = tracing.span(`send ${topic}`);
      assertLinks(send, creates);
      const consumerSpans = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      const batches = consumerSpans.filter(
        (s) => s.attributes['messaging.batch.message_count'] !== undefined,
      );
      const perMessage = consumerSpans.filter((s) => !batches.includes(s));
      assert.equal(perMessage.length, 3);
      assert.deepEqual(
        new Set(batches.flatMap((b) => b.links.map((l) => l.context.spanId))),
        new Set(creates.map((s) => s.spanContext().spanId)),
        'the batch spans link every message',
      );
      for (const span of perMessage) {
        const key = span.attributes['messaging.kafka.message.key'];
        assertChildOf(
          span,
          creates.find((s) => s.attributes['messaging.kafka.message.key'] === key)!,
        );
      }
    },
  );

  it(
    'a failed message forwarded with retryMessage: the next attempt joins the trace with its number',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const main = await createTopic('cf-main');
      const retry = await createTopic('cf-retry');
      const p = await producer();
      await p.send({ topic: main, messages: [{ key: 'r', value: 'pay' }] });
      const mainConsumer = await consumer(main, `${main}-group`);
      const retryConsumer = await consumer(retry, `${retry}-group`);
      let retried = 0;
      await mainConsumer.run({
        eachMessage: async ({ message }) => {
          trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: 'declined' });
          await p.send({ topic: retry, messages: [retryMessage(message)] });
        },
      });
      await retryConsumer.run({
        eachMessage: async () => {
          retried++;
        },
      });
      // librdkafka can deliver the retry to its consumer before the send's delivery report resolves the
      // main handler, so the retry's handler may run while the failed attempt's span is still open.
      const ended = (name: string) => tracing.spans().some((s) => s.name === name);
      await waitUntil(
        'the retry to be processed and both attempts to end',
        () => retried === 1 && ended(`process ${main}`) && ended(`process ${retry}`),
        60_000,
      );

      const failed = tracing.span(`process ${main}`);
      const sendRetry = tracing.span(`send ${retry}`);
      const processRetry = tracing.span(`process ${retry}`);
      assertChildOf(sendRetry, failed);
      assertChildOf(processRetry, sendRetry);
      assertAttributes(processRetry, { 'tracebridge.messaging.attempt': 2 });
    },
  );
  it(
    'transactions: a transaction span parents its sends and ends at commit or abort; aborted messages are never processed',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const topic = await createTopic('cf-tx-out');
      const source = await createTopic('cf-tx-in');
      const p = traceProducer(
        kafka.producer({ kafkaJS: { transactionalId: `tx-${randomUUID().slice(0, 8)}`, idempotent: true } }),
      );
      clients.push(p);
      await p.connect();
      // librdkafka sends a transaction's offsets with the consumer's group metadata: it must have joined.
      const offsetsOwner = await consumer(source, `${source}-group`);
      await offsetsOwner.run({ eachMessage: async () => undefined });
      await waitUntil(
        'the offsets consumer to be assigned',
        () => offsetsOwner.assignment().length > 0,
        60_000,
      );
      const consumed: string[] = [];
      const c = await consumer(topic, `${topic}-group`);
      await c.run({
        eachMessage: async ({ message }) => {
          consumed.push(message.key!.toString());
        },
      });

      const begin = () => p.transaction() as unknown as Promise<ConfluentTransaction>;
      const committed = await begin();
      await committed.send({
        topic,
        messages: [
          { key: 'c1', value: '1' },
          { key: 'c2', value: '2' },
        ],
      });
      await committed.sendOffsets({
        consumer: offsetsOwner,
        topics: [{ topic: source, partitions: [{ partition: 0, offset: '0' }] }],
      });
      await committed.commit();
      const aborted = await begin();
      await aborted.send({ topic, messages: [{ key: 'a1', value: 'never seen' }] });
      await aborted.abort();
      const last = await begin();
      await last.send({ topic, messages: [{ key: 'c3', value: '3' }] });
      await last.commit();

      await waitUntil('the committed messages to be consumed', () => consumed.includes('c3'), 60_000);
      await waitUntil(
        'their process spans to end',
        () => tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER).length === 3,
        10_000,
      );
      assert.deepEqual(consumed, ['c1', 'c2', 'c3'], 'the aborted message is never consumed');

      const transactions = tracing.spans().filter((s) => s.name === 'transaction');
      assert.equal(transactions.length, 3);
      const [first, second, third] = transactions;
      for (const t of transactions) assert.equal(t.kind, SpanKind.INTERNAL);
      assertAttributes(first!, { 'tracebridge.messaging.kafka.transaction.outcome': 'commit' });
      assert.ok(
        first!.events.some((e) => e.name === 'sendOffsets'),
        'sendOffsets is recorded',
      );
      assertAttributes(second!, {
        'tracebridge.messaging.kafka.transaction.outcome': 'abort',
        'error.type': 'aborted',
      });
      assert.equal(second!.status.code, SpanStatusCode.ERROR);
      assertAttributes(third!, { 'tracebridge.messaging.kafka.transaction.outcome': 'commit' });

      const sends = tracing.spans().filter((s) => s.name === `send ${topic}`);
      assert.equal(sends.length, 3);
      sends.forEach((send, i) => assertChildOf(send, transactions[i]!));
      const key = (s: { attributes: Record<string, unknown> }) => s.attributes['messaging.kafka.message.key'];
      const creates = tracing.spans().filter((s) => s.name === `create ${topic}`);
      assert.deepEqual(creates.map(key), ['c1', 'c2']);
      const processed = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      assertChildOf(
        processed.find((s) => key(s) === 'c1')!,
        creates[0]!,
      );
      assertChildOf(
        processed.find((s) => key(s) === 'c2')!,
        creates[1]!,
      );
      assertChildOf(
        processed.find((s) => key(s) === 'c3')!,
        sends[2]!,
      );
    },
  );

  it(
    'hostile trace headers: each message is processed as a new trace and its headers arrive byte for byte',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const topic = await createTopic('cf-hostile');
      const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const cases: Record<string, Record<string, string | Buffer | (string | Buffer)[]>> = {
        malformed: { traceparent: '00-not-a-trace-01' },
        duplicated: { traceparent: [valid.replace('0af7', '1af7'), valid] },
        'all-zero trace id': { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' },
        'non-UTF-8': { traceparent: Buffer.from([0xc3, 0x28, 0xff, 0xfe]) },
        oversized: { traceparent: `${valid}${'0'.repeat(70_000)}` },
        'oversized tracestate only': { tracestate: `k=${'v'.repeat(100_000)}` },
        'quadratic-trim bait': { baggage: ` ${' '.repeat(32_000)}x` },
      };
      // An untraced producer of the same client writes the headers exactly as given.
      const raw = kafka.producer();
      clients.push(raw);
      await raw.connect();
      await raw.send({
        topic,
        messages: Object.entries(cases).map(([name, headers]) => ({
          key: name,
          value: name,
          headers: { ...headers, 'x-keep': Buffer.from([0, 1, 2, 0xff]) },
        })),
      });
      const c = await consumer(topic, `${topic}-group`);
      const handled = new Map<string, { keep: unknown; spanId: string | undefined }>();
      await c.run({
        eachMessage: async ({ message }) => {
          handled.set(message.key!.toString(), {
            keep: message.headers?.['x-keep'],
            spanId: trace.getActiveSpan()?.spanContext().spanId,
          });
        },
      });
      const expected = Object.keys(cases).length;
      await waitUntil('every hostile message to be processed', () => handled.size === expected, 60_000);
      await waitUntil(
        'their process spans to end',
        () => tracing.spans().filter((s) => s.name === `process ${topic}`).length === expected,
        10_000,
      );

      for (const span of tracing.spans().filter((s) => s.name === `process ${topic}`)) {
        const name = String(span.attributes['messaging.kafka.message.key']);
        if (name === 'duplicated') {
          // A repeated header arrives as an array; its first valid value is continued, never a join.
          assert.equal(span.parentSpanContext?.traceId, '1af7651916cd43dd8448eb211c80319c', name);
        } else {
          assertRoot(span);
        }
        const keep = handled.get(name)?.keep;
        assert.deepEqual(
          Buffer.from(keep as Uint8Array),
          Buffer.from([0, 1, 2, 0xff]),
          `${name}: x-keep intact`,
        );
        assert.equal(
          handled.get(name)?.spanId,
          span.spanContext().spanId,
          `${name}: handled inside its span`,
        );
      }
    },
  );
});
