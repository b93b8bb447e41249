/**
 * Interop with `bullmq-otel`, BullMQ's own OpenTelemetry package, against the real Redis: a job added
 * through bullmq-otel is processed by a tracebridge worker in the same trace, and the reverse. Both store
 * the job's context in the same field (`job.opts.telemetry.metadata`) as a JSON object of the
 * propagator's fields; tracebridge adds one field of its own, which bullmq-otel's propagator ignores.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { BullMQOtel } from 'bullmq-otel';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import { BullmqObjects, uniqueQueueName } from '../../helpers/bullmq-fixture';
import { waitFor } from '../../helpers/redis-clients';
import { assertAttributes, assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
let bull: BullmqObjects;
before(() => {
  tracing = setupTracing('w3c');
});
after(() => tracing.shutdown());
beforeEach(() => {
  tracing.reset();
  bull = new BullmqObjects();
});
afterEach(() => bull.close());

async function inRequest(work: () => Promise<unknown>) {
  const span = trace.getTracer('test-app').startSpan('rpc');
  await context.with(trace.setSpan(context.active(), span), work);
  span.end();
  return span;
}

const named = (name: string) => tracing.spans().filter((s) => s.name === name);

describe('interop with bullmq-otel (real Redis)', () => {
  it('processes a job added through bullmq-otel in the trace that added it', async () => {
    const name = uniqueQueueName('otel-to-tb');
    const request = await inRequest(() =>
      bull.queue(name, { telemetry: new BullMQOtel('interop-test') }).add('from-otel', {}),
    );
    bull.worker(name, async () => void trace.getTracer('test-app').startSpan('work').end(), {
      telemetry: bullmqTelemetry(),
    });
    await waitFor(() => named(`process ${name}`).length === 1 && named('work').length === 1, 'the job');

    const otelAdd = tracing.span(`add ${name}.from-otel`, SpanKind.PRODUCER);
    assertChildOf(otelAdd, request);
    const processing = tracing.span(`process ${name}`, SpanKind.CONSUMER);
    assertChildOf(processing, otelAdd);
    assertAttributes(processing, { 'messaging.system': 'bullmq' });
    assertChildOf(tracing.span('work'), processing);
  });

  it('lets a bullmq-otel worker process a job added through tracebridge in the trace that added it', async () => {
    const name = uniqueQueueName('tb-to-otel');
    const request = await inRequest(() =>
      bull.queue(name, { telemetry: bullmqTelemetry() }).add('from-tb', {}),
    );
    bull.worker(name, async () => void trace.getTracer('test-app').startSpan('work').end(), {
      telemetry: new BullMQOtel('interop-test'),
    });
    await waitFor(() => named(`process ${name}`).length === 1 && named('work').length === 1, 'the job');

    const send = tracing.span(`send ${name}`, SpanKind.PRODUCER);
    assertChildOf(send, request);
    const otelProcess = tracing.span(`process ${name}`, SpanKind.CONSUMER);
    assertChildOf(otelProcess, send);
    assertChildOf(tracing.span('work'), otelProcess);
  });
});
