/**
 * Trust boundaries on the real Kafka broker: a per-topic `'continue'` rule, and signed creation context:
 * a signed send continues (also when kafkajs retries it, and through `retryMessage` to a retry topic),
 * forged, expired, unsigned and copied contexts are linked and counted.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { context, propagation, SpanKind } from '@opentelemetry/api';
import { retryMessage, traceConsumer, traceProducer } from '../../../src/kafka/index';
import { startKafkaFixture, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import {
  assertLinkedUnverified,
  EXPECTED_FAILURE,
  hostileContexts,
  OUTSIDER,
  SIGNING,
  verificationFailures,
  VERIFYING,
} from '../../helpers/signatures';
import { assertAttributes, assertChildOf, setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 90_000 };

describe('Kafka trust boundaries', () => {
  let kafka: KafkaFixture;
  let tracing: TestTracing;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-kafka-trust');
  });
  after(async () => {
    await kafka.close();
  });
  afterEach(async () => {
    await tracing.shutdown();
  });

  it(
    "a 'continue' rule for a topic: the outsider's sampled flag does not force recording",
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const [ingress, internal] = await kafka.createTopics(['ingress', 'internal']);
      const raw = await kafka.producer();
      const headers = { traceparent: `00-${OUTSIDER.traceId}-${OUTSIDER.spanId}-01`, baggage: 'tenant=evil' };
      await raw.send({ topic: ingress!, messages: [{ value: 'a', headers }] });
      await raw.send({ topic: internal!, messages: [{ value: 'b', headers }] });
      const consumer = traceConsumer(await kafka.consumer([ingress!, internal!]), {
        incoming: { rules: [{ destination: ingress!, policy: 'continue', sampleRatio: 0 }] },
      });
      const baggageSeen = new Map<string, string | undefined>();
      await consumer.run({
        eachMessage: async ({ topic }) => {
          await Promise.resolve();
          baggageSeen.set(topic, propagation.getBaggage(context.active())?.getEntry('tenant')?.value);
        },
      });
      await waitUntil('both messages', () => baggageSeen.size === 2);
      await consumer.stop();
      assert.equal(baggageSeen.get(ingress!), undefined, 'no inbound baggage under continue');
      assert.equal(baggageSeen.get(internal!), 'evil', "the default 'parent' keeps it");
      const processed = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      assert.deepEqual(
        processed.map((s) => s.name),
        [`process ${internal}`],
        'the ingress message was not recorded, though the outsider flagged it sampled',
      );
      assertChildOf(processed[0]!, { ...OUTSIDER, traceFlags: 1 });
    },
  );

  it('a signed send continues, on every kafkajs retry and through retryMessage', TIMEOUT, async () => {
    tracing = setupTracing('w3c');
    const [orders, retries] = await kafka.createTopics(['signed', 'signed-retry']);
    const producer = traceProducer(await kafka.producer(), { signing: SIGNING });
    const consumer = traceConsumer(await kafka.consumer([orders!, retries!]), {
      signing: VERIFYING,
    });
    await producer.send({ topic: orders!, messages: [{ value: 'charge' }] });
    let attempts = 0;
    let retried = false;
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === retries) {
          retried = true;
          return;
        }
        attempts++;
        if (attempts === 1) throw new Error('transient');
        await producer.send({ topic: retries!, messages: [retryMessage(message)] });
      },
    });
    await waitUntil('the retry topic to be processed', () => retried);
    await consumer.stop();

    const send = tracing.span(`send ${orders}`, SpanKind.PRODUCER);
    const processSpans = tracing.spans().filter((s) => s.name === `process ${orders}`);
    assert.equal(processSpans.length, 2, 'kafkajs delivered the message twice');
    for (const span of processSpans) {
      assertChildOf(span, send);
      assertAttributes(span, { 'tracebridge.trust.signature': 'valid' });
    }
    const retrySend = tracing.span(`send ${retries}`, SpanKind.PRODUCER);
    assertChildOf(retrySend, processSpans[1]!);
    const retryProcess = tracing.span(`process ${retries}`, SpanKind.CONSUMER);
    assertChildOf(retryProcess, retrySend);
    assertAttributes(retryProcess, {
      'tracebridge.trust.signature': 'valid',
      // The second delivery was attempt 2; the retry topic carries attempt 3.
      'tracebridge.messaging.attempt': 3,
    });
  });

  it('links forged, expired, unsigned and copied contexts, and counts each failure', TIMEOUT, async () => {
    tracing = setupTracing('w3c');
    const metrics = setupMetrics();
    try {
      const [topic] = await kafka.createTopics(['hostile']);
      const cases = hostileContexts();
      const raw = await kafka.producer();
      await raw.send({
        topic: topic!,
        messages: Object.entries(cases).map(([name, headers]) => ({ value: name, headers })),
      });
      const consumer = traceConsumer(await kafka.consumer([topic!]), {
        signing: VERIFYING,
        meterProvider: metrics.provider,
      });
      const names: string[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          names.push(String(message.value));
        },
      });
      await waitUntil('every hostile message', () => names.length === 4);
      await consumer.stop();
      const spans = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      assert.equal(spans.length, 4);
      names.forEach((name, i) =>
        assertLinkedUnverified(spans[i]!, EXPECTED_FAILURE[name as keyof typeof cases]),
      );
      assert.deepEqual(await verificationFailures(metrics), { mismatch: 2, expired: 1, missing: 1 });
    } finally {
      await metrics.shutdown();
    }
  });
});
