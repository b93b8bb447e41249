// The Kafka wrappers against the real broker with nothing registered: messages go out with the caller's
// headers only, the handler gets what kafkajs delivered, kafkajs's own retry of a failed message is
// numbered as when traced, and the same wrappers trace once an SDK registers.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { context, metrics, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { KafkaMessage } from 'kafkajs';
import { KAFKA_ATTEMPT_HEADER, retryMessage, traceConsumer, traceProducer } from '../../../src/kafka/index';
import { startKafkaFixture, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { assertChildOf } from '../../helpers/tracing';

const TIMEOUT = { timeout: 90_000 };

function unregisterAll(): void {
  trace.disable();
  propagation.disable();
  metrics.disable();
  context.disable();
}

describe('Kafka: nothing registered, then an SDK', () => {
  let kafka: KafkaFixture;
  let provider: BasicTracerProvider | undefined;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-kafka-dormant');
  });
  after(async () => {
    await kafka.close();
  });
  afterEach(async () => {
    await provider?.shutdown();
    provider = undefined;
    unregisterAll();
  });

  it(
    'messages carry only their own headers, a failed one is retried and numbered, and tracing starts with the SDK',
    TIMEOUT,
    async () => {
      unregisterAll();
      // A context manager alone leaves the wrappers dormant; with it, the attempt reaches retryMessage.
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      const [topic] = await kafka.createTopics(['dormant']);
      const producer = traceProducer(await kafka.producer());
      const consumer = traceConsumer(await kafka.consumer([topic!]));
      const delivered: KafkaMessage[] = [];
      const retries: (string | undefined)[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          delivered.push(message);
          // The first delivery fails: kafkajs fetches the message again, as it would unwrapped.
          if (delivered.length === 1) throw new Error('declined');
          retries.push(retryMessage(message).headers?.[KAFKA_ATTEMPT_HEADER]?.toString());
        },
      });

      await producer.send({ topic: topic!, messages: [{ value: 'one', headers: { 'x-tenant': 'acme' } }] });
      await waitUntil('the message to be retried', () => delivered.length === 2);
      const [first, again] = delivered;
      assert.deepEqual(Object.keys(first!.headers ?? {}), ['x-tenant'], 'no header of tracebridge');
      assert.equal(first!.headers?.['x-tenant']?.toString(), 'acme');
      assert.equal(again!.offset, first!.offset, 'kafkajs redelivered the same message');
      assert.deepEqual(retries, ['3'], 'the redelivery is attempt 2, as traced: its retry is attempt 3');

      // An SDK registers as a service does; the wrappers made before it trace from the next message on.
      const exporter = new InMemorySpanExporter();
      provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      trace.setGlobalTracerProvider(provider);
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      await producer.send({ topic: topic!, messages: [{ value: 'two' }] });
      await waitUntil('the traced message', () => delivered.length === 3);
      await waitUntil('its span', () =>
        exporter.getFinishedSpans().some((s) => s.kind === SpanKind.CONSUMER),
      );
      await consumer.stop();

      assert.match(String(delivered[2]!.headers?.['traceparent']), /^00-/);
      const send = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER);
      const processed = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER);
      assert.ok(send, 'the send after the SDK registered has its span');
      assert.equal(processed.length, 1, 'only the message sent traced has a process span');
      assertChildOf(processed[0]!, send);
    },
  );
});
