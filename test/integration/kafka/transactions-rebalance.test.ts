// Transactions and consumer-group rebalances against the real Kafka broker: a transaction span parents
// its sends and ends at commit or abort; a consumer joining mid-stream loses no message and leaves no span
// unended.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { traceConsumer, traceProducer } from '../../../src/kafka/index';
import { startKafkaFixture, unique, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { countSpanEnds } from '../../helpers/span-end-counter';
import { assertAttributes, assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 120_000 };

function key(span: ReadableSpan): string {
  return String(span.attributes['messaging.kafka.message.key']);
}

describe('Kafka: transactions and rebalances', () => {
  let kafka: KafkaFixture;
  let tracing: TestTracing;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-kafka-tx');
  });
  after(async () => {
    await kafka.close();
  });
  afterEach(async () => {
    await tracing.shutdown();
  });

  it(
    'a transaction span parents its sends, records sendOffsets, and ends at commit or abort',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const [topic, source] = await kafka.createTopics(['tx-out', 'tx-in']);
      const producer = traceProducer(
        await kafka.producer({ transactionalId: unique('tx'), idempotent: true, maxInFlightRequests: 1 }),
      );
      const consumer = traceConsumer(await kafka.consumer([topic!]));
      const consumed: string[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          consumed.push(message.key!.toString());
        },
      });

      const committed = await producer.transaction();
      await committed.send({
        topic: topic!,
        messages: [
          { key: 'c1', value: '1' },
          { key: 'c2', value: '2' },
        ],
      });
      await committed.sendOffsets({
        consumerGroupId: 'tx-source-group',
        topics: [{ topic: source!, partitions: [{ partition: 0, offset: '1' }] }],
      });
      await committed.commit();

      const aborted = await producer.transaction();
      await aborted.send({ topic: topic!, messages: [{ key: 'a1', value: 'never seen' }] });
      await aborted.abort();

      const last = await producer.transaction();
      await last.send({ topic: topic!, messages: [{ key: 'c3', value: '3' }] });
      await last.commit();

      await waitUntil('the committed messages to be consumed', () => consumed.includes('c3'));
      await consumer.stop();
      assert.deepEqual(
        consumed,
        ['c1', 'c2', 'c3'],
        'read-committed consumers never see the aborted message',
      );

      const transactions = tracing.spans().filter((s) => s.name === 'transaction');
      assert.equal(transactions.length, 3);
      const [first, second, third] = transactions;
      for (const t of transactions) assert.equal(t.kind, SpanKind.INTERNAL);
      assertAttributes(first!, { 'tracebridge.messaging.kafka.transaction.outcome': 'commit' });
      assert.equal(first!.status.code, SpanStatusCode.UNSET);
      const offsets = first!.events.find((e) => e.name === 'sendOffsets');
      assert.equal(offsets?.attributes?.['messaging.consumer.group.name'], 'tx-source-group');
      assertAttributes(second!, {
        'tracebridge.messaging.kafka.transaction.outcome': 'abort',
        'error.type': 'aborted',
      });
      assert.equal(second!.status.code, SpanStatusCode.ERROR);
      assertAttributes(third!, { 'tracebridge.messaging.kafka.transaction.outcome': 'commit' });

      const sends = tracing.spans().filter((s) => s.name === `send ${topic}`);
      assert.equal(sends.length, 3);
      sends.forEach((send, i) => assertChildOf(send, transactions[i]!));
      const creates = tracing.spans().filter((s) => s.name === `create ${topic}`);
      assert.deepEqual(creates.map(key), ['c1', 'c2']);
      for (const create of creates) assertChildOf(create, first!);
      const processed = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      assert.deepEqual(processed.map(key), ['c1', 'c2', 'c3']);
      assertChildOf(processed[0]!, creates[0]!);
      assertChildOf(processed[1]!, creates[1]!);
      assertChildOf(processed[2]!, sends[2]!);
    },
  );

  it(
    'a second consumer joining the group mid-stream: no message lost, every span ended once and parented',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const counter = countSpanEnds(tracing.provider);
      const [topic] = await kafka.createTopics(['rebalance'], 6);
      const groupId = unique('rebalance-group');
      const producer = traceProducer(await kafka.producer(), { tracerProvider: counter.provider });
      const options = { tracerProvider: counter.provider };
      const handled: { key: string; member: string }[] = [];
      const handler =
        (member: string) =>
        async ({ message }: { message: { key: Buffer | null } }) => {
          handled.push({ key: message.key!.toString(), member });
          await sleep(2);
        };
      const first = traceConsumer(await kafka.consumer([topic!], { groupId }), options);
      await first.run({ eachMessage: handler('first') });

      const total = 600;
      let second: typeof first | undefined;
      for (let batch = 0; batch < total / 10; batch++) {
        await producer.send({
          topic: topic!,
          messages: Array.from({ length: 10 }, (_, i) => ({ key: `m${batch * 10 + i}`, value: 'x' })),
        });
        if (batch === 10) {
          second = traceConsumer(await kafka.consumer([topic!], { groupId }), options);
          await second.run({ eachMessage: handler('second') });
        }
        await sleep(15);
      }
      const distinct = () => new Set(handled.map((h) => h.key)).size;
      await waitUntil(
        `${total} messages to be processed`,
        () => distinct() === total,
        60_000,
        () => `(${distinct()})`,
      );
      await Promise.all([first.stop(), second!.stop()]);

      assert.ok(
        handled.some((h) => h.member === 'first') && handled.some((h) => h.member === 'second'),
        'both members consumed',
      );
      assert.deepEqual(counter.misended(), [], 'every span started was ended exactly once');
      const processSpans = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      assert.equal(processSpans.length, handled.length, 'one process span per handler call');
      const creates = new Map(
        tracing
          .spans()
          .filter((s) => s.name === `create ${topic}`)
          .map((c) => [key(c), c]),
      );
      assert.equal(creates.size, total);
      for (const span of processSpans) assertChildOf(span, creates.get(key(span))!);
    },
  );
});
