// Multi-message sends and eachBatch against the real Kafka broker: per-message creation contexts that
// every consumed message is parented to, batch spans linking their messages, and per-message process
// spans timed for their own message's work.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { processBatchMessage, traceConsumer, traceProducer } from '../../../src/kafka/index';
import { startKafkaFixture, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import {
  assertAttributes,
  assertChildOf,
  assertLinks,
  setupMetrics,
  setupTracing,
} from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 120_000 };

function spanKey(span: ReadableSpan): string {
  return `${span.spanContext().traceId}/${span.spanContext().spanId}`;
}

function parentKey(span: ReadableSpan): string {
  return `${span.parentSpanContext?.traceId}/${span.parentSpanContext?.spanId}`;
}

describe('Kafka: batches', () => {
  let kafka: KafkaFixture;
  let tracing: TestTracing;
  let meters: TestMetrics;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-kafka-batches');
  });
  after(async () => {
    await kafka.close();
  });
  afterEach(async () => {
    await meters.shutdown();
    await tracing.shutdown();
  });

  it(
    'sendBatch of 1,000 messages over 2 topics x 3 partitions: every consumed message is the child of its own create span',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      meters = setupMetrics();
      const topics = await kafka.createTopics(['batch-a', 'batch-b'], 3);
      const producer = traceProducer(await kafka.producer());
      const consumer = traceConsumer(await kafka.consumer(topics));

      const topicMessages = topics.map((topic) => ({
        topic,
        messages: Array.from({ length: 500 }, (_, i) => ({
          key: `k${i}`,
          value: `${topic}#${i}`,
          headers: { 'x-index': String(i) },
        })),
      }));
      const snapshot = JSON.stringify(topicMessages);
      const root = trace.getTracer('test').startSpan('import orders');
      await context.with(trace.setSpan(context.active(), root), () => producer.sendBatch({ topicMessages }));
      root.end();
      assert.equal(JSON.stringify(topicMessages), snapshot, "the caller's batch is not modified");

      const processedValues = new Set<string>();
      let handlerCalls = 0;
      await consumer.run({
        partitionsConsumedConcurrently: 3,
        eachMessage: async ({ message }) => {
          handlerCalls++;
          processedValues.add(message.value!.toString());
        },
      });
      await waitUntil(
        '1,000 messages to be processed',
        () => processedValues.size === 1000,
        60_000,
        () => `(processed ${processedValues.size})`,
      );
      await consumer.stop();
      assert.equal(handlerCalls, 1000, 'each message processed once');

      const send = tracing.span('send', SpanKind.PRODUCER);
      assertChildOf(send, root);
      assertAttributes(send, { 'messaging.batch.message_count': 1000, 'messaging.operation.type': 'send' });
      assert.equal(
        send.attributes['messaging.destination.name'],
        undefined,
        'two topics: no single destination',
      );

      const creates = tracing.spans().filter((s) => s.attributes['messaging.operation.type'] === 'create');
      assert.equal(creates.length, 1000, 'one create span per message');
      for (const create of creates) {
        assertChildOf(create, root);
        assert.equal(create.kind, SpanKind.PRODUCER);
      }
      // The SDK keeps at most `linkCountLimit` links (128 by default) and counts the rest as dropped.
      const createKeys = new Set(creates.map(spanKey));
      assert.equal(send.links.length, 128, 'links up to the SDK limit');
      assert.equal(send.links.length + send.droppedLinksCount, 1000, 'one link per creation context');
      for (const link of send.links) {
        assert.ok(createKeys.has(`${link.context.traceId}/${link.context.spanId}`), 'links a create span');
      }

      const createsByKey = new Map(creates.map((c) => [spanKey(c), c]));
      const processSpans = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      assert.equal(processSpans.length, 1000, 'one process span per message');
      const parents = new Set<string>();
      const partitions = new Set<string>();
      for (const span of processSpans) {
        const create = createsByKey.get(parentKey(span));
        assert.ok(create !== undefined, `${span.name} is parented to a create span`);
        assert.equal(create.name, span.name.replace('process', 'create'), 'same topic');
        assert.equal(
          create.attributes['messaging.kafka.message.key'],
          span.attributes['messaging.kafka.message.key'],
          'parented to the create span of its own message',
        );
        parents.add(parentKey(span));
        partitions.add(`${span.name}/${String(span.attributes['messaging.destination.partition.id'])}`);
      }
      assert.equal(parents.size, 1000, 'every message has its own parent');
      assert.equal(partitions.size, 6, 'messages came from all 6 partitions');
    },
  );

  it('createSpansPerMessage: false puts the send span context in every message', TIMEOUT, async () => {
    tracing = setupTracing('w3c');
    meters = setupMetrics();
    const [topic] = await kafka.createTopics(['batch-no-create']);
    const producer = traceProducer(await kafka.producer(), { createSpansPerMessage: false });
    const consumer = traceConsumer(await kafka.consumer([topic!]));
    await producer.send({ topic: topic!, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    let processed = 0;
    await consumer.run({
      eachMessage: async () => {
        processed++;
      },
    });
    await waitUntil('3 messages to be processed', () => processed === 3);
    await consumer.stop();
    const send = tracing.span(`send ${topic}`);
    assertAttributes(send, { 'messaging.batch.message_count': 3 });
    assert.equal(send.links.length, 0);
    const processSpans = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
    assert.equal(processSpans.length, 3);
    for (const span of processSpans) assertChildOf(span, send);
  });

  it(
    'eachBatch: a batch span links every message; per-message spans are parented to their message and timed alone',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      meters = setupMetrics();
      const [topic] = await kafka.createTopics(['each-batch']);
      const producer = traceProducer(await kafka.producer());
      const sendRoots = [];
      for (let i = 0; i < 5; i++) {
        const root = trace.getTracer('test').startSpan(`request ${i}`);
        await context.with(trace.setSpan(context.active(), root), () =>
          producer.send({ topic: topic!, messages: [{ key: String(i), value: `job ${i}` }] }),
        );
        root.end();
        sendRoots.push(root);
      }

      const consumer = traceConsumer(await kafka.consumer([topic!]));
      const handled: { key: string; spanId: string | undefined }[] = [];
      let batchActiveSpan: string | undefined;
      let runningDuringBatch = false;
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          batchActiveSpan = trace.getActiveSpan()?.spanContext().spanId;
          runningDuringBatch = payload.isRunning() && !payload.isStale();
          for (const message of payload.batch.messages) {
            const key = message.key!.toString();
            // Work of different lengths per message, so each span's duration can be told apart.
            await processBatchMessage(payload, message, async () => {
              handled.push({ key, spanId: trace.getActiveSpan()?.spanContext().spanId });
              await sleep(20 + 20 * Number(key));
            });
            payload.resolveOffset(message.offset);
            await payload.heartbeat();
          }
          await payload.commitOffsetsIfNecessary();
        },
      });
      await waitUntil('5 messages to be handled', () => handled.length === 5);
      await consumer.stop();
      assert.ok(runningDuringBatch, 'isRunning and isStale work through the traced payload');

      const sends = sendRoots.map((root) => {
        const send = tracing.spans().find((s) => s.parentSpanContext?.spanId === root.spanContext().spanId);
        assert.ok(send !== undefined);
        return send;
      });
      const consumerSpans = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      const batchSpans = consumerSpans.filter(
        (s) => s.attributes['messaging.batch.message_count'] !== undefined,
      );
      assert.ok(batchSpans.length >= 1, 'at least one batch span');
      const perMessage = consumerSpans.filter((s) => !batchSpans.includes(s));
      assert.equal(perMessage.length, 5, 'one process span per message');
      assert.equal(
        batchSpans.reduce((n, s) => n + (s.attributes['messaging.batch.message_count'] as number), 0),
        5,
      );
      assert.equal(
        batchActiveSpan,
        batchSpans[0]!.spanContext().spanId,
        'eachBatch runs inside the batch span',
      );
      const allLinks = batchSpans.flatMap((s) => s.links.map((l) => l.context.spanId));
      assert.deepEqual(new Set(allLinks), new Set(sends.map((s) => s.spanContext().spanId)), 'batch links');
      const firstBatch = batchSpans[0]!;
      assertAttributes(firstBatch, { 'messaging.destination.partition.id': '0' });
      assert.equal(typeof firstBatch.attributes['tracebridge.messaging.consumer_lag'], 'number');

      for (const span of perMessage) {
        const key = String(span.attributes['messaging.kafka.message.key']);
        assertChildOf(span, sends[Number(key)]!);
        const batch = batchSpans.find((b) =>
          span.links.some((l) => l.context.spanId === b.spanContext().spanId),
        );
        assert.ok(batch !== undefined, 'a per-message span links its batch span');
        assertLinks(span, [batch]);
        assert.equal(
          handled.find((h) => h.key === key)?.spanId,
          span.spanContext().spanId,
          'work runs inside it',
        );
        const ms = span.duration[0] * 1000 + span.duration[1] / 1e6;
        const expectedMs = 20 + 20 * Number(key);
        assert.ok(
          ms >= expectedMs - 1 && ms < expectedMs + 500,
          `message ${key}: ${ms} ms for ${expectedMs} ms of work`,
        );
      }
      const ordered = [...perMessage].sort(
        (a, b) =>
          Number(a.attributes['messaging.kafka.offset']) - Number(b.attributes['messaging.kafka.offset']),
      );
      for (let i = 1; i < ordered.length; i++) {
        const previousEnd =
          BigInt(ordered[i - 1]!.endTime[0]) * 1_000_000_000n + BigInt(ordered[i - 1]!.endTime[1]);
        const start = BigInt(ordered[i]!.startTime[0]) * 1_000_000_000n + BigInt(ordered[i]!.startTime[1]);
        assert.ok(start + 1_000_000n >= previousEnd, 'per-message spans do not share the batch timing');
      }

      const lag = (await meters.collect())
        .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
        .find((m) => m.descriptor.name === 'tracebridge.messaging.consumer_lag');
      assert.ok(lag !== undefined, 'the consumer lag histogram was recorded');
    },
  );
});
