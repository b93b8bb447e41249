/**
 * Next to the OpenTelemetry contrib `@opentelemetry/instrumentation-ioredis` (a peer tracebridge did not
 * write), against the real Redis: each command a tracebridge helper sends for a send or a process (XADD,
 * ZADD, LPUSH, PUBLISH, XACK) has its command span made a child of tracebridge's PRODUCER or CONSUMER
 * span, not a sibling of it. ioredis is loaded only after the instrumentation is enabled, as the
 * instrumentation requires (it patches the module when it is first required).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type * as IoredisModule from 'ioredis';
import type { Redis } from 'ioredis';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import {
  channelPublisher,
  delayedJobs,
  listProducer,
  streamConsumer,
  streamProducer,
} from '../../../src/redis/index';
import { assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
let instrumentation: IORedisInstrumentation;
let redis: Redis;
let key: string;

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
});
