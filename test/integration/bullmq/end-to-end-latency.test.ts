/**
 * End-to-end latency through BullMQ on the real Redis: a job added at an ingress carries the pipeline's
 * origin in its stored context; its processing records the time since that origin, and a job the
 * processor adds is the next hop, measured from the same origin. A hostile stored origin is ignored, a
 * scheduled job's run starts an origin of its own, and `endToEndLatency: false` stores and records none.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { Job } from 'bullmq';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import type { BullmqTelemetryOptions } from '../../../src/bullmq/index';
import { BullmqObjects, uniqueQueueName } from '../../helpers/bullmq-fixture';
import { countedTracing } from '../../helpers/counted-tracing';
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
import { waitFor } from '../../helpers/redis-clients';
import { setupMetrics } from '../../helpers/tracing';
import type { TestMetrics } from '../../helpers/tracing';

const INGRESS_AGO_MS = 200;

const { tracing, counter } = countedTracing();
let bull: BullmqObjects;
let meters: TestMetrics;
beforeEach(() => {
  bull = new BullmqObjects();
  meters = setupMetrics();
});
afterEach(async () => {
  await bull.close();
  await meters.shutdown();
});

function telemetry(options: BullmqTelemetryOptions = {}) {
  return bullmqTelemetry({ tracerProvider: counter.provider, meterProvider: meters.provider, ...options });
}

const processSpans = (queue: string) => tracing.spans().filter((s) => s.name === `process ${queue}`);

/** The stored context of `job`, parsed. */
function storedFields(job: Job | undefined): Record<string, unknown> {
  const metadata = job?.opts.telemetry?.metadata;
  assert.equal(typeof metadata, 'string', 'the job has a stored context');
  return JSON.parse(metadata!) as Record<string, unknown>;
}

