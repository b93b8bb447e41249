/**
 * The stream worker against the real Redis, through every client flavour: a gRPC handler enqueues a job
 * that a worker on another connection processes, in one trace; a worker that crashes mid-job (its
 * connection is cut) leaves the entry to a second worker that claims it with XAUTOCLAIM, both attempts in
 * the trace and the entry acknowledged exactly once (counted with MONITOR); stop() ends cleanly.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { streamProducer, streamWorker } from '../../../src/redis/index';
import type { StreamJob } from '../../../src/redis/index';
import { ordersClient, placeOrder, startOrdersServer } from '../../helpers/orders-fixture';
import { connectRedis, describeEachClient, uniqueKey, waitFor } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { countedTracing } from '../../helpers/counted-tracing';
import { assertAttributes, assertChildOf } from '../../helpers/tracing';

const GROUP = 'workers';

const { tracing, counter } = countedTracing();

describeEachClient('stream worker', (kind) => {
  let admin: TestRedis;
  let stream: string;
  const opened: TestRedis[] = [];
  const connect = async () => {
    const client = await connectRedis(kind);
    opened.push(client);
    return client;
  };
  before(async () => {
    admin = await connectRedis('ioredis5-resp2');
  });
  after(() => admin.disconnect());
  beforeEach(() => {
    stream = uniqueKey('jobs');
  });
  afterEach(async () => {
    for (const client of opened.splice(0)) client.disconnect();
    await admin.del(stream);
  });

  it('a gRPC handler enqueues a job and a worker on another connection processes it: one trace', async () => {
    const producerConnection = await connect();
    const producer = streamProducer(producerConnection, { stream, tracerProvider: counter.provider });
    const server = await startOrdersServer(
      [grpcServerInterceptor({ tracerProvider: counter.provider })],
      async (call) => {
        await producer.add({ sku: String(call.metadata.get('x-sku')[0] ?? 'none') });
      },
    );
    const client = ordersClient(server.address, [
      grpcClientInterceptor({ tracerProvider: counter.provider }),
    ]);
    const jobs: StreamJob[] = [];
    const worker = streamWorker(await connect(), {
      stream,
      group: GROUP,
      consumer: 'worker-1',
      blockMs: 50,
      tracerProvider: counter.provider,
      handler: (job) => {
        jobs.push(job);
      },
    });
    await worker.start();
    try {
      const request = trace.getTracer('test').startSpan('checkout');
      await context.with(trace.setSpan(context.active(), request), () => placeOrder(client, 'sku-7'));
      request.end();
      await waitFor(() => jobs.length === 1, 'the job to be processed');
      await waitFor(() => tracing.spans().some((s) => s.name === `process ${stream}`), 'the process span');

      const clientSpan = tracing.span('shop.v1.Orders/PlaceOrder', SpanKind.CLIENT);
      const serverSpan = tracing.span('shop.v1.Orders/PlaceOrder', SpanKind.SERVER);
      const send = tracing.span(`send ${stream}`, SpanKind.PRODUCER);
      const processed = tracing.span(`process ${stream}`, SpanKind.CONSUMER);
      assertChildOf(clientSpan, request);
      assertChildOf(serverSpan, clientSpan);
      assertChildOf(send, serverSpan);
      assertChildOf(processed, send);
      const traceIds = new Set(
        [request, clientSpan, serverSpan, send, processed].map((s) => s.spanContext().traceId),
      );
      assert.equal(traceIds.size, 1, 'one trace from the RPC to the job');
      assertAttributes(processed, {
        'messaging.consumer.group.name': GROUP,
        'messaging.client.id': 'worker-1',
      });
    } finally {
      await worker.stop();
      client.close();
      await server.close();
    }
  });

  it('a worker crashes mid-job; a second one claims the entry with XAUTOCLAIM: both attempts in the trace, acked once', async () => {
    const monitor = await admin.monitor();
    let xacks = 0;
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'xack' && args[1] === stream) xacks++;
    });
    try {
      const connectionA = await connect();
      let started: () => void = () => undefined;
      const jobStarted = new Promise<void>((resolve) => (started = resolve));
      let finishJob: () => void = () => undefined;
      const jobMayFinish = new Promise<void>((resolve) => (finishJob = resolve));
      const errorsOfA: unknown[] = [];
      const workerA = streamWorker(connectionA, {
        stream,
        group: GROUP,
        consumer: 'worker-a',
        blockMs: 50,
        tracerProvider: counter.provider,
        onError: (error) => errorsOfA.push(error),
        handler: async () => {
          started();
          await jobMayFinish;
        },
      });
      await workerA.start();

      const enqueue = trace.getTracer('test').startSpan('enqueue');
      const producer = streamProducer(await connect(), { stream, tracerProvider: counter.provider });
      const id = await context.with(trace.setSpan(context.active(), enqueue), () =>
        producer.add({ job: 'x' }),
      );
      enqueue.end();

      await jobStarted;
      connectionA.disconnect(); // the crash: no XACK can come from worker A any more
      await waitFor(
        () => tracing.spans().some((s) => s.name === `process ${stream}`),
        "worker A's span to end when its connection ended",
      );
      finishJob();
      await workerA.stop();
      assert.ok(
        errorsOfA.some((e) => e instanceof Error && /closed/i.test(e.message)),
        "worker A's XACK failed on its closed connection and was reported",
      );

      const attemptsOfB: (number | undefined)[] = [];
      const workerB = streamWorker(await connect(), {
        stream,
        group: GROUP,
        consumer: 'worker-b',
        blockMs: 50,
        claimMinIdleMs: 100,
        tracerProvider: counter.provider,
        handler: (job) => {
          attemptsOfB.push(job.attempt);
        },
      });
      await workerB.start();
      await waitFor(() => attemptsOfB.length === 1, 'worker B to claim and run the job');
      await workerB.stop();

      const send = tracing.span(`send ${stream}`);
      const [first, second] = tracing.spans().filter((s) => s.name === `process ${stream}`);
      assert.ok(first !== undefined && second !== undefined, 'two process spans');
      assertChildOf(send, enqueue);
      assertChildOf(first, send);
      assertChildOf(second, send);
      assertAttributes(first, {
        'messaging.message.id': id,
        'messaging.client.id': 'worker-a',
        'tracebridge.messaging.attempt': 1,
        'tracebridge.messaging.settle.outcome': 'closed',
      });
      assert.equal(first.status.code, SpanStatusCode.ERROR);
      assertAttributes(second, {
        'messaging.message.id': id,
        'messaging.client.id': 'worker-b',
        'tracebridge.messaging.attempt': 2,
        'tracebridge.messaging.settle.outcome': 'ack',
      });
      assert.equal(second.status.code, SpanStatusCode.UNSET);
      assert.deepEqual(attemptsOfB, [2]);

      const summary = (await admin.call('XPENDING', stream, GROUP)) as unknown[];
      assert.equal(summary[0], 0, 'nothing is pending');
      await waitFor(() => xacks >= 1, 'the XACK to show in MONITOR');
      await admin.ping(); // MONITOR reports commands in order: after this PING, every earlier XACK is counted
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(xacks, 1, 'the entry was acknowledged exactly once');
    } finally {
      monitor.disconnect();
    }
  });

  it('keeps running when jobs fail (each error to onError, entry pending); stop() returns with no span open', async () => {
    const producer = streamProducer(await connect(), { stream, tracerProvider: counter.provider });
    const errors: [unknown, string | undefined][] = [];
    const boom = new Error('bad job');
    let handled = 0;
    const worker = streamWorker(await connect(), {
      stream,
      group: GROUP,
      consumer: 'w',
      blockMs: 50,
      count: 2,
      tracerProvider: counter.provider,
      onError: (error, job) => errors.push([error, job?.id]),
      handler: (job) => {
        handled++;
        if (job.fields[1] === 'bad') throw boom;
      },
    });
    await worker.start();
    const bad = await producer.add({ kind: 'bad' });
    for (let i = 0; i < 5; i++) await producer.add({ kind: 'good' });
    await waitFor(() => handled === 6, 'all six jobs');
    const stopping = Date.now();
    await worker.stop();
    assert.ok(Date.now() - stopping < 2_000, 'stop() returns within about blockMs');
    assert.equal(worker.running, false);
    assert.deepEqual(errors, [[boom, bad]]);
    const pending = (await admin.call('XPENDING', stream, GROUP, '-', '+', 10)) as [string][];
    assert.deepEqual(
      pending.map((p) => p[0]),
      [bad],
    );
    assert.equal(tracing.spans().filter((s) => s.name === `process ${stream}`).length, 6);
  });
});
