// End-to-end latency against the real Kafka broker: a send at an ingress (an HTTP server span the
// application's instrumentation started) carries the origin; the consumer records the latency since it
// and the hop; a retry through `retryMessage` keeps the origin and counts one hop more. Origins from
// untrusted ('link', forged signature) sources and malformed, future or ancient values are ignored, and
// the consumer's own sends then start a new origin. With `endToEndLatency: false` a hop carries no origin
// header and records nothing, and a default consumer downstream sees it as a new origin.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { KafkaMessage, Producer, ProducerRecord } from 'kafkajs';
import { retryMessage, traceConsumer, traceProducer } from '../../../src/kafka/index';
import type { KafkaConsumerInfo } from '../../../src/kafka/index';
import {
  assertNewOrigin,
  assertNoEndToEnd,
  atIngress,
  END_TO_END_METRIC,
  endToEndOf,
  histogramPoints,
  hostileOrigins,
  ORIGIN,
  originHeader,
  pointWith,
  startMsOf,
} from '../../helpers/end-to-end';
import { startKafkaFixture, unique, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { hostileContexts, OUTSIDER_TRACEPARENT, VERIFYING } from '../../helpers/signatures';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 90_000 };
const INGRESS_AGO_MS = 300;

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

describe('Kafka: end-to-end latency', () => {
  let kafka: KafkaFixture;
  let tracing: TestTracing;
  /** Set by the tests that register a MeterProvider. */
  let meters: TestMetrics | undefined;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-kafka-e2e');
  });
  after(async () => {
    await kafka.close();
  });
  afterEach(async () => {
    await tracing.shutdown();
    await meters?.shutdown();
    meters = undefined;
  });

  it(
    'ingress -> topic -> retryMessage -> retry topic: the origin travels, hops and latency grow',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      meters = setupMetrics();
      const [main, retry] = await kafka.createTopics(['e2e-orders', 'e2e-orders-retry']);
      const [mainGroup, retryGroup] = [unique('e2e-main'), unique('e2e-retry')];
      const producer = traceProducer(await kafka.producer());
      const mainConsumer = traceConsumer(await kafka.consumer([main!], { groupId: mainGroup }), {
        groupId: mainGroup,
      });
      const retryConsumer = traceConsumer(await kafka.consumer([retry!], { groupId: retryGroup }), {
        groupId: retryGroup,
      });
      const { ingressStartMs } = await atIngress(tracing, INGRESS_AGO_MS, () =>
        producer.send({ topic: main!, messages: [{ value: 'order 1' }] }),
      );

      const retried: KafkaMessage[] = [];
      await mainConsumer.run({
        eachMessage: async ({ message }) => {
          await producer.send({ topic: retry!, messages: [retryMessage(message)] });
        },
      });
      await retryConsumer.run({
        eachMessage: async ({ message }) => {
          retried.push(message);
        },
      });
      await waitUntil('the retried message', () => retried.length === 1);
      await Promise.all([mainConsumer.stop(), retryConsumer.stop()]);

      // The header is the documented format: the ingress span's start, and the hop the receiver is at.
      assert.equal(retried[0]!.headers?.[ORIGIN]?.toString(), originHeader(ingressStartMs, 2));
      const first = endToEndOf(tracing.span(`process ${main}`, SpanKind.CONSUMER));
      const second = endToEndOf(tracing.span(`process ${retry}`, SpanKind.CONSUMER));
      assert.equal(first.hops, 1);
      assert.equal(second.hops, 2);
      assert.ok(first.ms >= INGRESS_AGO_MS, `first hop ${first.ms} ms since the ingress`);
      assert.ok(
        second.ms >= first.ms,
        `the retry (${second.ms} ms) is later than the first hop (${first.ms} ms)`,
      );

      const points = await histogramPoints(meters, END_TO_END_METRIC);
      const mainPoint = pointWith(points, {
        'messaging.destination.name': main!,
        'messaging.operation.name': 'process',
        'messaging.consumer.group.name': mainGroup,
        'messaging.system': 'kafka',
      });
      assert.equal(mainPoint.count, 1);
      assert.ok(Math.abs(mainPoint.sum - first.ms / 1000) < 1e-9, 'the metric holds the attribute’s value');
      assert.equal(pointWith(points, { 'messaging.destination.name': retry! }).count, 1);
    },
  );

  it('untrusted or invalid origins are ignored, and the hop becomes a new origin', TIMEOUT, async () => {
    tracing = setupTracing('w3c');
    meters = setupMetrics();
    const [open, linked, signed, forwardedTo] = await kafka.createTopics([
      'e2e-open',
      'e2e-linked',
      'e2e-signed',
      'e2e-forwarded',
    ]);
    const plain = await kafka.producer();
    const sentAtMs = Date.now();
    const validOrigin = originHeader(Date.now() - 2000, 3);
    const hostile = hostileOrigins();
    const withTraceparent = (origin: string, label: string) => ({
      value: label,
      headers: { traceparent: OUTSIDER_TRACEPARENT, [ORIGIN]: origin },
    });
    await plain.send({
      topic: open!,
      messages: [
        withTraceparent(validOrigin, 'control'),
        ...Object.entries(hostile).map(([label, origin]) => withTraceparent(origin, label)),
        // An origin without any trace context: nothing to continue, nothing believed.
        { value: 'no-context', headers: { [ORIGIN]: validOrigin } },
      ],
    });
    await plain.send({ topic: linked!, messages: [withTraceparent(validOrigin, 'linked')] });
    await plain.send({
      topic: signed!,
      messages: [{ value: 'forged', headers: { ...hostileContexts().forged, [ORIGIN]: validOrigin } }],
    });

    const producer = traceProducer(await kafka.producer());
    // Which message each process span was for, as the hook sees it.
    const labels = new Map<string, string>();
    const consumerHook = (span: Span, info: KafkaConsumerInfo): void => {
      labels.set(span.spanContext().spanId, info.message.value?.toString() ?? '');
    };
    const consumers = [
      traceConsumer(await kafka.consumer([open!]), { consumerHook }),
      traceConsumer(await kafka.consumer([linked!]), { consumerHook, incoming: 'link' }),
      traceConsumer(await kafka.consumer([signed!]), { consumerHook, signing: VERIFYING }),
    ];
    const forwarded: KafkaMessage[] = [];
    const forwardedConsumer = await kafka.consumer([forwardedTo!]);
    await forwardedConsumer.run({
      eachMessage: async ({ message }) => {
        forwarded.push(message);
      },
    });
    for (const consumer of consumers) {
      await consumer.run({
        eachMessage: async ({ message }) => {
          await producer.send({ topic: forwardedTo!, messages: [{ value: message.value }] });
        },
      });
    }
    await waitUntil('every message forwarded', () => forwarded.length === 8);
    await Promise.all([...consumers, forwardedConsumer].map((c) => c.stop()));

    const processed = new Map(
      tracing
        .spans()
        .filter((s) => s.kind === SpanKind.CONSUMER)
        .map((s) => [labels.get(s.spanContext().spanId) ?? '?', s]),
    );
    const control = endToEndOf(processed.get('control')!);
    assert.equal(control.hops, 3);
    assert.ok(control.ms >= 2000, `control: ${control.ms} ms`);
    const forwardedOrigins = new Map(
      forwarded.map((m) => [m.value!.toString(), m.headers?.[ORIGIN]?.toString() ?? '']),
    );
    assert.equal(forwardedOrigins.get('control'), validOrigin.replace(/:3$/, ':4'));

    for (const label of ['malformed', 'future', 'ancient', 'overlong', 'no-context', 'linked', 'forged']) {
      const span = processed.get(label);
      assert.ok(span !== undefined, `${label}: processed`);
      assertNoEndToEnd(span, `${label}: an untrusted or invalid origin is never recorded`);
      // The hop became a new origin: what it sent is at hop 1, from when its processing started.
      const match = /^v1:(\d+):1$/.exec(forwardedOrigins.get(label) ?? '');
      assert.ok(match !== null, `${label}: forwarded as a new origin, got ${forwardedOrigins.get(label)}`);
      const originMs = Number(match[1]);
      assert.ok(originMs >= sentAtMs && originMs <= startMsOf(span), `${label}: origin at its processing`);
    }

    const points = await histogramPoints(meters, END_TO_END_METRIC);
    assert.equal(
      points.reduce((n, p) => n + p.count, 0),
      1,
      'one point recorded in all: the control',
    );
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

  it(
    'no MeterProvider (the origin rule): a sampled send of several messages carries the origin, though each create span ended before its inject',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      const [topic] = await kafka.createTopics(['e2e-unmetered']);
      const groupId = unique('e2e-unmetered');
      const producer = traceProducer(await kafka.producer());
      const consumer = traceConsumer(await kafka.consumer([topic!], { groupId }), { groupId });
      const { ingressStartMs } = await atIngress(tracing, INGRESS_AGO_MS, () =>
        producer.send({ topic: topic!, messages: [{ value: 'a' }, { value: 'b' }] }),
      );
      const received: KafkaMessage[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message);
        },
      });
      await waitUntil('both messages', () => received.length === 2);
      await consumer.stop();

      for (const message of received)
        assert.equal(message.headers?.[ORIGIN]?.toString(), originHeader(ingressStartMs, 1));
      const processed = tracing.spans().filter((s) => s.name === `process ${topic}`);
      assert.equal(processed.length, 2);
      for (const span of processed) {
        const { hops, ms } = endToEndOf(span);
        assert.equal(hops, 1);
        assert.ok(ms >= INGRESS_AGO_MS, `${ms} ms since the ingress`);
      }
    },
  );
});
