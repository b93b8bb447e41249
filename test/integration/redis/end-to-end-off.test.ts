/**
 * `endToEndLatency: false` through real Redis streams, with every client flavour: a stream producer with
 * it adds no `tracebridge-origin` field to the entry, a stream consumer with it records no end-to-end
 * histogram point or span attribute, and still hides an inbound origin field from the job's fields; spans
 * and parents stay as with the default, and a downstream consumer with the default sees the hop as a new
 * origin, whose own entries carry it on.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { streamConsumer, streamProducer } from '../../../src/redis/index';
import {
  assertNewOrigin,
  assertNoEndToEnd,
  atIngress,
  END_TO_END_METRIC,
  histogramPoints,
  ORIGIN,
  startMsOf,
} from '../../helpers/end-to-end';
import { connectRedis, REDIS_CLIENT_KINDS, uniqueKey } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const GROUP = 'e2eoff-workers';

let tracing: TestTracing;
before(() => {
  tracing = setupTracing('w3c');
});
after(() => tracing.shutdown());

for (const kind of REDIS_CLIENT_KINDS) {
  describe(`endToEndLatency: false (${kind})`, () => {
    let redis: TestRedis;
    let meters: TestMetrics;
    let streams: string[];
    before(async () => {
      redis = await connectRedis(kind);
    });
    after(() => redis.disconnect());
    beforeEach(async () => {
      tracing.reset();
      meters = setupMetrics();
      streams = ['a', 'b', 'c'].map((s) => uniqueKey(`e2eoff-${s}`));
      for (const stream of streams) await redis.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM');
    });
    afterEach(async () => {
      await redis.del(...streams);
      await meters.shutdown();
    });
    const readAll = (stream: string) =>
      redis.call('XREADGROUP', 'GROUP', GROUP, 'c', 'COUNT', 100, 'STREAMS', stream, '>');
    /** The field names of every entry of `stream`, as Redis stores them. */
    const storedFields = async (stream: string): Promise<Map<string, string>[]> => {
      const entries = (await redis.call('XRANGE', stream, '-', '+')) as [string, string[]][];
      return entries.map(([, fields]) => {
        const byName = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) byName.set(String(fields[i]), String(fields[i + 1]));
        return byName;
      });
    };

    it('ingress -> stream (off) -> stream (default consumer): no origin field, no end-to-end, same trace', async () => {
      const [first, second, third] = streams as [string, string, string];
      const offConsumer = streamConsumer(redis, { group: GROUP, consumer: 'c', endToEndLatency: false });
      const defaultConsumer = streamConsumer(redis, { group: GROUP, consumer: 'c' });
      const toSecond = streamProducer(redis, { stream: second, endToEndLatency: false });
      const toThird = streamProducer(redis, { stream: third });
      const { ingress } = await atIngress(tracing, 200, () =>
        streamProducer(redis, { stream: first, endToEndLatency: false }).add({ step: '1' }),
      );
      await offConsumer.processRead(await readAll(first), async () => {
        await toSecond.add({ step: '2' });
      });
      await defaultConsumer.processRead(await readAll(second), async () => {
        await toThird.add({ step: '3' });
      });

      for (const stream of [first, second]) {
        const [fields] = await storedFields(stream);
        assert.equal(typeof fields?.get('traceparent'), 'string', `${stream}: the trace context travels`);
        assert.equal(fields?.has(ORIGIN), false, `${stream}: no origin field stored`);
      }
      const sendFirst = tracing.span(`send ${first}`, SpanKind.PRODUCER);
      const processFirst = tracing.span(`process ${first}`, SpanKind.CONSUMER);
      const sendSecond = tracing.span(`send ${second}`, SpanKind.PRODUCER);
      const processSecond = tracing.span(`process ${second}`, SpanKind.CONSUMER);
      const traceId = ingress.spanContext().traceId;
      for (const span of [sendFirst, processFirst, sendSecond, processSecond])
        assert.equal(span.spanContext().traceId, traceId, `${span.name} in the ingress's trace`);
      assert.equal(sendFirst.parentSpanContext?.spanId, ingress.spanContext().spanId);
      assert.equal(processFirst.parentSpanContext?.spanId, sendFirst.spanContext().spanId);
      assert.equal(sendSecond.parentSpanContext?.spanId, processFirst.spanContext().spanId);
      assert.equal(processSecond.parentSpanContext?.spanId, sendSecond.spanContext().spanId);
      assertNoEndToEnd(processFirst, 'off');
      assertNoEndToEnd(processSecond, 'no origin came: the hop is a new origin, nothing to measure');
      assert.deepEqual(await histogramPoints(meters, END_TO_END_METRIC), []);
      // The default hop's own entry carries its new origin, not the ingress's.
      const [thirdFields] = await storedFields(third);
      assertNewOrigin(thirdFields?.get(ORIGIN), startMsOf(processFirst), 'the entry from the default hop');
    });

    it('an inbound origin field is hidden from the job’s fields and not measured', async () => {
      const [first] = streams as [string];
      await atIngress(tracing, 200, () => streamProducer(redis, { stream: first }).add({ step: '1' }));
      const [stored] = await storedFields(first);
      assert.equal(typeof stored?.get(ORIGIN), 'string', 'the default producer wrote one');
      const jobFields: string[][] = [];
      await streamConsumer(redis, { group: GROUP, consumer: 'c', endToEndLatency: false }).processRead(
        await readAll(first),
        (job) => {
          jobFields.push(job.fields.map(String));
        },
      );
      assert.deepEqual(jobFields, [['step', '1']]);
      const processFirst = tracing.span(`process ${first}`, SpanKind.CONSUMER);
      assert.equal(
        processFirst.parentSpanContext?.spanId,
        tracing.span(`send ${first}`, SpanKind.PRODUCER).spanContext().spanId,
      );
      assertNoEndToEnd(processFirst, 'off');
      assert.deepEqual(await histogramPoints(meters, END_TO_END_METRIC), []);
    });
  });
}
