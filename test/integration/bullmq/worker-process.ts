/**
 * A BullMQ worker in a process of its own, for the cross-process tests: `node --import tsx
 * worker-process.ts <queue> <mode>`. It registers its own SDK and sends every span it finishes to the
 * parent over IPC. Modes: `work` processes each job in a span of its own making; `hang` tells the parent
 * it started the job and never finishes it (the parent then kills this process).
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Worker } from 'bullmq';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import { BULLMQ_CONNECTION, spanRecord } from '../../helpers/bullmq-fixture';

const [queue, mode] = process.argv.slice(2);
if (queue === undefined || (mode !== 'work' && mode !== 'hang')) throw new Error('usage: <queue> work|hang');

const toParent: SpanProcessor = {
  onStart: () => undefined,
  onEnd: (span: ReadableSpan) => process.send?.({ type: 'span', span: spanRecord(span) }),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [toParent] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const worker = new Worker(
  queue,
  async () => {
    if (mode === 'hang') {
      process.send?.({ type: 'started' });
      return new Promise<never>(() => undefined);
    }
    trace.getTracer('worker-app').startSpan('ship order').end();
    return undefined;
  },
  // A short lock and stalled-check interval (BullMQ runs one check per interval across all workers), so
  // that once this process is killed its job is found stalled soon.
  { connection: BULLMQ_CONNECTION, telemetry: bullmqTelemetry(), lockDuration: 1000, stalledInterval: 300 },
);
worker.on('error', () => undefined);
void worker.waitUntilReady().then(() => process.send?.({ type: 'ready' }));
process.on('disconnect', () => void worker.close().then(() => process.exit(0)));
