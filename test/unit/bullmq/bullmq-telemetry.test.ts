/**
 * `bullmqTelemetry` as BullMQ sees it: the shape its `telemetry` option takes, its options checked at
 * setup, and calls in the order BullMQ makes them never throwing, whatever the tracer underneath does.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { context, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import type { TracerProvider } from '@opentelemetry/api';
import type { Telemetry } from 'bullmq';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import type { BullmqTelemetryOptions } from '../../../src/bullmq/index';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { countSpanEnds } from '../../helpers/span-end-counter';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
beforeEach(() => {
  tracing = setupTracing('w3c');
});
afterEach(() => tracing.shutdown());

describe('bullmqTelemetry', () => {
  it("is what BullMQ's telemetry option takes, with a meter only when job metrics are asked for", () => {
    // Compile-time: assignable to BullMQ's own interface.
    const plain: Telemetry = bullmqTelemetry();
    const withMeter: Telemetry = bullmqTelemetry({ jobMetrics: true });
    assert.equal(plain.meter, undefined);
    assert.equal(typeof withMeter.meter?.createCounter, 'function');
  });

  it('rejects options of the wrong type and malformed incoming policies at setup', () => {
    const bad: unknown[] = [
      { jobMetrics: 'yes' },
      { processHook: 'not a function' },
      { tracerProvider: 42 },
      { incoming: 'trust-me' },
      { incoming: { rules: [{ destination: /x/g, policy: 'link' }] } },
    ];
    for (const options of bad) {
      assert.throws(
        () => bullmqTelemetry(options as BullmqTelemetryOptions),
        (error: unknown) =>
          error instanceof TracebridgeConfigError &&
          (error.code === TracebridgeErrorCode.InvalidOption ||
            error.code === TracebridgeErrorCode.InvalidIncomingPolicy),
        JSON.stringify(options),
      );
    }
  });

  it("leaves the caller's options untouched", () => {
    const options = Object.freeze({ incoming: 'link', jobMetrics: false } as const);
    bullmqTelemetry(options);
    assert.deepEqual(options, { incoming: 'link', jobMetrics: false });
  });

  it('never throws into BullMQ, even with a tracer that throws', () => {
    const throwing: TracerProvider = {
      getTracer: () => ({
        startSpan: () => {
          throw new Error('tracer down');
        },
        startActiveSpan: () => {
          throw new Error('tracer down');
        },
      }),
    };
    const { tracer, contextManager } = bullmqTelemetry({ tracerProvider: throwing });
    // An add, then a process, as BullMQ calls them.
    const add = tracer.startSpan('add q.j', { kind: SpanKind.PRODUCER });
    add.setAttributes({ 'bullmq.queue.name': 'q', 'bullmq.queue.operation': 'add' });
    const metadata = contextManager.getMetadata(add.setSpanOnContext(context.active()));
    add.setAttributes({ 'bullmq.job.id': '1' });
    add.end();
    const parent = contextManager.fromMetadata(ROOT_CONTEXT, metadata);
    const processing = tracer.startSpan('process q', { kind: SpanKind.CONSUMER }, parent);
    processing.setAttributes({ 'bullmq.queue.name': 'q', 'bullmq.queue.operation': 'process' });
    const work = processing.setSpanOnContext(parent);
    const result = contextManager.with(work, () => {
      processing.setAttributes({ 'bullmq.job.id': '1' });
      processing.addEvent('job failed', { 'bullmq.job.failed.reason': 'x' });
      processing.recordException(new Error('x'));
      return 'ran';
    });
    processing.end();
    assert.equal(result, 'ran');
  });

  it('makes no span of one BullMQ ends before naming its operation, and ends a process span once', () => {
    const counter = countSpanEnds(tracing.provider);
    const { tracer } = bullmqTelemetry({ tracerProvider: counter.provider });
    const early = tracer.startSpan('process q', { kind: SpanKind.CONSUMER });
    early.end();
    const processing = tracer.startSpan('process q', { kind: SpanKind.CONSUMER });
    processing.setAttributes({ 'bullmq.queue.name': 'q', 'bullmq.queue.operation': 'process' });
    processing.setSpanOnContext(ROOT_CONTEXT);
    processing.end();
    processing.end();
    processing.setAttributes({ 'bullmq.job.attempts.made': 1 });
    assert.deepEqual(
      counter.started.map((s) => [s.name, s.ends]),
      [['process q', 1]],
    );
  });
});
