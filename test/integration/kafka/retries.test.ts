// Failed processing against the real Kafka broker: a handler that throws is retried by kafkajs and every
// attempt is a span in the one trace; a message forwarded through a retry topic to a dead-letter topic
// keeps its trace, each hop the child of the processing that failed, with the attempt number recorded.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import { KAFKA_ATTEMPT_HEADER, retryMessage, traceConsumer, traceProducer } from '../../../src/kafka/index';
import { startKafkaFixture, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { assertAttributes, assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 90_000 };

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

describe('Kafka: retries and dead letters', () => {
  let kafka: KafkaFixture;
  let tracing: TestTracing;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-kafka-retries');
  });
  after(async () => {
    await kafka.close();
  });
  afterEach(async () => {
    await tracing.shutdown();
  });

  it(
    'a handler that throws once, then succeeds: both attempts are spans of the one trace',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const [topic] = await kafka.createTopics(['flaky']);
      const producer = traceProducer(await kafka.producer());
      const consumer = traceConsumer(await kafka.consumer([topic!]));
      await producer.send({ topic: topic!, messages: [{ key: 'a', value: 'charge' }] });

      const thrown = new PaymentDeclined('card declined');
      const attempts: string[] = [];
      let succeeded = false;
      await consumer.run({
        eachMessage: async ({ message }) => {
          attempts.push(message.offset);
          if (attempts.length === 1) throw thrown;
          succeeded = true;
        },
      });
      await waitUntil('the retried message to succeed', () => succeeded);
      await consumer.stop();

      assert.deepEqual(attempts, ['0', '0'], 'kafkajs retried the same message');
      const send = tracing.span(`send ${topic}`, SpanKind.PRODUCER);
      const processSpans = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      assert.equal(processSpans.length, 2, 'one span per attempt');
      const [failed, retried] = processSpans;
      for (const span of processSpans) assertChildOf(span, send);
      assert.equal(failed!.status.code, SpanStatusCode.ERROR);
      assert.equal(failed!.status.message, 'card declined');
      assertAttributes(failed!, { 'error.type': 'PaymentDeclined' });
      assert.equal(
        failed!.events.find((e) => e.name === 'exception')?.attributes?.['exception.type'],
        'PaymentDeclined',
      );
      assert.equal(failed!.attributes['tracebridge.messaging.attempt'], undefined, 'the first attempt');
      assert.equal(retried!.status.code, SpanStatusCode.UNSET);
      assertAttributes(retried!, { 'tracebridge.messaging.attempt': 2 });
    },
  );

  it(
    'main topic -> retry topic -> dead-letter topic: one trace, each hop the child of the failed processing',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const [main, retry, dead] = await kafka.createTopics(['payments', 'payments-retry', 'payments-dlq']);
      const producer = traceProducer(await kafka.producer());
      const root = trace.getTracer('test').startSpan('checkout');
      await context.with(trace.setSpan(context.active(), root), () =>
        producer.send({
          topic: main!,
          messages: [{ key: 'p1', value: 'pay 10', headers: { 'x-order': 'o-1' } }],
        }),
      );
      root.end();

      const forward = (to: string, message: KafkaMessage, reason: string) =>
        producer.send({ topic: to, messages: [retryMessage(message, { 'x-failure': reason })] });
      const mainConsumer = traceConsumer(await kafka.consumer([main!]));
      const retryConsumer = traceConsumer(await kafka.consumer([retry!]));
      const deadConsumer = traceConsumer(await kafka.consumer([dead!]));
      const deadLetters: KafkaMessage[] = [];
      // The failed message is handed to the retry topic and the error re-thrown (so the span records it);
      // when kafkajs then retries it, the application sees it was already forwarded and lets it go.
      const forwarded = new Set<string>();
      await mainConsumer.run({
        eachMessage: async ({ message }) => {
          if (forwarded.has(message.offset)) return;
          forwarded.add(message.offset);
          await forward(retry!, message, 'declined');
          throw new PaymentDeclined('declined');
        },
      });
      await retryConsumer.run({
        eachMessage: async ({ message }) => {
          await forward(dead!, message, 'declined again');
        },
      });
      await deadConsumer.run({
        eachMessage: async ({ message }) => {
          deadLetters.push(message);
        },
      });
      await waitUntil('the dead letter to be processed', () => deadLetters.length === 1);
      await waitUntil('the main consumer to let the message go', () =>
        tracing.spans().some((s) => s.name === `process ${main}` && s.status.code !== SpanStatusCode.ERROR),
      );
      await Promise.all([mainConsumer.stop(), retryConsumer.stop(), deadConsumer.stop()]);
      assert.equal(deadLetters.length, 1, 'forwarded once');

      const dlq = deadLetters[0]!;
      assert.equal(dlq.value?.toString(), 'pay 10');
      assert.equal(dlq.key?.toString(), 'p1');
      assert.equal(dlq.headers?.['x-order']?.toString(), 'o-1', 'application headers are kept');
      assert.equal(dlq.headers?.['x-failure']?.toString(), 'declined again');
      assert.equal(dlq.headers?.[KAFKA_ATTEMPT_HEADER]?.toString(), '3');

      const trail = tracing.spansOfTrace(root.spanContext().traceId);
      const one = (name: string, kind: SpanKind) => {
        const found = trail.filter((s) => s.name === name && s.kind === kind);
        assert.ok(found.length >= 1, `${name} in the trace`);
        return found[0]!;
      };
      const sendMain = one(`send ${main}`, SpanKind.PRODUCER);
      const [processMain, releasedMain] = trail.filter((s) => s.name === `process ${main}`);
      const sendRetry = one(`send ${retry}`, SpanKind.PRODUCER);
      const processRetry = one(`process ${retry}`, SpanKind.CONSUMER);
      const sendDead = one(`send ${dead}`, SpanKind.PRODUCER);
      const processDead = one(`process ${dead}`, SpanKind.CONSUMER);
      assertChildOf(sendMain, root);
      assertChildOf(processMain!, sendMain);
      assertChildOf(releasedMain!, sendMain);
      assertAttributes(releasedMain!, { 'tracebridge.messaging.attempt': 2 });
      assertChildOf(sendRetry, processMain!);
      assertChildOf(processRetry, sendRetry);
      assertChildOf(sendDead, processRetry);
      assertChildOf(processDead, sendDead);
      assert.equal(processMain!.status.code, SpanStatusCode.ERROR);
      assertAttributes(processRetry, { 'tracebridge.messaging.attempt': 2 });
      assertAttributes(processDead, { 'tracebridge.messaging.attempt': 3 });
    },
  );
});
