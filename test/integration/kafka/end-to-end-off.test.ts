// `endToEndLatency: false` against the real Kafka broker: the wrapped producer and consumer carry no
// `tracebridge-origin` header, record no end-to-end histogram point or span attribute, and the spans and
// their parents stay as with the default; a downstream consumer with the default sees the hop as a new
// origin, whose own sends carry it on.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { KafkaMessage, Producer, ProducerRecord } from 'kafkajs';
import { traceConsumer, traceProducer } from '../../../src/kafka/index';
import {
  assertNewOrigin,
  assertNoEndToEnd,
  atIngress,
  END_TO_END_METRIC,
  histogramPoints,
  ORIGIN,
  startMsOf,
} from '../../helpers/end-to-end';
import { startKafkaFixture, unique, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 90_000 };

/** `producer`, with every record it is handed kept: what kafkajs encodes onto the wire. */
function recording(producer: Producer, records: ProducerRecord[]): Producer {
  return new Proxy(producer, {
    get(target, property, receiver) {
      if (property === 'send')
        return (record: ProducerRecord) => {
          records.push(record);
          return target.send(record);
        };
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

describe('Kafka: endToEndLatency: false', () => {
  let kafka: KafkaFixture;
  let tracing: TestTracing;
  let meters: TestMetrics;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-kafka-e2eoff');
  });
  after(async () => {
    await kafka.close();
  });
  afterEach(async () => {
    await tracing.shutdown();
    await meters.shutdown();
  });

  it(
    'ingress -> topic (off) -> topic (default consumer): no origin on the wire, no end-to-end, same trace',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      meters = setupMetrics();
      const [first, second, third] = await kafka.createTopics(['e2eoff-a', 'e2eoff-b', 'e2eoff-c']);
      const [firstGroup, secondGroup] = [unique('e2eoff-a'), unique('e2eoff-b')];
      const off = traceProducer(await kafka.producer(), { endToEndLatency: false });
      const forwarded: ProducerRecord[] = [];
      const onward = traceProducer(recording(await kafka.producer(), forwarded));
      const offConsumer = traceConsumer(await kafka.consumer([first!], { groupId: firstGroup }), {
        groupId: firstGroup,
        endToEndLatency: false,
      });
      const defaultConsumer = traceConsumer(await kafka.consumer([second!], { groupId: secondGroup }), {
        groupId: secondGroup,
      });
      const { ingress } = await atIngress(tracing, 300, () =>
        off.send({ topic: first!, messages: [{ value: 'order 1' }] }),
      );

      const received: KafkaMessage[] = [];
      await offConsumer.run({
        eachMessage: async ({ message }) => {
          received.push(message);
          await off.send({ topic: second!, messages: [{ value: 'order 1, step 2' }] });
        },
      });
      await defaultConsumer.run({
        eachMessage: async ({ message }) => {
          received.push(message);
          await onward.send({ topic: third!, messages: [{ value: 'order 1, step 3' }] });
        },
      });
      await waitUntil('both hops', () => received.length === 2 && forwarded.length === 1);
      await Promise.all([offConsumer.stop(), defaultConsumer.stop()]);

      for (const message of received) {
        assert.equal(typeof message.headers?.['traceparent'], 'object', 'the trace context travels');
        assert.equal(message.headers?.[ORIGIN], undefined, 'no origin header on the wire');
      }
      const traceId = ingress.spanContext().traceId;
      const sendFirst = tracing.span(`send ${first}`, SpanKind.PRODUCER);
      const processFirst = tracing.span(`process ${first}`, SpanKind.CONSUMER);
      const sendSecond = tracing.span(`send ${second}`, SpanKind.PRODUCER);
      const processSecond = tracing.span(`process ${second}`, SpanKind.CONSUMER);
      const sendThird = tracing.span(`send ${third}`, SpanKind.PRODUCER);
      for (const span of [sendFirst, processFirst, sendSecond, processSecond, sendThird])
        assert.equal(span.spanContext().traceId, traceId, `${span.name} in the ingress's trace`);
      assert.equal(sendFirst.parentSpanContext?.spanId, ingress.spanContext().spanId);
      assert.equal(processFirst.parentSpanContext?.spanId, sendFirst.spanContext().spanId);
      assert.equal(sendSecond.parentSpanContext?.spanId, processFirst.spanContext().spanId);
      assert.equal(processSecond.parentSpanContext?.spanId, sendSecond.spanContext().spanId);
      assert.equal(sendThird.parentSpanContext?.spanId, processSecond.spanContext().spanId);
      assertNoEndToEnd(processFirst, 'off');
      assertNoEndToEnd(processSecond, 'no origin came: the hop is a new origin, nothing to measure');
      assert.deepEqual(await histogramPoints(meters, END_TO_END_METRIC), []);

      // The default hop's own send carries its new origin, not the ingress's.
      const header = forwarded[0]!.messages[0]!.headers?.[ORIGIN];
      assertNewOrigin(
        typeof header === 'string' ? header : undefined,
        startMsOf(processFirst),
        'the send from the default hop',
      );
    },
  );
});
