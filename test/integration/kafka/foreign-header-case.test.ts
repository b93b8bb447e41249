/**
 * Peers that write B3 in their own casing: the OpenTelemetry Java agent (`otel.propagators=b3multi`) and
 * Zipkin JS's kafkajs instrumentation produce `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled`. Produced by
 * hand here with a plain kafkajs producer, exactly as they set them, through the real broker:
 * tracebridge's consumer continues their trace. And a header named `__proto__` (an ordinary own key as
 * kafkajs decodes it) survives `retryMessage` and the traced producer's copy onto the retry topic.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import { KAFKA_ATTEMPT_HEADER, retryMessage, traceConsumer, traceProducer } from '../../../src/kafka/index';
import { startKafkaFixture, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 60_000 };
const TRACE_ID = '463ac35c9f6413ad48485a3953bb6124';
const SPAN_ID = 'a2fb4a1d1a96d312';

describe('Kafka: B3 headers in another case', () => {
  let kafka: KafkaFixture;
  let tracing: TestTracing;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-kafka-header-case');
    tracing = setupTracing('b3-multi');
  });
  after(async () => {
    await kafka.close();
    await tracing.shutdown();
  });

  it('X-B3-TraceId / X-B3-SpanId / X-B3-Sampled: the process span continues the trace', TIMEOUT, async () => {
    const [topic] = await kafka.createTopics(['b3-case']);
    const producer = await kafka.producer();
    await producer.send({
      topic: topic!,
      messages: [
        {
          value: 'order',
          headers: { 'X-B3-TraceId': TRACE_ID, 'X-B3-SpanId': SPAN_ID, 'X-B3-Sampled': '1' },
        },
      ],
    });
    const consumer = traceConsumer(await kafka.consumer([topic!]));
    const seen: KafkaMessage[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message);
      },
    });
    await waitUntil('the message to be processed', () => seen.length === 1);
    await consumer.stop();

    const span = tracing.span(`process ${topic}`, SpanKind.CONSUMER);
    assert.equal(span.spanContext().traceId, TRACE_ID, 'the producer’s trace is continued');
    assert.equal(span.parentSpanContext?.spanId, SPAN_ID, 'parented to the producer’s span');
    assert.equal(span.parentSpanContext?.isRemote, true);
    assert.equal(seen[0]?.headers?.['X-B3-TraceId']?.toString(), TRACE_ID, 'headers arrive as sent');
  });

  it('a __proto__ header survives retryMessage and the traced send to the retry topic', TIMEOUT, async () => {
    const [main, retry] = await kafka.createTopics(['proto-main', 'proto-retry']);
    const plain = await kafka.producer();
    // Headers as an application parsing JSON builds them: `__proto__` is an own key.
    const headers = JSON.parse('{"x-order": "o-1", "__proto__": "p"}') as Record<string, string>;
    await plain.send({ topic: main!, messages: [{ value: 'pay', headers }] });

    const producer = traceProducer(await kafka.producer());
    const mainConsumer = traceConsumer(await kafka.consumer([main!]));
    const retryConsumer = await kafka.consumer([retry!]);
    const retried: KafkaMessage[] = [];
    const failures: unknown[] = [];
    await mainConsumer.run({
      eachMessage: async ({ message }) => {
        await producer.send({ topic: retry!, messages: [retryMessage(message)] }).catch((error: unknown) => {
          failures.push(error);
        });
      },
    });
    await retryConsumer.run({
      eachMessage: async ({ message }) => {
        retried.push(message);
      },
    });
    await waitUntil('the retried message', () => retried.length === 1 || failures.length > 0);
    await Promise.all([mainConsumer.stop(), retryConsumer.stop()]);

    assert.deepEqual(failures, [], 'the retry was sent');
    const received = retried[0]!.headers ?? {};
    assert.ok(Object.hasOwn(received, '__proto__'), 'the __proto__ header arrived on the retry topic');
    assert.equal(
      String((Object.getOwnPropertyDescriptor(received, '__proto__')?.value as unknown[])[1]),
      'p',
    );
    assert.equal(received['x-order']?.toString(), 'o-1');
    assert.equal(received[KAFKA_ATTEMPT_HEADER]?.toString(), '2');
    assert.equal(typeof received['x-b3-traceid']?.toString(), 'string', 'the retry carries a fresh context');
  });
});
