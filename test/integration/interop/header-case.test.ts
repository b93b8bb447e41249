/**
 * Mixed fleets: trace headers in the capitalisation some peers write (`Traceparent`, `Uber-Trace-Id`),
 * produced by hand with plain clients through the real brokers: tracebridge's Kafka and RabbitMQ
 * consumers continue the trace all the same. (B3's `X-B3-*` is covered per transport in
 * `test/integration/{kafka,amqp}/foreign-header-case.test.ts`; what the contrib and OpenTracing peers do
 * with such headers is in `contrib-peers.test.ts` and `opentracing-peers.test.ts`.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { traceChannel } from '../../../src/amqp/index';
import { traceConsumer } from '../../../src/kafka/index';
import { AMQP_CLIENTS, openFixture } from '../../helpers/amqp-broker';
import type { AmqpFixture } from '../../helpers/amqp-broker';
import { startKafkaFixture } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { exportedSpan } from '../../helpers/peer-assertions';
import { setupTracing } from '../../helpers/tracing';
import type { PropagatorName, TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 60_000 };
const TRACE_ID = '463ac35c9f6413ad48485a3953bb6124';
const SPAN_ID = 'a2fb4a1d1a96d312';

const CAPITALISED: readonly { propagator: PropagatorName; headers: Record<string, string> }[] = [
  { propagator: 'w3c', headers: { Traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` } },
  { propagator: 'jaeger', headers: { 'Uber-Trace-Id': `${TRACE_ID}:${SPAN_ID}:0:1` } },
];

function assertContinued(span: ReadableSpan): void {
  assert.equal(span.spanContext().traceId, TRACE_ID, `${span.name}: the sender's trace is continued`);
  assert.equal(span.parentSpanContext?.spanId, SPAN_ID, `${span.name}: parented to the sender's span`);
}

for (const { propagator, headers } of CAPITALISED) {
  describe(`tracebridge consumers read ${Object.keys(headers).join(', ')} (${propagator})`, () => {
    let tracing: TestTracing;
    let kafka: KafkaFixture;
    let amqp: AmqpFixture;

    before(async () => {
      tracing = setupTracing(propagator);
      [kafka, amqp] = await Promise.all([startKafkaFixture('nodefleet-case'), openFixture(AMQP_CLIENTS[0]!)]);
    });
    after(async () => {
      await Promise.allSettled([kafka?.close(), amqp?.close()]);
      await tracing.shutdown();
    });

    it('Kafka', TIMEOUT, async () => {
      const [topic] = (await kafka.createTopics([`nodefleet-case-${propagator}`])) as [string];
      const plain = await kafka.producer();
      await plain.send({ topic, messages: [{ value: 'order', headers: { ...headers } }] });
      const consumer = traceConsumer(await kafka.consumer([topic]));
      await consumer.run({ eachMessage: async () => undefined });
      const processed = await exportedSpan(tracing, `process ${topic}`, SpanKind.CONSUMER);
      await consumer.stop();
      assertContinued(processed);
    });

    it('RabbitMQ', TIMEOUT, async () => {
      const queue = await amqp.queue(`nodefleet-case-${propagator}`);
      const channel = traceChannel(await amqp.connection.createChannel());
      await channel.consume(queue, (message) => {
        if (message !== null) channel.ack(message);
      });
      amqp.admin.sendToQueue(queue, Buffer.from('order'), { headers: { ...headers } });
      const processed = await exportedSpan(tracing, `process ${queue}`, SpanKind.CONSUMER);
      await channel.close();
      assertContinued(processed);
    });
  });
}
