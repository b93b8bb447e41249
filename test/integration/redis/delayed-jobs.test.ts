/**
 * Delayed jobs against the real Redis, through every client flavour: a job scheduled into the sorted set
 * runs, once promoted onto the stream, in the trace that scheduled it, and its span records how long it
 * was delayed apart from how long it then queued. Promotion is atomic: concurrent promoters move every job
 * exactly once; a member tracebridge did not write is moved too, never dropped.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, it } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { encodeDelayedJobMember } from '../../../src/redis/delayed-job-member';
import { DELAYED_JOB_MAX_FIELDS, delayedJobs, streamConsumer } from '../../../src/redis/index';
import type { StreamJob } from '../../../src/redis/index';
import { connectRedis, describeEachClient, uniqueKey } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { countedTracing } from '../../helpers/counted-tracing';
import { assertAttributes, assertChildOf, assertRoot } from '../../helpers/tracing';

const GROUP = 'workers';
const DELAY_MS = 150;

const { tracing, counter } = countedTracing();

describeEachClient('delayed jobs', (kind) => {
  let redis: TestRedis;
  let stream: string;
  before(async () => {
    redis = await connectRedis(kind);
  });
  after(() => redis.disconnect());
  beforeEach(async () => {
    stream = uniqueKey('delayed');
    await redis.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM');
  });
  afterEach(async () => {
    await redis.del(stream, `${stream}:delayed`, `${stream}:delayed:unpromotable`);
  });

  const readAll = () =>
    redis.callBuffer('XREADGROUP', 'GROUP', GROUP, 'c', 'COUNT', 1000, 'STREAMS', stream, '>');

  it('runs in the trace that scheduled it, recording the delay apart from the time in queue', async () => {
    const jobs = delayedJobs(redis, { stream, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: 'c',
      tracerProvider: counter.provider,
    });
    const request = trace.getTracer('test').startSpan('request');
    const binary = Buffer.from([0x00, 0xff, 0xc4]);
    await context.with(trace.setSpan(context.active(), request), () =>
      jobs.schedule({ task: 'remind', blob: binary }, { delayMs: DELAY_MS }),
    );
    request.end();
    assert.equal(await jobs.promoteDueJobs(), 0, 'not due yet');
    assert.equal(await redis.zcard(jobs.key), 1);

    await new Promise((resolve) => setTimeout(resolve, DELAY_MS + 20));
    assert.equal(await jobs.promoteDueJobs(), 1);
    assert.equal(await redis.zcard(jobs.key), 0, 'the job left the sorted set');
    await new Promise((resolve) => setTimeout(resolve, 30));
    const seen: StreamJob<Buffer>[] = [];
    await consumer.processRead<Buffer>(await readAll(), (job) => {
      seen.push(job);
    });
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.fields, [
      Buffer.from('task'),
      Buffer.from('remind'),
      Buffer.from('blob'),
      binary,
    ]);

    const schedule = tracing.span(`schedule ${stream}`, SpanKind.PRODUCER);
    const processed = tracing.span(`process ${stream}`, SpanKind.CONSUMER);
    assertChildOf(schedule, request);
    assertChildOf(processed, schedule);
    assertAttributes(schedule, {
      'messaging.operation.name': 'schedule',
      'messaging.destination.name': stream,
    });
    const delayMs = processed.attributes['tracebridge.messaging.delay_ms'] as number;
    const queuedMs = processed.attributes['tracebridge.messaging.time_in_queue_ms'] as number;
    assert.ok(delayMs >= DELAY_MS - 5 && delayMs < DELAY_MS + 1000, `delay ${delayMs} ms`);
    assert.ok(queuedMs >= 25 && queuedMs < delayMs, `queued ${queuedMs} ms after promotion`);
  });

  it('concurrent promoters move every due job exactly once', async () => {
    const jobs = delayedJobs(redis, { stream, tracerProvider: counter.provider });
    const total = 60;
    for (let i = 0; i < total; i++) await jobs.schedule({ n: String(i) }, { dueAtMs: Date.now() - 1 });
    const others = await Promise.all([1, 2, 3].map(() => connectRedis(kind)));
    try {
      const moved = await Promise.all(
        [redis, ...others].map((client) =>
          delayedJobs(client, { stream, tracerProvider: counter.provider }).promoteDueJobs({ limit: 7 }),
        ),
      );
      let sum = moved.reduce((a, b) => a + b, 0);
      while (sum < total) sum += await jobs.promoteDueJobs({ limit: 25 });
      assert.equal(sum, total);
    } finally {
      for (const client of others) client.disconnect();
    }
    assert.equal(await redis.xlen(stream), total);
    const entries = (await redis.call('XRANGE', stream, '-', '+')) as [string, string[]][];
    const numbers = entries.map(([, fields]) => fields[1]).sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(
      numbers,
      Array.from({ length: total }, (_, i) => String(i)),
    );
  });

  it('a member tracebridge did not write is moved as a `member` field and processed as a new trace', async () => {
    const jobs = delayedJobs(redis, { stream, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: 'c',
      tracerProvider: counter.provider,
    });
    const foreign = [
      Buffer.from('plain member'),
      Buffer.from([0x93, 0xa5, 0x74, 0x62]),
      Buffer.from([0x92, 0x01, 0x02]),
    ];
    for (const member of foreign) await redis.zadd(jobs.key, 1, member);
    assert.equal(await jobs.promoteDueJobs(), foreign.length);
    const seen: Buffer[][] = [];
    await consumer.processRead<Buffer>(await readAll(), (job) => {
      seen.push([...job.fields]);
    });
    // Equal scores come out in byte order of the members: compare as sets.
    const byHex = (a: Buffer[], b: Buffer[]) => a[1]!.toString('hex').localeCompare(b[1]!.toString('hex'));
    assert.deepEqual(seen.sort(byHex), foreign.map((m) => [Buffer.from('member'), m]).sort(byHex));
    for (const span of tracing.spans()) assertRoot(span);
  });

  it('refuses a job too wide to promote at schedule, storing nothing', async () => {
    const jobs = delayedJobs(redis, { stream, tracerProvider: counter.provider });
    const wide: Record<string, string> = {};
    for (let i = 0; i < 4100; i++) wide[`f${i}`] = 'v';
    await assert.rejects(jobs.schedule(wide, { delayMs: 0 }), {
      name: 'TracebridgeArgumentError',
      code: 'TRACEBRIDGE_JOB_TOO_WIDE',
    });
    assert.equal(await redis.exists(jobs.key), 0, 'nothing stored');
    const schedule = tracing.span(`schedule ${stream}`, SpanKind.PRODUCER);
    assertAttributes(schedule, { 'error.type': 'TracebridgeArgumentError' });
    const widest: Record<string, string> = {};
    for (let i = 0; i < DELAYED_JOB_MAX_FIELDS - 10; i++) widest[`f${i}`] = 'v';
    await jobs.schedule(widest, { delayMs: 0 });
    assert.equal(await jobs.promoteDueJobs(), 1, 'a job within the limit is promoted');
  });

  it('a wide job stored by another writer is set aside and never blocks the due jobs behind it', async () => {
    const jobs = delayedJobs(redis, { stream, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, { group: GROUP, consumer: 'c', tracerProvider: counter.provider });
    // What an older tracebridge (or another program) could have stored: 4,100 fields, the oldest due job.
    const fields: string[] = [];
    for (let i = 0; i < 4100; i++) fields.push(`f${i}`, 'v');
    const wide = encodeDelayedJobMember(fields);
    await redis.zadd(jobs.key, 1, wide);
    await jobs.schedule({ job: 'normal' }, { dueAtMs: 2 });

    assert.equal(await jobs.promoteDueJobs({ nowMs: 10 }), 1, 'the normal job is promoted');
    assert.equal(await redis.zcard(jobs.key), 0, 'nothing left at the head of the set');
    assert.equal(await redis.zcard(jobs.unpromotableKey), 1, 'the wide job was set aside');
    assert.equal(Number(await redis.zscore(jobs.unpromotableKey, wide)), 1, 'keeping its due time');
    const seen: StreamJob[] = [];
    await consumer.processRead(
      await redis.call('XREADGROUP', 'GROUP', GROUP, 'c', 'STREAMS', stream, '>'),
      (job) => {
        seen.push(job);
      },
    );
    assert.deepEqual(
      seen.map((j) => j.fields),
      [['job', 'normal']],
    );
    assertChildOf(tracing.span(`process ${stream}`), tracing.span(`schedule ${stream}`));
  });

  it('rejects a schedule without a finite time, and promoteDueJobs with a bad limit', async () => {
    const jobs = delayedJobs(redis, { stream, tracerProvider: counter.provider });
    await assert.rejects(jobs.schedule({ a: '1' }, { delayMs: Number.NaN }), {
      name: 'TracebridgeConfigError',
    });
    await assert.rejects(jobs.promoteDueJobs({ limit: 0 }), { name: 'TracebridgeConfigError' });
    assert.equal(await redis.exists(jobs.key), 0);
  });
});
