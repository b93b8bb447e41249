/**
 * `traceProcessor` against real BullMQ on the real Redis: a delayed job's process span records the delay
 * apart and its time in queue from when it became ready; a prioritised job's from its add (it was ready
 * at once); a retry is left as it was (BullMQ keeps no end time of the previous attempt); the
 * time-in-queue histogram is recorded once per attempt with the span's value; `tracebridge view` draws
 * the delay as waiting; and a processor under no tracebridge telemetry runs as it did.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import type { Job } from 'bullmq';
import { bullmqTelemetry, traceProcessor } from '../../../src/bullmq/index';
import { renderWaterfall } from '../../../src/cli/render-waterfall';
import { toTraceSpan } from '../../../src/testing/finished-span';
import { BullmqObjects, uniqueQueueName } from '../../helpers/bullmq-fixture';
import { waitFor } from '../../helpers/redis-clients';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const DELAY_MS = 300;
const TIME_IN_QUEUE = 'tracebridge.messaging.time_in_queue_ms';
const DELAY = 'tracebridge.messaging.delay_ms';

let tracing: TestTracing;
let meters: TestMetrics;
let bull: BullmqObjects;
before(() => {
  tracing = setupTracing('w3c');
  meters = setupMetrics();
});
after(async () => {
  await meters.shutdown();
  await tracing.shutdown();
});
beforeEach(() => {
  tracing.reset();
  bull = new BullmqObjects();
});
afterEach(() => bull.close());

const telemetry = () => bullmqTelemetry({ tracerProvider: tracing.provider, meterProvider: meters.provider });
const processSpans = (queue: string) => tracing.spans().filter((s) => s.name === `process ${queue}`);
const jobNamed = (spans: ReadableSpan[], job: string) =>
  spans.find((s) => s.attributes['tracebridge.messaging.bullmq.job.name'] === job)!;
const startMs = (span: ReadableSpan) => span.startTime[0] * 1000 + span.startTime[1] / 1e6;

/** The time-in-queue histogram's point for `queue`: how many values, and their sum in ms. */
async function timeInQueueRecorded(queue: string): Promise<{ count: number; sumMs: number }> {
  const [resource] = await meters.collect();
  const histogram = resource!.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === 'tracebridge.messaging.time_in_queue') as HistogramMetricData;
  const point = histogram.dataPoints.find((p) => p.attributes['messaging.destination.name'] === queue);
  return { count: point?.value.count ?? 0, sumMs: (point?.value.sum ?? 0) * 1000 };
}

/**
 * A time in queue measured from the right moment. The job's receipt comes before its span's start, so the
 * value is at most the wait until the span started, plus 5 ms (the job's times are whole ms, and the span's
 * clock is the SDK's, not `Date.now()`). The receipt is that span start less what a loaded machine takes
 * between the two, far less than the delay, so a value measured from the add (DELAY_MS more) or from the
 * start (zero) cannot pass. Exact equality would time the machine, not the library.
 */
function assertWaitedUntil(timeInQueueMs: number, untilSpanStartMs: number, job: string): void {
  const upper = Math.max(0, untilSpanStartMs) + 5;
  const lower = untilSpanStartMs - DELAY_MS / 2;
  assert.ok(
    timeInQueueMs <= upper && timeInQueueMs >= lower,
    `${job}: time in queue ${timeInQueueMs} ms, expected ${lower}..${upper} ms`,
  );
}

