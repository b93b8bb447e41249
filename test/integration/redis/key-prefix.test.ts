/**
 * ioredis' `keyPrefix` against the real Redis, through every client flavour: the helpers are given the
 * names the application uses, the client prefixes the keys, and every command the helpers send (XACK,
 * XPENDING, XGROUP CREATE, the promotion script, the pushes and pops) reaches the prefixed key exactly
 * once: checked on the real keys through a client without a prefix. Spans name destinations without
 * the prefix. Pub/sub channels are not keys: ioredis does not prefix them.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import {
  channelListener,
  channelPublisher,
  delayedJobs,
  listConsumer,
  listProducer,
  streamConsumer,
  streamProducer,
  streamWorker,
} from '../../../src/redis/index';
import type { ChannelMessage, ListJob, StreamJob } from '../../../src/redis/index';
import { connectRedis, describeEachClient, uniqueKey, waitFor } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { countedTracing } from '../../helpers/counted-tracing';
import { assertAttributes, assertChildOf } from '../../helpers/tracing';

const GROUP = 'workers';
const CONSUMER = 'c1';

const { tracing, counter } = countedTracing();

describeEachClient('keyPrefix', (kind) => {
  /** A client without a prefix, to look at the real keys. */
  let admin: TestRedis;
  /** The application's client, created with `keyPrefix`. */
  let redis: TestRedis;
  let prefix: string;
  let name: string;
  before(async () => {
    admin = await connectRedis('ioredis5-resp2');
  });
  after(() => admin.disconnect());
  beforeEach(async () => {
    prefix = `${uniqueKey('prefix')}:`;
    // Unique too: the bare name must not exist for the checks that nothing was created under it.
    name = uniqueKey('jobs');
    redis = await connectRedis(kind, { keyPrefix: prefix });
  });
  afterEach(async () => {
    redis.disconnect();
    const keys = await admin.keys(`${prefix}*`);
    // The bare names too, should a helper have wrongly created one.
    await admin.del(...keys, name, `${name}:delayed`);
  });

  const pendingOnRealKey = async () =>
    ((await admin.call('XPENDING', `${prefix}${name}`, GROUP)) as unknown[])[0];

  it('stream consumer: acknowledges the prefixed entry, names the stream without the prefix', async () => {
    await admin.call('XGROUP', 'CREATE', `${prefix}${name}`, GROUP, '0', 'MKSTREAM');
    const producer = streamProducer(redis, { stream: name, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    const id = await producer.add({ order: '1' });
    assert.equal(await admin.xlen(`${prefix}${name}`), 1, 'the entry is on the prefixed key');

    const jobs: StreamJob[] = [];
    const reply = await redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'STREAMS', name, '>');
    await consumer.processRead(reply, (job) => {
      jobs.push(job);
    });
    assert.deepEqual(jobs, [{ stream: name, id, fields: ['order', '1'], attempt: 1 }]);
    assert.equal(await pendingOnRealKey(), 0, 'XACK reached the prefixed key: nothing is pending');
    const send = tracing.span(`send ${name}`, SpanKind.PRODUCER);
    const processed = tracing.span(`process ${name}`, SpanKind.CONSUMER);
    assertChildOf(processed, send);
    assertAttributes(processed, {
      'messaging.destination.name': name,
      'tracebridge.messaging.settle.outcome': 'ack',
    });
    assert.equal(processed.attributes['tracebridge.messaging.redis.acknowledged'], undefined);
  });

  it('stream consumer: the XPENDING attempt lookup of a re-read entry finds its delivery count', async () => {
    await admin.call('XGROUP', 'CREATE', `${prefix}${name}`, GROUP, '0', 'MKSTREAM');
    const producer = streamProducer(redis, { stream: name, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    await producer.add({ order: '2' });
    await redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'STREAMS', name, '>'); // delivery 1, never acked
    const attempts: (number | undefined)[] = [];
    const reread = await redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'STREAMS', name, '0');
    await consumer.processRead(
      reread,
      (job) => {
        attempts.push(job.attempt);
      },
      { pending: true },
    );
    assert.deepEqual(attempts, [2]);
    assertAttributes(tracing.span(`process ${name}`), { 'tracebridge.messaging.attempt': 2 });
    assert.equal(await pendingOnRealKey(), 0);
  });

  it('stream worker with createGroup: the group is created on the prefixed key and jobs are acknowledged', async () => {
    const producer = streamProducer(redis, { stream: name, tracerProvider: counter.provider });
    const jobs: StreamJob[] = [];
    const workerConnection = await connectRedis(kind, { keyPrefix: prefix });
    const worker = streamWorker(workerConnection, {
      stream: name,
      group: GROUP,
      consumer: CONSUMER,
      blockMs: 50,
      tracerProvider: counter.provider,
      handler: (job) => {
        jobs.push(job);
      },
    });
    try {
      await worker.start();
      const groups = (await admin.call('XINFO', 'GROUPS', `${prefix}${name}`)) as unknown[][];
      assert.equal(groups.length, 1, 'the group exists on the prefixed key');
      assert.equal(await admin.exists(name), 0, 'nothing was created under the bare name');
      await producer.add({ order: '3' });
      await waitFor(() => jobs.length === 1, 'the job');
      await waitFor(() => tracing.spans().some((s) => s.name === `process ${name}`), 'the process span');
    } finally {
      await worker.stop();
      workerConnection.disconnect();
    }
    assert.equal(jobs[0]?.stream, name);
    assert.equal(await pendingOnRealKey(), 0);
    assertAttributes(tracing.span(`process ${name}`), { 'tracebridge.messaging.settle.outcome': 'ack' });
  });

  it('delayed jobs: scheduled, promoted and consumed on the prefixed keys', async () => {
    await admin.call('XGROUP', 'CREATE', `${prefix}${name}`, GROUP, '0', 'MKSTREAM');
    const jobs = delayedJobs(redis, { stream: name, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    await jobs.schedule({ order: '4' }, { delayMs: 0 });
    assert.equal(await admin.zcard(`${prefix}${name}:delayed`), 1, 'the job waits in the prefixed set');
    assert.equal(await jobs.promoteDueJobs(), 1);
    assert.equal(await admin.zcard(`${prefix}${name}:delayed`), 0);
    const seen: StreamJob[] = [];
    const reply = await redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'STREAMS', name, '>');
    await consumer.processRead(reply, (job) => {
      seen.push(job);
    });
    assert.deepEqual(
      seen.map((j) => [j.stream, j.fields]),
      [[name, ['order', '4']]],
    );
    assert.equal(await pendingOnRealKey(), 0);
    assertChildOf(tracing.span(`process ${name}`), tracing.span(`schedule ${name}`));
  });

  it('lists: pushed to and popped from the prefixed key, named without the prefix', async () => {
    const producer = listProducer(redis, { list: name, tracerProvider: counter.provider });
    const consumer = listConsumer({ keyPrefix: prefix, tracerProvider: counter.provider });
    await producer.push('job');
    assert.equal(await admin.llen(`${prefix}${name}`), 1, 'the value is on the prefixed key');
    const jobs: ListJob[] = [];
    const reply = await redis.brpopBuffer(name, 1);
    assert.equal(String(reply?.[0]), `${prefix}${name}`, 'Redis names the list in full');
    await consumer.process(reply, (job) => {
      jobs.push(job);
    });
    assert.deepEqual(jobs, [{ list: name, payload: Buffer.from('job'), enveloped: true }]);
    const processed = tracing.span(`process ${name}`, SpanKind.CONSUMER);
    assertChildOf(processed, tracing.span(`send ${name}`));
    assertAttributes(processed, { 'messaging.destination.name': name });
  });

  it('pub/sub: ioredis does not prefix channels; they are used and named as given', async () => {
    const channel = uniqueKey('channel');
    const subscriber = await connectRedis(kind, { keyPrefix: prefix });
    const received: ChannelMessage[] = [];
    const listener = channelListener(subscriber, (message) => received.push(message), {
      tracerProvider: counter.provider,
    });
    try {
      await subscriber.subscribe(channel);
      const publisher = channelPublisher(redis, { tracerProvider: counter.provider });
      assert.equal(
        await admin.publish(channel, 'unprefixed reaches it'),
        1,
        'subscribed to the bare channel',
      );
      assert.equal(await publisher.publish(channel, 'hello'), 1, 'published to the bare channel');
      await waitFor(() => received.length === 2, 'both messages');
    } finally {
      listener.close();
      subscriber.disconnect();
    }
    assert.deepEqual(
      received.map((m) => [m.channel, m.payload.toString()]),
      [
        [channel, 'unprefixed reaches it'],
        [channel, 'hello'],
      ],
    );
    await waitFor(() => tracing.spans().filter((s) => s.name === `process ${channel}`).length === 2, 'spans');
    const publish = tracing.span(`publish ${channel}`, SpanKind.PRODUCER);
    const processed = tracing
      .spans()
      .find((s) => s.name === `process ${channel}` && s.parentSpanContext !== undefined);
    assert.ok(processed, 'the published message is processed in its trace');
    assertChildOf(processed, publish);
  });
});
