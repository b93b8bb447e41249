/**
 * BullMQ jobs against the real Redis, in one process: each attempt at a job is a CONSUMER span in the
 * trace of the request that added it (or linked to it, per the queue's `incoming` policy), with the
 * processor's spans inside; retries and backoff, delays and priorities, flows, job schedulers, hostile
 * stored contexts, a worker closed mid-job, and no span for BullMQ's own Redis work. Every span that
 * tracebridge starts ends exactly once.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Queue } from 'bullmq';
import type { Job } from 'bullmq';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import type { BullmqTelemetryOptions } from '../../../src/bullmq/index';
import { BULLMQ_CONNECTION, BullmqObjects, uniqueQueueName } from '../../helpers/bullmq-fixture';
import { waitFor } from '../../helpers/redis-clients';
import { countedTracing } from '../../helpers/counted-tracing';
import {
  assertAttributes,
  assertChildOf,
  assertLinks,
  assertRoot,
  setupMetrics,
} from '../../helpers/tracing';
import type { TestMetrics } from '../../helpers/tracing';

const { tracing, counter } = countedTracing();
let bull: BullmqObjects;
beforeEach(() => {
  bull = new BullmqObjects();
});
afterEach(async () => {
  await bull.close();
});

const app = () => trace.getTracer('test-app');

function telemetry(options: BullmqTelemetryOptions = {}) {
  return bullmqTelemetry({ tracerProvider: counter.provider, ...options });
}

/** Runs `work` inside a new span named `name` (the request that adds the jobs); returns the span. */
async function inRequest(name: string, work: () => Promise<unknown>, base: Context = context.active()) {
  const span = app().startSpan(name, {}, base);
  await context.with(trace.setSpan(base, span), work);
  span.end();
  return span;
}

const named = (name: string) => tracing.spans().filter((s) => s.name === name);
const processSpans = (queue: string) => named(`process ${queue}`);
const byAttempt = (spans: ReadableSpan[]) =>
  [...spans].sort(
    (a, b) =>
      Number(a.attributes['tracebridge.messaging.attempt']) -
      Number(b.attributes['tracebridge.messaging.attempt']),
  );

