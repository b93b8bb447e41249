/**
 * Lists and pub/sub against the real Redis, through every client flavour: the payload travels in the
 * tracebridge envelope, the process span is parented to the producer's, and a value that is not an
 * envelope (from a producer without tracebridge, or a damaged one) is processed byte for byte in a new
 * trace, never dropped.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, it } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  encodeEnvelope,
  ENVELOPE_MAX_HEADER_BYTES,
  ENVELOPE_MAX_HEADERS,
} from '../../../src/propagation/envelope';
import { channelListener, channelPublisher, listConsumer, listProducer } from '../../../src/redis/index';
import type { ChannelMessage, ListJob } from '../../../src/redis/index';
import { connectRedis, describeEachClient, uniqueKey, waitFor } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { countedTracing } from '../../helpers/counted-tracing';
import { assertAttributes, assertChildOf, assertRoot } from '../../helpers/tracing';

const { tracing, counter } = countedTracing();

/** Values a producer without tracebridge might push: text, binary, empty, and broken envelopes. */
const FOREIGN_VALUES: readonly Buffer[] = [
  Buffer.from('{"plain":"json job"}'),
  Buffer.from([0x00, 0xff, 0x10, 0x80]),
  Buffer.from([0x0d, 0x54, 0x42, 0x45]), // the envelope prefix, cut short
  encodeEnvelope('truncated', { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` }).subarray(0, 30),
  Buffer.concat([Buffer.from([0x0d, 0x54, 0x42, 0x45, 0x31]), Buffer.from('garbage after the marker')]),
];

describeEachClient('lists and pub/sub', (kind) => {
  let redis: TestRedis;
  let subscriber: TestRedis;
  let key: string;
  before(async () => {
    redis = await connectRedis(kind);
    subscriber = await connectRedis(kind);
  });
  after(() => {
    redis.disconnect();
    subscriber.disconnect();
  });
  beforeEach(() => {
    key = uniqueKey('list');
  });
  afterEach(async () => {
    await redis.del(key, `${key}:done`);
  });

  it('LPUSH + BRPOP: the job is processed in the trace that pushed it, payload intact', async () => {
    const producer = listProducer(redis, { list: key, tracerProvider: counter.provider });
    const consumer = listConsumer({ tracerProvider: counter.provider });
    const payload = Buffer.from([0x01, 0x00, 0xfe, 0x7f]);
    assert.equal(await producer.push(payload), 1);
    assert.equal(await producer.push('second'), 2);
    const jobs: ListJob[] = [];
    await consumer.process(await redis.brpopBuffer(key, 1), (job) => {
      jobs.push(job);
    });
    await consumer.processValues(
      key,
      await redis.blmoveBuffer(key, `${key}:done`, 'RIGHT', 'LEFT', 1),
      (job) => {
        jobs.push(job);
      },
    );
    assert.deepEqual(jobs, [
      { list: key, payload, enveloped: true },
      { list: key, payload: Buffer.from('second'), enveloped: true },
    ]);
    const sends = tracing.spans().filter((s) => s.name === `send ${key}` && s.kind === SpanKind.PRODUCER);
    const processed = tracing
      .spans()
      .filter((s) => s.name === `process ${key}` && s.kind === SpanKind.CONSUMER);
    assert.equal(sends.length, 2);
    assert.equal(processed.length, 2);
    assertChildOf(processed[0]!, sends[0]!);
    assertChildOf(processed[1]!, sends[1]!);
    assertAttributes(processed[0]!, {
      'messaging.system': 'redis',
      'messaging.destination.name': key,
      'messaging.operation.type': 'process',
      'messaging.message.body.size': 4,
    });
  });

  it('RPUSH + LMPOP of several values, and a handler error comes back unchanged after the others ran', async () => {
    const producer = listProducer(redis, { list: key, end: 'right', tracerProvider: counter.provider });
    const consumer = listConsumer({ tracerProvider: counter.provider });
    for (const p of ['a', 'b', 'c']) await producer.push(p);
    const boom = new Error('b failed');
    const seen: string[] = [];
    await assert.rejects(
      consumer.process(await redis.callBuffer('LMPOP', 1, key, 'LEFT', 'COUNT', 3), (job) => {
        seen.push(job.payload.toString());
        if (job.payload.toString() === 'b') throw boom;
      }),
      (error) => error === boom,
    );
    assert.deepEqual(seen, ['a', 'b', 'c']);
    const processed = tracing.spans().filter((s) => s.name === `process ${key}`);
    assert.deepEqual(
      processed.map((s) => s.status.code),
      [SpanStatusCode.UNSET, SpanStatusCode.ERROR, SpanStatusCode.UNSET],
    );
  });

  it('values pushed without tracebridge (plain, binary, truncated or corrupt envelopes) are processed as new traces', async () => {
    const consumer = listConsumer({ tracerProvider: counter.provider });
    await redis.lpush(key, ...FOREIGN_VALUES);
    const jobs: ListJob[] = [];
    for (let i = 0; i < FOREIGN_VALUES.length; i++) {
      await consumer.process(await redis.brpopBuffer(key, 1), (job) => {
        jobs.push(job);
      });
    }
    assert.deepEqual(
      jobs.map((j) => j.payload),
      FOREIGN_VALUES,
      'every value handed over byte for byte, in order',
    );
    assert.ok(jobs.every((j) => !j.enveloped));
    const processed = tracing.spans().filter((s) => s.name === `process ${key}`);
    assert.equal(processed.length, FOREIGN_VALUES.length);
    for (const span of processed) assertRoot(span);
  });

  it('a string (non-Buffer) pop still hands over a plain payload', async () => {
    const consumer = listConsumer({ tracerProvider: counter.provider });
    await redis.lpush(key, 'plain text job');
    const jobs: ListJob[] = [];
    await consumer.process(await redis.brpop(key, 1), (job) => {
      jobs.push(job);
    });
    assert.deepEqual(jobs, [{ list: key, payload: Buffer.from('plain text job'), enveloped: false }]);
  });

  it('rejects a reply that is not a list reply with TracebridgeArgumentError, running no handler', async () => {
    const consumer = listConsumer({ tracerProvider: counter.provider });
    let ran = 0;
    for (const reply of [['only-a-name'], 'text', 42, [key, [1, 2]]]) {
      await assert.rejects(
        consumer.process(reply, () => {
          ran++;
        }),
        { name: 'TracebridgeArgumentError', code: 'TRACEBRIDGE_UNEXPECTED_REPLY' },
      );
    }
    assert.equal(ran, 0);
    assert.equal(tracing.spans().length, 0, 'no span for a reply that held no job');
  });

  it('an envelope from another encoder (empty payload omitted) continues the trace and hands over no envelope bytes', async () => {
    const consumer = listConsumer({ tracerProvider: counter.provider });
    const traceparent = `00-${'a1'.repeat(16)}-${'b2'.repeat(8)}-01`;
    const entry = Buffer.concat([
      Buffer.from([0x0a, 11]),
      Buffer.from('traceparent'),
      Buffer.from([0x12, 55]),
      Buffer.from(traceparent),
    ]);
    // magic (field 1, fixed32), then one header map entry (field 2); the empty payload (field 3) omitted.
    const envelope = Buffer.concat([Buffer.from([0x0d, 0x54, 0x42, 0x45, 0x31, 0x12, entry.length]), entry]);
    await redis.lpush(key, envelope);
    const jobs: ListJob[] = [];
    await consumer.process(await redis.brpopBuffer(key, 1), (job) => {
      jobs.push(job);
    });
    assert.deepEqual(jobs, [{ list: key, payload: Buffer.alloc(0), enveloped: true }]);
    const [processed] = tracing.spans().filter((s) => s.name === `process ${key}`);
    assert.ok(processed);
    assertChildOf(processed, { traceId: 'a1'.repeat(16), spanId: 'b2'.repeat(8), traceFlags: 1 });
  });

  it('an envelope with hostile headers (too many) still delivers its payload, as a new trace', async () => {
    const consumer = listConsumer({ tracerProvider: counter.provider });
    const headers: Record<string, string> = { traceparent: `00-${'a1'.repeat(16)}-${'b2'.repeat(8)}-01` };
    for (let i = 0; i < ENVELOPE_MAX_HEADERS; i++) headers[`x-flood-${i}`] = 'v';
    await redis.lpush(key, encodeEnvelope('the job', headers));
    const jobs: ListJob[] = [];
    await consumer.process(await redis.brpopBuffer(key, 1), (job) => {
      jobs.push(job);
    });
    assert.deepEqual(jobs, [{ list: key, payload: Buffer.from('the job'), enveloped: true }]);
    const [processed] = tracing.spans().filter((s) => s.name === `process ${key}`);
    assert.ok(processed);
    assertRoot(processed);
  });

  it('a pub/sub message whose envelope has hostile headers is delivered, as a new trace', async () => {
    const channel = uniqueKey('channel');
    const headers: Record<string, string> = { traceparent: `00-${'a1'.repeat(16)}-${'b2'.repeat(8)}-01` };
    headers['x-huge'] = 'v'.repeat(ENVELOPE_MAX_HEADER_BYTES);
    const received: ChannelMessage[] = [];
    const listener = channelListener(subscriber, (message) => received.push(message), {
      tracerProvider: counter.provider,
    });
    try {
      await subscriber.subscribe(channel);
      assert.equal(await redis.publish(channel, encodeEnvelope('the message', headers)), 1);
      await waitFor(() => received.length === 1, 'the message');
    } finally {
      listener.close();
      await subscriber.unsubscribe(channel);
    }
    assert.deepEqual(received, [
      { channel, pattern: undefined, payload: Buffer.from('the message'), enveloped: true },
    ]);
    const [processed] = tracing.spans().filter((s) => s.name === `process ${channel}`);
    assert.ok(processed);
    assertRoot(processed);
  });

  it('PUBLISH + SUBSCRIBE/PSUBSCRIBE: each message processed in the publisher trace; foreign messages as new traces', async () => {
    const channel = uniqueKey('channel');
    const publisher = channelPublisher(redis, { tracerProvider: counter.provider });
    const received: ChannelMessage[] = [];
    const errors: unknown[] = [];
    const boom = new Error('listener failed');
    const listener = channelListener(
      subscriber,
      async (message) => {
        received.push(message);
        if (message.payload.toString() === 'fail me') throw boom;
        await Promise.resolve();
      },
      { tracerProvider: counter.provider, onError: (error) => errors.push(error) },
    );
    try {
      await subscriber.subscribe(channel);
      await subscriber.psubscribe(`${channel}:p*`);
      assert.equal(await publisher.publish(channel, Buffer.from([0xff, 0x00])), 1);
      assert.equal(await publisher.publish(`${channel}:p1`, 'by pattern'), 1);
      assert.equal(await publisher.publish(channel, 'fail me'), 1);
      for (const value of FOREIGN_VALUES) await redis.publish(channel, value);
      await waitFor(() => received.length === 3 + FOREIGN_VALUES.length, 'every message');
      await waitFor(
        () => tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER).length === received.length,
        'every process span',
      );
    } finally {
      listener.close();
      await subscriber.unsubscribe(channel);
      await subscriber.punsubscribe(`${channel}:p*`);
    }
    assert.deepEqual(received[0], {
      channel,
      pattern: undefined,
      payload: Buffer.from([0xff, 0x00]),
      enveloped: true,
    });
    assert.deepEqual(received[1], {
      channel: `${channel}:p1`,
      pattern: `${channel}:p*`,
      payload: Buffer.from('by pattern'),
      enveloped: true,
    });
    assert.deepEqual(
      received.slice(3).map((m) => m.payload),
      FOREIGN_VALUES,
    );
    assert.deepEqual(errors, [boom]);
    const publishes = tracing.spans().filter((s) => s.kind === SpanKind.PRODUCER);
    const processes = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
    assert.equal(publishes.length, 3);
    assert.equal(publishes[0]!.name, `publish ${channel}`);
    assertAttributes(publishes[0]!, { 'messaging.operation.name': 'publish' });
    for (const [i, name] of [channel, `${channel}:p1`, channel].entries()) {
      const processed = processes.find(
        (s) =>
          s.name === `process ${name}` && s.parentSpanContext?.spanId === publishes[i]!.spanContext().spanId,
      );
      assert.ok(processed, `message ${i} processed as a child of its publish span`);
      assertChildOf(processed, publishes[i]!);
    }
    const failed = processes.find((s) => s.status.code === SpanStatusCode.ERROR);
    assert.equal(failed?.status.message, 'listener failed');
    const foreign = processes.filter((s) => s.parentSpanContext === undefined);
    assert.equal(foreign.length, FOREIGN_VALUES.length);
  });
});
