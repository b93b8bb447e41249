/**
 * Next to the OpenTelemetry contrib `@opentelemetry/instrumentation-ioredis` (a peer tracebridge did not
 * write), against the real Redis: each command a tracebridge helper sends for a send or a process (XADD,
 * ZADD, LPUSH, PUBLISH, XACK) has its command span made a child of tracebridge's PRODUCER or CONSUMER
 * span, not a sibling of it: the stream producer and consumer, the stream worker, delayed jobs, lists and
 * pub/sub, and BullMQ (whose own ioredis connection sends the job's script inside tracebridge's `send`
 * span). ioredis and bullmq are loaded only after the instrumentation is enabled, as the instrumentation
 * requires (it patches ioredis when it is first required).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type * as BullmqModule from 'bullmq';
import type * as IoredisModule from 'ioredis';
import type { Redis } from 'ioredis';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import {
  channelPublisher,
  delayedJobs,
  listProducer,
  streamConsumer,
  streamProducer,
  streamWorker,
} from '../../../src/redis/index';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import { assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
let instrumentation: IORedisInstrumentation;
let redis: Redis;
let key: string;

/**
 * Waits until `predicate` holds (the worker's loop acknowledges on its own schedule). Not the shared
 * helpers': they import ioredis and bullmq, which must not load before the instrumentation patches them.
 */
async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(predicate(), `waited for ${what}`);
}

before(async () => {
  tracing = setupTracing('w3c');
  instrumentation = new IORedisInstrumentation();
  instrumentation.setTracerProvider(tracing.provider);
  instrumentation.enable();
  // Required here, not imported: an import would load ioredis before the instrumentation can patch it.
  const ioredis = createRequire(__filename)('ioredis') as typeof IoredisModule;
  redis = new ioredis.Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await redis.connect();
});
after(async () => {
  redis.disconnect();
  instrumentation.disable();
  await tracing.shutdown();
});

