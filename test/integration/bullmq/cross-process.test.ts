/**
 * BullMQ across processes, against the real Redis: a job added by a gRPC handler is processed by a
 * worker in another process in the one trace of the call; a job whose worker process is killed mid-job
 * stalls, and BullMQ's recovery processes it again in the same trace.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { BullmqObjects, uniqueQueueName } from '../../helpers/bullmq-fixture';
import type { SpanRecord } from '../../helpers/bullmq-fixture';
import { ordersClient, placeOrder, startOrdersServer } from '../../helpers/orders-fixture';
import { waitFor } from '../../helpers/redis-clients';
import { assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const WORKER_SCRIPT = join(__dirname, 'worker-process.ts');

/** A worker process and the spans it has reported. */
interface WorkerProcess {
  readonly child: ChildProcess;
  readonly spans: SpanRecord[];
  readonly events: Set<string>;
}

function startWorkerProcess(queue: string, mode: 'work' | 'hang'): WorkerProcess {
  const child = fork(WORKER_SCRIPT, [queue, mode], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const spans: SpanRecord[] = [];
  const events = new Set<string>();
  child.on('message', (message: { type: string; span?: SpanRecord }) => {
    if (message.type === 'span' && message.span !== undefined) spans.push(message.span);
    else events.add(message.type);
  });
  return { child, spans, events };
}

async function stop(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.disconnect();
  await exited;
}

let tracing: TestTracing;
let bull: BullmqObjects;
const workers: WorkerProcess[] = [];
before(() => {
  tracing = setupTracing('w3c');
});
after(() => tracing.shutdown());
beforeEach(() => {
  tracing.reset();
  bull = new BullmqObjects();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map(stop));
  await bull.close();
});

describe('BullMQ across processes (real Redis)', () => {
  it('processes a job added by a gRPC handler in another process, in the one trace of the call', async () => {
    const name = uniqueQueueName('grpc');
    const queue: Queue = bull.queue(name, { telemetry: bullmqTelemetry() });
    const worker = startWorkerProcess(name, 'work');
    workers.push(worker);
    const server = await startOrdersServer([grpcServerInterceptor()], () =>
      queue.add('ship', {}).then(() => undefined),
    );
    const client = ordersClient(server.address, [grpcClientInterceptor()]);
    try {
      const root = trace.getTracer('test-app').startSpan('checkout');
      await context.with(trace.setSpan(context.active(), root), () => placeOrder(client, 'sku-1'));
      root.end();
      await waitFor(() => worker.spans.length === 2, 'the worker process to report its spans', 20_000);
    } finally {
      client.close();
      await server.close();
    }

    const serverSpan = tracing.span('shop.v1.Orders/PlaceOrder', SpanKind.SERVER);
    const send = tracing.span(`send ${name}`, SpanKind.PRODUCER);
    assertChildOf(send, serverSpan);
    const processing = worker.spans.find((s) => s.name === `process ${name}`);
    const work = worker.spans.find((s) => s.name === 'ship order');
    assert.ok(processing && work, `spans from the worker: ${worker.spans.map((s) => s.name).join(', ')}`);
    assert.equal(processing.kind, SpanKind.CONSUMER);
    assert.equal(processing.traceId, send.spanContext().traceId);
    assert.equal(processing.parentSpanId, send.spanContext().spanId);
    assert.equal(work.traceId, send.spanContext().traceId);
    assert.equal(work.parentSpanId, processing.spanId);
    assert.equal(new Set(tracing.spans().map((s) => s.spanContext().traceId)).size, 1, 'one trace here');
  });

  it('processes a job whose worker process was killed again, once recovered, in the same trace', async () => {
    const name = uniqueQueueName('stalled');
    const t = bullmqTelemetry();
    const request = trace.getTracer('test-app').startSpan('rpc');
    await context.with(trace.setSpan(context.active(), request), () =>
      bull.queue(name, { telemetry: t }).add('stuck', {}),
    );
    request.end();
    const doomed = startWorkerProcess(name, 'hang');
    workers.push(doomed);
    await waitFor(() => doomed.events.has('started'), 'the doomed worker to start the job', 20_000);
    const exited = new Promise((resolve) => doomed.child.once('exit', resolve));
    doomed.child.kill('SIGKILL');
    await exited;

    const stalledIds: string[] = [];
    let recovered = 0;
    const rescuer = bull.worker(name, async () => void recovered++, {
      telemetry: t,
      lockDuration: 1000,
      stalledInterval: 300,
    });
    rescuer.on('stalled', (jobId) => stalledIds.push(jobId));
    await waitFor(
      () => tracing.spans().some((s) => s.name === `process ${name}`),
      'the recovered attempt',
      20_000,
    );

    assert.equal(recovered, 1);
    assert.equal(stalledIds.length, 1, 'BullMQ saw the job stall');
    assert.equal(doomed.spans.length, 0, "the killed attempt's span died with its process");
    const processing = tracing.span(`process ${name}`, SpanKind.CONSUMER);
    assertChildOf(processing, tracing.span(`send ${name}`));
    assert.equal(processing.attributes['messaging.message.id'], stalledIds[0]);
    assert.equal(processing.attributes['tracebridge.messaging.bullmq.outcome'], 'completed');
  });
});
