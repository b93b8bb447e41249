/**
 * End-to-end latency through the real Redis, with every client flavour: a delayed job scheduled at an
 * ingress carries the origin through the sorted set and onto the stream (its latency includes the delay),
 * the job's own push onto a list (the envelope) is the next hop; a forged signature or an ancient origin
 * is ignored.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { delayedJobs, listConsumer, listProducer, streamConsumer } from '../../../src/redis/index';
import {
  assertNoEndToEnd,
  atIngress,
  END_TO_END_METRIC,
  endToEndOf,
  histogramPoints,
  hostileOrigins,
  ORIGIN,
  originHeader,
  pointWith,
} from '../../helpers/end-to-end';
import { connectRedis, REDIS_CLIENT_KINDS, uniqueKey } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { hostileContexts, OUTSIDER_TRACEPARENT, VERIFYING } from '../../helpers/signatures';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const GROUP = 'e2e-workers';
const INGRESS_AGO_MS = 200;
const DELAY_MS = 100;

let tracing: TestTracing;
before(() => {
  tracing = setupTracing('w3c');
});
after(() => tracing.shutdown());

for (const kind of REDIS_CLIENT_KINDS) {
  describe(`end-to-end latency (${kind})`, () => {
    let redis: TestRedis;
    let meters: TestMetrics;
    let stream: string;
    let list: string;
    before(async () => {
      redis = await connectRedis(kind);
    });
    after(() => redis.disconnect());
    beforeEach(async () => {
      tracing.reset();
      meters = setupMetrics();
      stream = uniqueKey('e2e-jobs');
      list = uniqueKey('e2e-list');
      await redis.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM');
    });
    afterEach(async () => {
      await redis.del(stream, `${stream}:delayed`, list);
      await meters.shutdown();
    });
    const readAll = () =>
      redis.callBuffer('XREADGROUP', 'GROUP', GROUP, 'c', 'COUNT', 100, 'STREAMS', stream, '>');

    it('a delayed job keeps its origin; the list push it makes is the next hop', async () => {
      const jobs = delayedJobs(redis, { stream });
      const consumer = streamConsumer(redis, { group: GROUP, consumer: 'c' });
      const pusher = listProducer(redis, { list });
      await atIngress(tracing, INGRESS_AGO_MS, () =>
        jobs.schedule({ task: 'receipt' }, { delayMs: DELAY_MS }),
      );
      await new Promise((resolve) => setTimeout(resolve, DELAY_MS + 20));
      assert.equal(await jobs.promoteDueJobs(), 1);
      await consumer.processRead(await readAll(), async () => {
        await pusher.push('email');
      });
      const payloads: string[] = [];
      await listConsumer().process(await redis.brpopBuffer(list, 1), (listJob) => {
        payloads.push(String(listJob.payload));
      });
      assert.deepEqual(payloads, ['email']);

      const job = endToEndOf(tracing.span(`process ${stream}`, SpanKind.CONSUMER));
      const pushed = endToEndOf(tracing.span(`process ${list}`, SpanKind.CONSUMER));
      assert.equal(job.hops, 1);
      assert.equal(pushed.hops, 2);
      assert.ok(job.ms >= INGRESS_AGO_MS + DELAY_MS, `the job ran ${job.ms} ms after the ingress`);
      assert.ok(pushed.ms >= job.ms, `the list job (${pushed.ms} ms) after the delayed job (${job.ms} ms)`);

      const points = await histogramPoints(meters, END_TO_END_METRIC);
      const jobPoint = pointWith(points, {
        'messaging.system': 'redis',
        'messaging.destination.name': stream,
        'messaging.consumer.group.name': GROUP,
      });
      assert.equal(jobPoint.count, 1);
      assert.equal(pointWith(points, { 'messaging.destination.name': list }).count, 1);
    });

    it('a forged signature or an ancient origin is ignored, never recorded', async () => {
      const signedStream = uniqueKey('e2e-signed');
      await redis.call('XGROUP', 'CREATE', signedStream, GROUP, '0', 'MKSTREAM');
      try {
        const valid = originHeader(Date.now() - 3000, 1);
        const entry = (key: string, label: string, fields: Record<string, string>) =>
          redis.call('XADD', key, '*', 'n', label, ...Object.entries(fields).flat());
        await entry(stream, 'control', { traceparent: OUTSIDER_TRACEPARENT, [ORIGIN]: valid });
        await entry(stream, 'ancient', {
          traceparent: OUTSIDER_TRACEPARENT,
          [ORIGIN]: hostileOrigins().ancient,
        });
        await entry(signedStream, 'forged', { ...hostileContexts().forged, [ORIGIN]: valid });
        const jobFields: string[][] = [];
        const record = (job: { fields: readonly (string | Buffer)[] }) => {
          jobFields.push(job.fields.map(String));
        };
        await streamConsumer(redis, { group: GROUP, consumer: 'c' }).processRead(await readAll(), record);
        const signedReply = await redis.callBuffer(
          'XREADGROUP',
          'GROUP',
          GROUP,
          'c',
          'COUNT',
          10,
          'STREAMS',
          signedStream,
          '>',
        );
        await streamConsumer(redis, { group: GROUP, consumer: 'c', signing: VERIFYING }).processRead(
          signedReply,
          record,
        );
        assert.deepEqual(
          jobFields,
          [
            ['n', 'control'],
            ['n', 'ancient'],
            ['n', 'forged'],
          ],
          'the origin field is hidden from the job like the trace context',
        );
        const [control, ancient] = tracing.spans().filter((s) => s.name === `process ${stream}`);
        assert.equal(endToEndOf(control!).hops, 1);
        assertNoEndToEnd(ancient!, 'an origin older than the bound is ignored');
        assertNoEndToEnd(tracing.span(`process ${signedStream}`), 'a forged context’s origin is ignored');
        const points = await histogramPoints(meters, END_TO_END_METRIC);
        assert.deepEqual(
          points.map((p) => [p.attributes['messaging.destination.name'], p.count]),
          [[stream, 1]],
        );
      } finally {
        await redis.del(signedStream);
      }
    });
  });
}