describe('traceProcessor: delay and time in queue from readiness (real Redis)', () => {
  it('records a delayed job’s delay apart and its time in queue from when it became ready', async () => {
    const name = uniqueQueueName('ready');
    const t = telemetry();
    const queue = bull.queue(name, { telemetry: t });
    const later = await queue.add('later', {}, { delay: DELAY_MS });
    const urgent = await queue.add('urgent', {}, { priority: 1 });
    const plain = await queue.add('plain', {}, { priority: 2 });
    const results: unknown[] = [];
    const worker = bull.worker(
      name,
      traceProcessor(async (job: Job) => `done ${job.name}`),
      { telemetry: t },
    );
    worker.on('completed', (_job, result) => results.push(result));
    await waitFor(() => processSpans(name).length === 3, 'the three jobs');

    const spans = processSpans(name);
    const delayed = jobNamed(spans, 'later');
    assert.equal(delayed.attributes[DELAY], DELAY_MS);
    // From readiness (add + delay) to the job's receipt, which is read just before its span starts.
    const fromReady = startMs(delayed) - (later.timestamp + DELAY_MS);
    assertWaitedUntil(Number(delayed.attributes[TIME_IN_QUEUE]), fromReady, 'later');
    for (const [job, added] of [
      ['urgent', urgent],
      ['plain', plain],
    ] as const) {
      const span = jobNamed(spans, job);
      assert.equal(span.attributes[DELAY], undefined, `${job} was not delayed`);
      const fromAdd = startMs(span) - added.timestamp;
      assertWaitedUntil(Number(span.attributes[TIME_IN_QUEUE]), fromAdd, job);
    }
    assert.deepEqual(results.sort(), ['done later', 'done plain', 'done urgent'], 'results unchanged');

    const recorded = await timeInQueueRecorded(name);
    assert.equal(recorded.count, 3, 'one value per job, not one from the add and one from readiness');
    const spanSumMs = spans.reduce((sum, s) => sum + Number(s.attributes[TIME_IN_QUEUE]), 0);
    assert.ok(Math.abs(recorded.sumMs - spanSumMs) < 0.5, 'the histogram holds the spans’ values');
  });

  it('draws the delay as waiting in tracebridge view', async () => {
    const name = uniqueQueueName('view');
    const t = telemetry();
    await bull.queue(name, { telemetry: t }).add('later', {}, { delay: DELAY_MS });
    bull.worker(
      name,
      traceProcessor(async () => undefined),
      { telemetry: t },
    );
    await waitFor(() => processSpans(name).length === 1, 'the job');

    const text = renderWaterfall(tracing.spans().map(toTraceSpan), { width: 120 });
    const row = text.split('\n').find((line) => line.includes('CONSUMER'));
    // Between the send and the process bar, the delay and the time in queue are drawn as waiting dots.
    assert.match(row ?? '', /CONSUMER.*\| *\.{10,}=*\|$/, `the job waits before its bar:\n${text}`);
  });

  it('leaves a retry’s time in queue as it was, and records the histogram once per attempt', async () => {
    const name = uniqueQueueName('retry');
    const t = telemetry();
    await bull
      .queue(name, { telemetry: t })
      .add('flaky', {}, { delay: DELAY_MS, attempts: 2, backoff: { type: 'fixed', delay: 50 } });
    bull.worker(
      name,
      traceProcessor(async (job: Job) => {
        if (job.attemptsMade === 0) throw new Error('first attempt fails');
      }),
      { telemetry: t },
    );
    await waitFor(() => processSpans(name).length === 2, 'both attempts');

    const [first, retry] = [...processSpans(name)].sort((a, b) => startMs(a) - startMs(b));
    assert.equal(first!.attributes[DELAY], DELAY_MS);
    assert.equal(first!.status.message, 'first attempt fails', 'the processor’s error passes through');
    assert.equal(retry!.attributes[DELAY], undefined, 'when the retry became ready is not known');
    assert.ok(Number(retry!.attributes[TIME_IN_QUEUE]) >= DELAY_MS, 'still measured from the add');
    assert.equal((await timeInQueueRecorded(name)).count, 2);
  });

  it('changes nothing for a processor whose worker has no tracebridge telemetry', async () => {
    const name = uniqueQueueName('plain');
    await bull.queue(name).add('job', { n: 1 });
    const results: unknown[] = [];
    const worker = bull.worker(
      name,
      traceProcessor(async (job: Job<{ n: number }>) => job.data.n + 1),
    );
    worker.on('completed', (_job, result) => results.push(result));
    await waitFor(() => results.length === 1, 'the job');
    assert.deepEqual(results, [2]);
    assert.equal(processSpans(name).length, 0);
  });
});