describe('next to @opentelemetry/instrumentation-ioredis', () => {
  beforeEach(() => {
    tracing.reset();
    key = `redis-test-instrumented-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
  });
  afterEach(async () => {
    await redis.del(key, `${key}:delayed`);
  });

  /** The instrumentation's span for `command` (it names spans after the command as the client sent it). */
  const commandSpan = (command: string): ReadableSpan => {
    const found = tracing
      .spans()
      .filter((s) => s.name.toUpperCase() === command && s.kind === SpanKind.CLIENT);
    assert.equal(found.length, 1, `one ${command} command span, found ${found.length}`);
    return found[0]!;
  };

  it('the instrumentation is active: a command inside a span of the application is its child', async () => {
    const request = tracing.provider.getTracer('test').startSpan('request');
    await context.with(trace.setSpan(context.active(), request), () => redis.call('PING'));
    request.end();
    assertChildOf(commandSpan('PING'), request);
  });

  it('XADD is a child of the send span, XACK of the process span', async () => {
    await redis.call('XGROUP', 'CREATE', key, 'g', '0', 'MKSTREAM');
    await streamProducer(redis, { stream: key, tracerProvider: tracing.provider }).add({ a: '1' });
    const consumer = streamConsumer(redis, { group: 'g', consumer: 'c', tracerProvider: tracing.provider });
    await consumer.processRead(
      await redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', key, '>'),
      () => undefined,
    );
    assertChildOf(commandSpan('XADD'), tracing.span(`send ${key}`, SpanKind.PRODUCER));
    assertChildOf(commandSpan('XACK'), tracing.span(`process ${key}`, SpanKind.CONSUMER));
  });

  it('each XACK is a child of its own process span, after a handler that returns or one that resolves', async () => {
    await redis.call('XGROUP', 'CREATE', key, 'g', '0', 'MKSTREAM');
    const producer = streamProducer(redis, { stream: key, tracerProvider: tracing.provider });
    for (const n of ['sync', 'async', 'sync']) await producer.add(['n', n]);
    const consumer = streamConsumer(redis, { group: 'g', consumer: 'c', tracerProvider: tracing.provider });
    await consumer.processRead(
      await redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', key, '>'),
      (job) => (job.fields[1] === 'async' ? Promise.resolve() : undefined),
    );
    const processes = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
    const acks = tracing.spans().filter((s) => s.name.toUpperCase() === 'XACK' && s.kind === SpanKind.CLIENT);
    assert.equal(processes.length, 3);
    assert.equal(acks.length, 3);
    for (const process of processes) {
      const ack = acks.find((s) => s.parentSpanContext?.spanId === process.spanContext().spanId);
      assert.ok(
        ack !== undefined,
        `an XACK span under ${String(process.attributes['messaging.message.id'])}`,
      );
      assertChildOf(ack, process);
    }
  });

  it('ZADD is a child of the schedule span, LPUSH of the send span, PUBLISH of the publish span', async () => {
    await delayedJobs(redis, { stream: key, tracerProvider: tracing.provider }).schedule(
      { a: '1' },
      { delayMs: 60_000 },
    );
    assertChildOf(commandSpan('ZADD'), tracing.span(`schedule ${key}`, SpanKind.PRODUCER));
    await redis.del(`${key}:delayed`);

    await listProducer(redis, { list: key, tracerProvider: tracing.provider }).push('job');
    assertChildOf(commandSpan('LPUSH'), tracing.span(`send ${key}`, SpanKind.PRODUCER));

    const channel = `${key}:channel`;
    await channelPublisher(redis, { tracerProvider: tracing.provider }).publish(channel, 'hello');
    assertChildOf(commandSpan('PUBLISH'), tracing.span(`publish ${channel}`, SpanKind.PRODUCER));
  });

  it("XACK is a child of the stream worker's process span; its blocking reads are in no span", async () => {
    const reader = redis.duplicate();
    const worker = streamWorker(reader, {
      stream: key,
      group: 'g',
      consumer: 'w',
      blockMs: 50,
      tracerProvider: tracing.provider,
      handler: () => undefined,
    });
    await worker.start();
    try {
      await streamProducer(redis, { stream: key, tracerProvider: tracing.provider }).add({ a: '1' });
      await waitFor(() => tracing.spans().some((s) => s.name.toUpperCase() === 'XACK'), 'the XACK span');
    } finally {
      await worker.stop();
      reader.disconnect();
    }
    assertChildOf(commandSpan('XACK'), tracing.span(`process ${key}`, SpanKind.CONSUMER));
    // The instrumentation makes a span only for a command sent inside one (`requireParentSpan`, its
    // default): none for XREADGROUP means the worker's reads ran outside every span, not in a job's.
    const reads = tracing.spans().filter((s) => s.name.toUpperCase() === 'XREADGROUP');
    assert.deepEqual(reads, [], 'no read inside a process span');
  });

  it("BullMQ: the commands that add a job are children of tracebridge's send span", async () => {
    // Required here, after the instrumentation patched ioredis: bullmq's connections are then traced.
    const bullmq = createRequire(__filename)('bullmq') as typeof BullmqModule;
    const name = `${key}-bullmq`;
    const queue = new bullmq.Queue(name, {
      connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null },
      telemetry: bullmqTelemetry({ tracerProvider: tracing.provider }),
    });
    try {
      await queue.waitUntilReady();
      tracing.reset();
      const request = tracing.provider.getTracer('test').startSpan('request');
      await context.with(trace.setSpan(context.active(), request), () => queue.add('job', { n: 1 }));
      request.end();
      const send = tracing.span(`send ${name}`, SpanKind.PRODUCER);
      assertChildOf(send, request);
      const commands = tracing
        .spans()
        .filter((s) => s.kind === SpanKind.CLIENT && s.instrumentationScope.name.includes('ioredis'));
      assert.ok(commands.length > 0, 'the add went through the instrumented client');
      for (const command of commands) assertChildOf(command, send);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
