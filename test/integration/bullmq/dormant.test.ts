/**
 * BullMQ's `telemetry` from `bullmqTelemetry()` with nothing registered (no tracer provider, propagator or
 * meter provider, none given), on the real Redis: a job is added, stored and processed as BullMQ without
 * telemetry does it (no context stored with the job), the same telemetry traces from the next job once an
 * SDK registers, and an attempt that started traced still ends its span with its outcome when the SDK
 * goes away mid-job.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Job } from 'bullmq';
import type { Queue } from 'bullmq';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import { nothingRegistered } from '../../../src/core/api-registrations';
import { BullmqObjects, uniqueQueueName } from '../../helpers/bullmq-fixture';
import { registerLateSdk, unregisterAll } from '../../helpers/late-sdk';
import type { LateSdk } from '../../helpers/late-sdk';
import { waitFor } from '../../helpers/redis-clients';
import { assertAttributes, assertChildOf, assertRoot } from '../../helpers/tracing';

type NumberJob = Job<{ n: number }, number>;

let bull: BullmqObjects;
let sdk: LateSdk | undefined;
beforeEach(() => {
  assert.equal(nothingRegistered(), true, 'each test starts with nothing registered');
  bull = new BullmqObjects();
});
afterEach(async () => {
  await bull.close();
  if (sdk !== undefined) assert.deepEqual(sdk.counter.misended(), [], 'every span ended exactly once');
  await sdk?.unregister();
  sdk = undefined;
  unregisterAll();
});

/** The job as BullMQ stored it in Redis, read back once it has completed. */
async function storedWhenCompleted(queue: Queue, id: string): Promise<NumberJob> {
  const deadline = Date.now() + 10_000;
  while ((await queue.getJobState(id)) !== 'completed') {
    if (Date.now() > deadline) assert.fail(`job ${id} of ${queue.name} did not complete`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const job = (await Job.fromId(queue, id)) as NumberJob | undefined;
  assert.ok(job !== undefined, `job ${id} is stored`);
  return job;
}

describe('BullMQ telemetry with nothing registered (real Redis)', () => {
  it('adds, stores and processes a job as BullMQ without telemetry does', async () => {
    const telemetry = bullmqTelemetry();
    const tracedName = uniqueQueueName('dormant');
    const plainName = uniqueQueueName('dormant-plain');
    const traced = bull.queue(tracedName, { telemetry });
    const plain = bull.queue(plainName);
    const processor = async (job: NumberJob) => job.data.n * 2;
    bull.worker(tracedName, processor, { telemetry });
    bull.worker(plainName, processor);

    const options = { attempts: 2, priority: 3 };
    const added = await traced.add('double', { n: 21 }, options);
    const addedPlain = await plain.add('double', { n: 21 }, options);
    assert.deepEqual(
      added.opts,
      addedPlain.opts,
      'the job BullMQ returns has the options of an untraced add',
    );
    assert.deepEqual(options, { attempts: 2, priority: 3 }, "the caller's options are untouched");

    const stored = await storedWhenCompleted(traced, added.id!);
    const storedPlain = await storedWhenCompleted(plain, addedPlain.id!);
    assert.equal(stored.opts.telemetry, undefined, 'no context is stored with the job');
    assert.deepEqual(stored.opts, storedPlain.opts);
    assert.equal(stored.returnvalue, 42);
    assert.equal(stored.attemptsMade, 1);
  });

  it('traces from the next job once an SDK registers, with the telemetry made before it', async () => {
    const telemetry = bullmqTelemetry();
    const name = uniqueQueueName('dormant-late');
    const queue = bull.queue(name, { telemetry });
    const early = await queue.add('early', { n: 1 });
    assert.equal(early.opts.telemetry, undefined, 'added while dormant: no context stored');

    sdk = registerLateSdk();
    const request = trace.getTracer('test-app').startSpan('rpc PlaceOrder');
    const late = await context.with(trace.setSpan(context.active(), request), () =>
      queue.add('late', { n: 2 }),
    );
    request.end();
    assert.equal(typeof late.opts.telemetry?.metadata, 'string', 'added traced: its context is stored');
    const processed: string[] = [];
    bull.worker(
      name,
      async (job: NumberJob) => {
        processed.push(job.name);
        return job.data.n;
      },
      { telemetry },
    );
    const lateSdk = sdk;
    await waitFor(
      () => lateSdk.spans().filter((s) => s.name === `process ${name}`).length === 2,
      'both jobs to be processed',
    );

    assert.deepEqual(processed.sort(), ['early', 'late']);
    const send = lateSdk.span(`send ${name}`, SpanKind.PRODUCER);
    assertChildOf(send, request);
    const [earlySpan, lateSpan] = ['early', 'late'].map((jobName) => {
      const found = lateSdk
        .spans()
        .filter(
          (s) =>
            s.name === `process ${name}` && s.attributes['tracebridge.messaging.bullmq.job.name'] === jobName,
        );
      assert.equal(found.length, 1, `one process span of the ${jobName} job`);
      return found[0]!;
    });
    assertRoot(earlySpan!);
    assertChildOf(lateSpan!, send);
    for (const span of [earlySpan!, lateSpan!]) assert.equal(span.kind, SpanKind.CONSUMER);
  });

  it('an attempt traced before the SDK goes away mid-job ends its span once, with its outcome', async () => {
    sdk = registerLateSdk();
    const telemetry = bullmqTelemetry();
    const name = uniqueQueueName('dormant-mid-job');
    const queue = bull.queue(name, { telemetry });
    const added = await queue.add('job', { n: 7 }, { attempts: 2 });
    const attempts: boolean[] = [];
    bull.worker(
      name,
      async (job: NumberJob) => {
        // The tracer provider and propagator go away during the first attempt; the context manager
        // stays, so BullMQ's step that settles the attempt (its retry) still runs in the attempt's context.
        trace.disable();
        propagation.disable();
        attempts.push(nothingRegistered());
        if (job.attemptsMade === 0) throw new Error('declined');
        return job.data.n;
      },
      { telemetry },
    );
    const stored = await storedWhenCompleted(queue, added.id!);

    assert.deepEqual(attempts, [true, true], 'both attempts ran with nothing registered');
    assert.equal(stored.returnvalue, 7);
    // Only the first attempt started traced: one span, which learnt its outcome from the retry step.
    const processSpan = sdk.span(`process ${name}`, SpanKind.CONSUMER);
    assert.equal(processSpan.status.code, SpanStatusCode.ERROR);
    assertAttributes(processSpan, {
      'tracebridge.messaging.bullmq.outcome': 'retry',
      'tracebridge.messaging.attempt': 1,
    });
  });
});