describe('BullMQ jobs (real Redis)', () => {
  it('processes a job in a CONSUMER span under the send span of the request that added it', async () => {
    const name = uniqueQueueName('basic');
    const t = telemetry();
    const queue = bull.queue(name, { telemetry: t });
    let added: Job | undefined;
    const request = await inRequest('rpc PlaceOrder', async () => {
      added = await queue.add('receipt', { orderId: 'o-1' });
    });
    bull.worker(
      name,
      async () => {
        app().startSpan('render receipt').end();
        return 'done';
      },
      { telemetry: t },
    );
    await waitFor(() => processSpans(name).length === 1 && named('render receipt').length === 1, 'the job');

    const send = tracing.span(`send ${name}`, SpanKind.PRODUCER);
    const processing = tracing.span(`process ${name}`, SpanKind.CONSUMER);
    assertChildOf(send, request);
    assertChildOf(processing, send);
    assertChildOf(tracing.span('render receipt'), processing);
    assertLinks(processing, []);
    const common = { 'messaging.system': 'bullmq', 'messaging.destination.name': name };
    assertAttributes(send, {
      ...common,
      'messaging.operation.type': 'send',
      'messaging.message.id': added!.id,
      'tracebridge.messaging.bullmq.job.name': 'receipt',
    });
    assertAttributes(processing, {
      ...common,
      'messaging.operation.type': 'process',
      'messaging.message.id': added!.id,
      'tracebridge.messaging.bullmq.job.name': 'receipt',
      'tracebridge.messaging.attempt': 1,
      'tracebridge.messaging.bullmq.outcome': 'completed',
    });
    assert.equal(typeof processing.attributes['tracebridge.messaging.time_in_queue_ms'], 'number');
    assert.equal(processing.status.code, SpanStatusCode.UNSET);
    // BullMQ's own steps (fetching jobs, locks, moving the job to completed) make no spans, and no
    // attribute holds the job's data or result.
    assert.deepEqual(
      tracing
        .spans()
        .map((s) => s.name)
        .sort(),
      [`process ${name}`, 'render receipt', 'rpc PlaceOrder', `send ${name}`],
    );
    assert.ok(!JSON.stringify(processing.attributes).includes('done'), 'the result is not recorded');
  });

  it("links instead of parenting on a queue whose policy is 'link', dropping the job's baggage", async () => {
    const trusted = uniqueQueueName('trusted');
    const untrusted = uniqueQueueName('public');
    const t = telemetry({
      incoming: { default: 'parent', rules: [{ destination: untrusted, policy: 'link' }] },
    });
    const baggageSeen = new Map<string, string | undefined>();
    const withBaggage = propagation.setBaggage(
      context.active(),
      propagation.createBaggage({ tenant: { value: 'acme' } }),
    );
    await inRequest(
      'rpc',
      async () => {
        await bull.queue(trusted, { telemetry: t }).add('j', {});
        await bull.queue(untrusted, { telemetry: t }).add('j', {});
      },
      withBaggage,
    );
    for (const name of [trusted, untrusted]) {
      bull.worker(
        name,
        async () => {
          baggageSeen.set(name, propagation.getActiveBaggage()?.getEntry('tenant')?.value);
        },
        { telemetry: t },
      );
    }
    await waitFor(() => processSpans(trusted).length + processSpans(untrusted).length === 2, 'both jobs');

    assertChildOf(tracing.span(`process ${trusted}`), tracing.span(`send ${trusted}`));
    const linked = tracing.span(`process ${untrusted}`);
    assertRoot(linked);
    assertLinks(linked, [tracing.span(`send ${untrusted}`)]);
    assertAttributes(linked, { 'tracebridge.incoming.policy': 'link' });
    assert.equal(baggageSeen.get(trusted), 'acme');
    assert.equal(baggageSeen.get(untrusted), undefined);
  });

  it('makes each attempt its own span in the trace, with the attempt number; backoff between them', async () => {
    const name = uniqueQueueName('retry');
    const t = telemetry();
    await inRequest('rpc', () =>
      bull
        .queue(name, { telemetry: t })
        .add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 50 } }),
    );
    bull.worker(
      name,
      async (job) => {
        if (job.attemptsMade < 2) throw new Error(`attempt ${job.attemptsMade + 1} failed`);
      },
      { telemetry: t },
    );
    await waitFor(() => processSpans(name).length === 3, 'three attempts');

    const send = tracing.span(`send ${name}`);
    const attempts = byAttempt(processSpans(name));
    attempts.forEach((span, i) => {
      assertChildOf(span, send);
      assertAttributes(span, { 'tracebridge.messaging.attempt': i + 1 });
    });
    assert.deepEqual(
      attempts.map((s) => [s.status.code, s.attributes['tracebridge.messaging.bullmq.outcome']]),
      [
        [SpanStatusCode.ERROR, 'delay'],
        [SpanStatusCode.ERROR, 'delay'],
        [SpanStatusCode.UNSET, 'completed'],
      ],
    );
    assert.equal(attempts[0]!.status.message, 'attempt 1 failed');
  });

  it('ends a job that exhausts its attempts in error', async () => {
    const name = uniqueQueueName('exhausted');
    const t = telemetry();
    await inRequest('rpc', () => bull.queue(name, { telemetry: t }).add('doomed', {}, { attempts: 2 }));
    const failed: Job[] = [];
    const worker = bull.worker(
      name,
      async () => {
        throw new TypeError('always fails');
      },
      { telemetry: t },
    );
    worker.on('failed', (job) => job !== undefined && failed.push(job));
    await waitFor(() => processSpans(name).length === 2 && failed.length === 2, 'both attempts');

    const attempts = byAttempt(processSpans(name));
    assert.deepEqual(
      attempts.map((s) => s.attributes['tracebridge.messaging.bullmq.outcome']),
      ['retry', 'failed'],
    );
    for (const span of attempts) {
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.equal(span.status.message, 'always fails');
      assertChildOf(span, tracing.span(`send ${name}`));
    }
    assert.equal(failed.at(-1)!.failedReason, 'always fails', "BullMQ's own failure handling is unchanged");
  });

  it('processes delayed and prioritised jobs in the traces that added them', async () => {
    const name = uniqueQueueName('delayed');
    const t = telemetry();
    const queue = bull.queue(name, { telemetry: t });
    const delayMs = 300;
    const delayedRequest = await inRequest('rpc delayed', () => queue.add('later', {}, { delay: delayMs }));
    const urgentRequest = await inRequest('rpc urgent', () => queue.add('urgent', {}, { priority: 1 }));
    bull.worker(name, async () => undefined, { telemetry: t });
    await waitFor(() => processSpans(name).length === 2, 'both jobs');

    const byName = (job: string) =>
      processSpans(name).find((s) => s.attributes['tracebridge.messaging.bullmq.job.name'] === job)!;
    for (const [job, request] of [
      ['later', delayedRequest],
      ['urgent', urgentRequest],
    ] as const) {
      const send = named(`send ${name}`).find(
        (s) => s.parentSpanContext?.spanId === request.spanContext().spanId,
      )!;
      assertChildOf(byName(job), send);
    }
    // Time in queue runs from the add: BullMQ does not tell its telemetry a job's delay (see README).
    assert.ok(Number(byName('later').attributes['tracebridge.messaging.time_in_queue_ms']) >= delayMs);
  });

  it('keeps a flow in one trace: each job under its own creation, the children under their parent', async () => {
    const parentQueue = uniqueQueueName('flow-parent');
    const childQueue = uniqueQueueName('flow-child');
    const t = telemetry();
    const flows = bull.flowProducer({ telemetry: t });
    const request = await inRequest('rpc', () =>
      flows.add({
        name: 'assemble',
        queueName: parentQueue,
        // BullMQ stores a flow job's context only when the job has options (see README).
        opts: {},
        children: ['a', 'b', 'c'].map((part) => ({
          name: `part-${part}`,
          queueName: childQueue,
          data: { part },
          opts: {},
        })),
      }),
    );
    const childrenDone = new Set<string>();
    let parentSawChildren = 0;
    bull.worker(childQueue, async (job) => void childrenDone.add(job.name), { telemetry: t });
    bull.worker(
      parentQueue,
      async (job) => {
        parentSawChildren = Object.keys(await job.getChildrenValues()).length;
      },
      { telemetry: t },
    );
    await waitFor(
      () => processSpans(parentQueue).length === 1 && processSpans(childQueue).length === 3,
      'flow',
    );

    const flowSend = tracing.span(`send ${parentQueue}`);
    assertChildOf(flowSend, request);
    const parentCreate = tracing.span(`create ${parentQueue}`);
    assertChildOf(parentCreate, flowSend);
    const childCreates = named(`create ${childQueue}`);
    assert.equal(childCreates.length, 3);
    for (const create of childCreates) assertChildOf(create, parentCreate);
    for (const processing of processSpans(childQueue)) {
      const id = processing.attributes['messaging.message.id'];
      assertChildOf(
        processing,
        childCreates.find((c) => c.attributes['messaging.message.id'] === id)!,
      );
    }
    assertChildOf(tracing.span(`process ${parentQueue}`), parentCreate);
    assert.equal(childrenDone.size, 3);
    assert.equal(parentSawChildren, 3);
  });

  it("runs each of a job scheduler's runs in its own trace, linked to the scheduling", async () => {
    const name = uniqueQueueName('scheduled');
    const t = telemetry();
    const queue = bull.queue(name, { telemetry: t });
    const request = await inRequest('rpc schedule', () =>
      queue.upsertJobScheduler('every-100ms', { every: 100, limit: 3 }, { name: 'tick' }),
    );
    bull.worker(name, async () => void app().startSpan('tick work').end(), { telemetry: t });
    await waitFor(() => processSpans(name).length === 3, 'three runs');

    const scheduling = named(`send ${name}`).find(
      (s) => s.parentSpanContext?.spanId === request.spanContext().spanId,
    );
    assert.ok(scheduling, 'the scheduling is a send span of the request');
    const runs = processSpans(name);
    assert.equal(new Set(runs.map((r) => r.spanContext().traceId)).size, 3, 'three traces');
    for (const run of runs) {
      assertRoot(run);
      assertLinks(run, [scheduling]);
      assert.match(String(run.attributes['messaging.message.id']), /^repeat:every-100ms:/);
    }
    for (const work of named('tick work')) {
      assert.ok(runs.some((r) => r.spanContext().spanId === work.parentSpanContext?.spanId));
    }
  });

  it('processes a job whose stored context is missing, malformed or hostile as a new trace', async () => {
    const name = uniqueQueueName('hostile');
    // A queue without tracebridge writes whatever metadata it is given, as any other producer could.
    const plain = bull.queue(name);
    const hostile = [
      'not json',
      '[1,2,3]',
      'null',
      '"a string"',
      '{"traceparent":"00-zzzz-not-hex-01"}',
      `{"traceparent":"${'0'.repeat(100_000)}"}`,
      '{"__proto__":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}',
      '{"traceparent":[1,{"a":2}],"tracebridge-enqueued-at":"-1"}',
      '{"tracebridge-enqueued-at":"99999999999999999999999"}',
    ];
    for (const [i, metadata] of hostile.entries()) {
      await plain.add(`hostile-${i}`, {}, { telemetry: { metadata } });
    }
    await plain.add('no-metadata', {});
    const processed = new Set<string>();
    const worker = bull.worker(name, async (job) => void processed.add(job.name), { telemetry: telemetry() });
    const failures: unknown[] = [];
    worker.on('failed', (_job, error) => failures.push(error));
    await waitFor(() => processSpans(name).length === hostile.length + 1, 'every job');

    assert.equal(processed.size, hostile.length + 1, 'every job was processed');
    assert.deepEqual(failures, []);
    for (const span of processSpans(name)) {
      assertRoot(span);
      assertLinks(span, []);
      assert.equal(span.attributes['tracebridge.messaging.time_in_queue_ms'], undefined);
    }
  });

  it('ends the span of a job whose worker is closed while it runs, once, as the job ends', async () => {
    const name = uniqueQueueName('closing');
    const t = telemetry();
    await inRequest('rpc', () => bull.queue(name, { telemetry: t }).add('slow', {}));
    let release: () => void = () => undefined;
    let started = false;
    const worker = bull.worker(
      name,
      async () => {
        started = true;
        await new Promise<void>((resolve) => (release = resolve));
      },
      { telemetry: t },
    );
    await waitFor(() => started, 'the job to start');
    const closing = worker.close();
    assert.equal(processSpans(name).length, 0, 'still running');
    release();
    await closing;
    const [span] = processSpans(name);
    assert.ok(span);
    assertChildOf(span, tracing.span(`send ${name}`));
    assertAttributes(span, { 'tracebridge.messaging.bullmq.outcome': 'completed' });
  });

  it('stores the enqueue time with a job even when no span records', async () => {
    const name = uniqueQueueName('untraced');
    const off = bullmqTelemetry({ tracerProvider: trace.getTracerProvider(), incoming: 'ignore' });
    const queue = new Queue(name, { connection: BULLMQ_CONNECTION, telemetry: off });
    try {
      const job = await queue.add('x', {});
      const stored = await queue.getJob(job.id!);
      const metadata = stored?.opts.telemetry?.metadata;
      assert.equal(typeof metadata, 'string');
      const fields = JSON.parse(metadata!) as Record<string, unknown>;
      assert.match(
        String(fields['tracebridge-enqueued-at']),
        /^\d+$/,
        'the enqueue time travels with the job',
      );
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

describe('BullMQ metrics (real Redis)', () => {
  let meters: TestMetrics;
  before(() => {
    meters = setupMetrics();
  });
  after(() => meters.shutdown());

  it("records the messaging metrics every transport records, and BullMQ's job counters when asked", async () => {
    const name = uniqueQueueName('metrics');
    const t = telemetry({ meterProvider: meters.provider, jobMetrics: true });
    await bull.queue(name, { telemetry: t }).add('m', {});
    bull.worker(name, async () => undefined, { telemetry: t });
    await waitFor(() => processSpans(name).length === 1, 'the job');

    const [resource] = await meters.collect();
    const recorded = resource!.scopeMetrics.flatMap((s) => s.metrics);
    const names = new Set(recorded.map((m) => m.descriptor.name));
    for (const metric of [
      'messaging.client.operation.duration',
      'messaging.client.sent.messages',
      'messaging.client.consumed.messages',
      'messaging.process.duration',
      'tracebridge.messaging.time_in_queue',
      'bullmq.jobs.completed',
      'bullmq.job.duration',
    ]) {
      assert.ok(names.has(metric), `${metric} recorded (got ${[...names].join(', ')})`);
    }
    const processDuration = recorded.find((m) => m.descriptor.name === 'messaging.process.duration')!;
    assert.deepEqual(processDuration.dataPoints[0]!.attributes, {
      'messaging.system': 'bullmq',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': name,
    });
  });
});