describe('BullMQ end-to-end latency (real Redis)', () => {
  it('a job carries its origin; a job its processor adds is the next hop from the same origin', async () => {
    const orders = uniqueQueueName('e2e-orders');
    const emails = uniqueQueueName('e2e-emails');
    const t = telemetry();
    const orderQueue = bull.queue(orders, { telemetry: t });
    const emailQueue = bull.queue(emails, { telemetry: t });
    let emailJob: Job | undefined;
    const { result: orderJob, ingressStartMs } = await atIngress(tracing, INGRESS_AGO_MS, () =>
      orderQueue.add('order', { id: 1 }),
    );
    bull.worker(
      orders,
      async () => {
        emailJob = await emailQueue.add('email', { to: 'a@example.com' });
      },
      { telemetry: t },
    );
    bull.worker(emails, async () => undefined, { telemetry: t });
    await waitFor(() => processSpans(emails).length === 1, 'the email job');

    // The send began 'one hop on' from the ingress: the stored origin is the ingress's start, hop 1.
    assert.equal(storedFields(orderJob)[ORIGIN], originHeader(ingressStartMs, 1));
    assert.equal(storedFields(emailJob)[ORIGIN], originHeader(ingressStartMs, 2));
    const order = endToEndOf(processSpans(orders)[0]!);
    const email = endToEndOf(processSpans(emails)[0]!);
    assert.equal(order.hops, 1);
    assert.equal(email.hops, 2);
    assert.ok(order.ms >= INGRESS_AGO_MS, `order: ${order.ms} ms since an ingress ${INGRESS_AGO_MS} ms ago`);
    assert.ok(email.ms >= order.ms, `email: ${email.ms} ms, after the order's ${order.ms} ms`);

    const points = await histogramPoints(meters, END_TO_END_METRIC);
    for (const queue of [orders, emails]) {
      const point = pointWith(points, { 'messaging.system': 'bullmq', 'messaging.destination.name': queue });
      assert.equal(point.count, 1, `${queue}: one job measured`);
      assert.ok(point.min! >= INGRESS_AGO_MS / 1000, `${queue}: ${point.min} s`);
    }
  });

  it('ignores a hostile stored origin: the job is processed, as a new origin', async () => {
    const name = uniqueQueueName('e2e-hostile');
    // A queue without tracebridge stores whatever metadata it is given, as any other producer could.
    const plain = bull.queue(name);
    const origins = Object.values(hostileOrigins());
    for (const [i, origin] of origins.entries()) {
      const metadata = JSON.stringify({
        traceparent: `00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333${i}-01`,
        [ORIGIN]: origin,
      });
      await plain.add(`hostile-${i}`, {}, { telemetry: { metadata } });
    }
    // The control: the same producer's well-formed origin is measured from (an origin travels with a
    // trace context: without one there is no trace to continue, and the job is a new origin).
    const control = JSON.stringify({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203339-01',
      [ORIGIN]: originHeader(Date.now() - INGRESS_AGO_MS, 3),
    });
    await plain.add('control', {}, { telemetry: { metadata: control } });
    const processed: string[] = [];
    bull.worker(name, async (job) => void processed.push(job.name), { telemetry: telemetry() });
    await waitFor(() => processSpans(name).length === origins.length + 1, 'every job');

    assert.equal(processed.length, origins.length + 1, 'every job was processed');
    for (const span of processSpans(name)) {
      assert.equal(span.kind, SpanKind.CONSUMER);
      if (span.attributes['tracebridge.messaging.bullmq.job.name'] === 'control') {
        assert.equal(endToEndOf(span).hops, 3);
        continue;
      }
      assert.equal(
        span.parentSpanContext?.traceId,
        '0af7651916cd43dd8448eb211c80319c',
        'the trace continues',
      );
      assertNoEndToEnd(span, 'a hostile origin is not measured from');
    }
    const [point, ...others] = await histogramPoints(meters, END_TO_END_METRIC);
    assert.deepEqual(others, [], 'one histogram point');
    assert.equal(point?.count, 1, 'the control alone was measured');
  });

  it('a scheduled run starts an origin of its own, as it starts a trace of its own', async () => {
    const name = uniqueQueueName('e2e-scheduled');
    const t = telemetry();
    const queue = bull.queue(name, { telemetry: t });
    const downstream = uniqueQueueName('e2e-after-run');
    const downstreamQueue = bull.queue(downstream, { telemetry: t });
    const { ingressStartMs } = await atIngress(tracing, INGRESS_AGO_MS, () =>
      queue.upsertJobScheduler('every-50ms', { every: 50, limit: 1 }, { name: 'tick' }),
    );
    let sent: Job | undefined;
    bull.worker(
      name,
      async () => {
        sent ??= await downstreamQueue.add('after-tick', {});
      },
      { telemetry: t },
    );
    await waitFor(() => sent !== undefined && processSpans(name).length >= 1, 'a scheduled run');

    // The run does not continue the scheduling's trace (it links to it), nor its origin: measuring from
    // the call that set up the schedule would grow with every run.
    assertNoEndToEnd(processSpans(name)[0]!, 'a scheduled run is a new origin');
    const [, originMs, hops] = String(storedFields(sent)[ORIGIN]).split(':');
    assert.equal(hops, '1', 'the job the run adds is the first hop after it');
    // The schedule was set up as the ingress ended, INGRESS_AGO_MS after it began; the run came later.
    assert.ok(
      Number(originMs) >= ingressStartMs + INGRESS_AGO_MS,
      `the origin (${originMs}) is the run, not the ingress (${ingressStartMs})`,
    );
  });

  it('endToEndLatency: false stores no origin and records none', async () => {
    const name = uniqueQueueName('e2e-off');
    const t = telemetry({ endToEndLatency: false });
    const queue = bull.queue(name, { telemetry: t });
    const { result: job } = await atIngress(tracing, INGRESS_AGO_MS, () => queue.add('quiet', {}));
    bull.worker(name, async () => undefined, { telemetry: t });
    await waitFor(() => processSpans(name).length === 1, 'the job');

    assert.equal(storedFields(job)[ORIGIN], undefined);
    assertNoEndToEnd(processSpans(name)[0]!, 'end-to-end latency is off');
    assert.deepEqual(await histogramPoints(meters, END_TO_END_METRIC), []);
  });
});
