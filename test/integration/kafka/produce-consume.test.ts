// traceProducer and traceConsumer (eachMessage) against the real Kafka broker: one trace from the
// producer's span to the consumer's handler, the attributes and metrics of both sides, the caller's objects
// left untouched, and hostile trace headers that must leave the message processed as a new trace.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { EachMessagePayload } from 'kafkajs';
import { traceConsumer, traceProducer } from '../../../src/kafka/index';
import { startKafkaFixture, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import {
  assertAttributes,
  assertChildOf,
  assertRoot,
  setupMetrics,
  setupTracing,
} from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 60_000 };

describe('Kafka: produce and consume one message at a time', () => {
  let kafka: KafkaFixture;
  let tracing: TestTracing;
  let meters: TestMetrics;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-kafka-it');
  });
  after(async () => {
    await kafka.close();
  });
  afterEach(async () => {
    await meters.shutdown();
    await tracing.shutdown();
  });

  function setup(): void {
    tracing = setupTracing('w3c');
    meters = setupMetrics();
  }

  it('a consumed message is processed in the trace of the span that produced it', TIMEOUT, async () => {
    setup();
    const [topic] = await kafka.createTopics(['orders']);
    const producer = traceProducer(await kafka.producer());
    const groupId = `group-${topic}`;
    const consumer = traceConsumer(await kafka.consumer([topic!], { groupId }));

    const message = { key: 'order-42', value: 'placed', headers: { 'x-tenant': 'acme' } };
    const headersBefore = message.headers;
    const root = trace.getTracer('test').startSpan('place order');
    const metadata = await context.with(trace.setSpan(context.active(), root), () =>
      producer.send({ topic: topic!, messages: [message] }),
    );
    root.end();
    assert.equal(metadata[0]?.errorCode, 0, 'the send resolved with the broker metadata, unchanged');
    assert.deepEqual(message, { key: 'order-42', value: 'placed', headers: { 'x-tenant': 'acme' } });
    assert.equal(message.headers, headersBefore, "the caller's message and headers are not modified");

    const seen: { activeSpanId: string | undefined; headers: EachMessagePayload['message']['headers'] }[] =
      [];
    await consumer.run({
      eachMessage: async ({ message: m }) => {
        seen.push({ activeSpanId: trace.getActiveSpan()?.spanContext().spanId, headers: m.headers });
      },
    });
    await waitUntil('the message to be processed', () => seen.length === 1);
    await consumer.stop();

    const send = tracing.span(`send ${topic}`, SpanKind.PRODUCER);
    const processSpan = tracing.span(`process ${topic}`, SpanKind.CONSUMER);
    assertChildOf(send, root);
    assertChildOf(processSpan, send);
    assert.equal(seen[0]?.activeSpanId, processSpan.spanContext().spanId, 'the handler runs inside the span');
    assert.equal(seen[0]?.headers?.['x-tenant']?.toString(), 'acme', 'other headers arrive unchanged');
    assertAttributes(send, {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic,
      'messaging.kafka.message.key': 'order-42',
    });
    assert.equal(send.attributes['messaging.batch.message_count'], undefined, 'one message is not a batch');
    assertAttributes(processSpan, {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': groupId,
      'messaging.destination.partition.id': '0',
      'messaging.kafka.offset': 0,
      'messaging.kafka.message.key': 'order-42',
      'messaging.message.body.size': 6,
    });
    const waited = processSpan.attributes['tracebridge.messaging.time_in_queue_ms'];
    assert.equal(typeof waited, 'number', 'time in queue comes from the record timestamp');
    assert.ok((waited as number) >= 0 && (waited as number) < 60_000, `time in queue ${String(waited)} ms`);
    assert.equal(processSpan.attributes['tracebridge.messaging.attempt'], undefined, 'a first delivery');

    const names = new Set(
      (await meters.collect()).flatMap((r) =>
        r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)),
      ),
    );
    for (const name of [
      'messaging.client.operation.duration',
      'messaging.client.sent.messages',
      'messaging.client.consumed.messages',
      'messaging.process.duration',
      'tracebridge.messaging.time_in_queue',
    ]) {
      assert.ok(names.has(name), `metric ${name} recorded (have: ${[...names].join(', ')})`);
    }
  });

  it('keys that are not text are omitted unless asked for; tombstones are marked', TIMEOUT, async () => {
    setup();
    const [plain, binary] = await kafka.createTopics(['keys-omitted', 'keys-recorded']);
    const raw = await kafka.producer();
    const key = Buffer.from([0xff, 0x00, 0xfe]);
    await raw.send({ topic: plain!, messages: [{ key, value: null }] });
    await raw.send({ topic: binary!, messages: [{ key, value: 'v' }] });

    const omitting = traceConsumer(await kafka.consumer([plain!]));
    const recording = traceConsumer(await kafka.consumer([binary!]), { recordBinaryKeys: true });
    let processed = 0;
    const eachMessage = async () => {
      processed++;
    };
    await omitting.run({ eachMessage });
    await recording.run({ eachMessage });
    await waitUntil('both messages to be processed', () => processed === 2);
    await Promise.all([omitting.stop(), recording.stop()]);

    const omitted = tracing.span(`process ${plain}`);
    assert.equal(omitted.attributes['messaging.kafka.message.key'], undefined);
    assertAttributes(omitted, { 'messaging.kafka.message.tombstone': true });
    assertAttributes(tracing.span(`process ${binary}`), { 'messaging.kafka.message.key': '/wD+' });
  });

  it(
    'hostile trace headers: each message is processed as a new trace and its headers arrive byte for byte',
    TIMEOUT,
    async () => {
      setup();
      const [topic] = await kafka.createTopics(['hostile']);
      const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const cases: Record<string, Record<string, string | Buffer | (string | Buffer)[]>> = {
        malformed: { traceparent: '00-not-a-trace-01' },
        'all-zero trace id': { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' },
        duplicated: { traceparent: [valid.replace('0af7', '1af7'), valid] },
        'non-UTF-8': { traceparent: Buffer.from([0xc3, 0x28, 0xff, 0xfe]) },
        oversized: { traceparent: `${valid}${'0'.repeat(70_000)}` },
        'oversized tracestate only': { tracestate: `k=${'v'.repeat(100_000)}` },
      };
      const raw = await kafka.producer();
      await raw.send({
        topic: topic!,
        messages: Object.entries(cases).map(([name, headers]) => ({
          key: name,
          value: name,
          headers: { ...headers, 'x-keep': Buffer.from([0, 1, 2, 0xff]) },
        })),
      });
      const consumer = traceConsumer(await kafka.consumer([topic!]));
      const handled = new Map<string, { keep: Buffer | undefined; spanId: string | undefined }>();
      await consumer.run({
        eachMessage: async ({ message }) => {
          handled.set(message.key!.toString(), {
            keep: message.headers?.['x-keep'] as Buffer | undefined,
            spanId: trace.getActiveSpan()?.spanContext().spanId,
          });
        },
      });
      const expected = Object.keys(cases).length;
      await waitUntil('every hostile message to be processed', () => handled.size === expected);
      await consumer.stop();

      const processed = tracing.spans().filter((s) => s.name === `process ${topic}`);
      assert.equal(processed.length, expected, 'one process span per message, none lost');
      for (const span of processed) {
        const name = String(span.attributes['messaging.kafka.message.key']);
        if (name === 'duplicated') {
          // A repeated header yields its first valid value; values are never joined.
          assert.equal(span.parentSpanContext?.traceId, '1af7651916cd43dd8448eb211c80319c', name);
        } else {
          assertRoot(span);
        }
        assert.deepEqual(handled.get(name)?.keep, Buffer.from([0, 1, 2, 0xff]), `${name}: x-keep intact`);
        assert.equal(
          handled.get(name)?.spanId,
          span.spanContext().spanId,
          `${name}: handled inside its span`,
        );
      }
    },
  );

  it('without a registered SDK nothing is traced and messages go out exactly as given', TIMEOUT, async () => {
    tracing = setupTracing('w3c');
    meters = setupMetrics();
    await tracing.shutdown(); // nothing registered from here on
    const [topic] = await kafka.createTopics(['untraced']);
    const producer = traceProducer(await kafka.producer());
    const consumer = traceConsumer(await kafka.consumer([topic!]));
    const headers = { 'x-a': 'b' };
    await producer.send({ topic: topic!, messages: [{ value: 'x', headers }] });
    const received: Record<string, unknown>[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(
          Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        );
      },
    });
    await waitUntil('the message to be processed', () => received.length === 1);
    await consumer.stop();
    assert.deepEqual(received, [{ 'x-a': 'b' }], 'no trace header was added');
    assert.equal(propagation.fields().length, 0, 'no propagator was registered');
    tracing = setupTracing('w3c'); // for afterEach
  });
});
