/**
 * Redis streams against the real Redis, through every client flavour (ioredis 5 / RESP2, ioredis 6 / RESP3,
 * and ioredis 6 with RESP3 maps as objects): an entry added by `streamProducer` and processed from an
 * `XREADGROUP` reply by `streamConsumer` yields a PRODUCER span and a CONSUMER span parented to it, the
 * entry is acknowledged exactly when its handler succeeds, and the handler sees the job's own fields only.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, it } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { streamConsumer, streamProducer } from '../../../src/redis/index';
import type { StreamJob } from '../../../src/redis/index';
import { connectRedis, protocolOf, describeEachClient, uniqueKey } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { countedTracing } from '../../helpers/counted-tracing';
import { assertAttributes, assertChildOf, assertLinks, assertRoot } from '../../helpers/tracing';

const GROUP = 'workers';
const CONSUMER = 'w1';

const { tracing, counter } = countedTracing();

describeEachClient('streams', (kind) => {
  let redis: TestRedis;
  let stream: string;
  before(async () => {
    redis = await connectRedis(kind);
    assert.equal(await protocolOf(redis), kind === 'ioredis5-resp2' ? 2 : 3, 'the protocol under test');
  });
  after(() => redis.disconnect());
  beforeEach(async () => {
    stream = uniqueKey('stream');
    await redis.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM');
  });
  afterEach(async () => {
    await redis.del(stream);
  });

  const read = (command: 'call' | 'callBuffer' = 'call') =>
    redis[command]('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'COUNT', 100, 'STREAMS', stream, '>');
  const pendingCount = async () => ((await redis.call('XPENDING', stream, GROUP)) as unknown[])[0];

  it('processes an entry in the trace that added it, acknowledges it, and hides the context fields', async () => {
    const producer = streamProducer(redis, { stream, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    const fields = { orderId: '42', sku: 'sku-1' };
    const id = await producer.add(fields);
    assert.deepEqual(fields, { orderId: '42', sku: 'sku-1' }, "the caller's fields are not modified");

    const stored = (await redis.call('XRANGE', stream, '-', '+')) as [string, string[]][];
    assert.equal(stored[0]?.[0], id);
    assert.ok(stored[0]?.[1].includes('traceparent'), 'the context travels in an extra field');

    const jobs: StreamJob[] = [];
    let activeInHandler: string | undefined;
    await consumer.processRead(await read(), (job) => {
      jobs.push(job);
      activeInHandler = trace.getActiveSpan()?.spanContext().spanId;
    });

    const send = tracing.span(`send ${stream}`, SpanKind.PRODUCER);
    const processed = tracing.span(`process ${stream}`, SpanKind.CONSUMER);
    assertRoot(send);
    assertChildOf(processed, send);
    assert.equal(activeInHandler, processed.spanContext().spanId, 'the handler runs inside the process span');
    assertAttributes(send, {
      'messaging.system': 'redis',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.destination.name': stream,
      'messaging.message.id': id,
    });
    assertAttributes(processed, {
      'messaging.system': 'redis',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': stream,
      'messaging.message.id': id,
      'messaging.consumer.group.name': GROUP,
      'messaging.client.id': CONSUMER,
      'tracebridge.messaging.attempt': 1,
      'tracebridge.messaging.settle.outcome': 'ack',
    });
    assert.equal(typeof processed.attributes['tracebridge.messaging.time_in_queue_ms'], 'number');
    assert.equal(processed.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(jobs, [{ stream, id, fields: ['orderId', '42', 'sku', 'sku-1'], attempt: 1 }]);
    assert.equal(await pendingCount(), 0, 'the entry was acknowledged');
  });

  it('reads Buffer replies (callBuffer): binary values intact, context still found', async () => {
    const producer = streamProducer(redis, { stream, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    const binary = Buffer.from([0x00, 0xff, 0x80, 0x0d]);
    await producer.add(['blob', binary]);
    const seen: StreamJob<Buffer>[] = [];
    await consumer.processRead<Buffer>(await read('callBuffer'), (job) => {
      seen.push(job);
    });
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.fields, [Buffer.from('blob'), binary]);
    assertChildOf(tracing.span(`process ${stream}`), tracing.span(`send ${stream}`));
    assert.equal(await pendingCount(), 0);
  });

  it("reads the named xreadgroup command's reply as well as call's", async () => {
    const producer = streamProducer(redis, { stream, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    const ids = [await producer.add({ n: '1' }), await producer.add({ n: '2' })];
    const reply = await redis.xreadgroup('GROUP', GROUP, CONSUMER, 'COUNT', 10, 'STREAMS', stream, '>');
    const seen: string[] = [];
    await consumer.processRead(reply, (job) => {
      seen.push(job.id);
    });
    assert.deepEqual(seen, ids);
    assert.equal(await pendingCount(), 0);
  });

  it('a handler that throws: the span ends with its error, the entry stays pending, the error comes back unchanged', async () => {
    const producer = streamProducer(redis, { stream, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    const failing = await producer.add({ job: 'fails' });
    const fine = await producer.add({ job: 'works' });
    const boom = new RangeError('job exploded');
    const handled: string[] = [];
    await assert.rejects(
      consumer.processRead(await read(), async (job) => {
        handled.push(job.id);
        await new Promise((resolve) => setImmediate(resolve));
        if (job.id === failing) throw boom;
      }),
      (error) => error === boom,
    );
    assert.deepEqual(handled, [failing, fine], 'a failing job does not stop the next one');
    const spans = tracing.spans().filter((s) => s.name === `process ${stream}`);
    const failed = spans.find((s) => s.attributes['messaging.message.id'] === failing)!;
    const succeeded = spans.find((s) => s.attributes['messaging.message.id'] === fine)!;
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    assert.equal(failed.status.message, 'job exploded');
    assertAttributes(failed, { 'error.type': 'RangeError' });
    assert.equal(failed.attributes['tracebridge.messaging.settle.outcome'], undefined, 'not acknowledged');
    assert.equal(succeeded.status.code, SpanStatusCode.UNSET);
    const pending = (await redis.call('XPENDING', stream, GROUP, '-', '+', 10)) as [string][];
    assert.deepEqual(
      pending.map((p) => p[0]),
      [failing],
      'only the failed entry is still pending',
    );
  });

  it('an XACK that acknowledges nothing is not recorded as an acknowledgement', async () => {
    const producer = streamProducer(redis, { stream, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    const id = await producer.add({ job: 'taken elsewhere' });
    const reply = await read();
    // Another consumer of the group finishes the entry first: it is no longer pending when ours is done.
    assert.equal(await redis.call('XACK', stream, GROUP, id), 1);
    await consumer.processRead(reply, () => undefined);
    const processed = tracing.span(`process ${stream}`, SpanKind.CONSUMER);
    assert.equal(processed.attributes['tracebridge.messaging.settle.outcome'], undefined, 'no ack recorded');
    assertAttributes(processed, { 'tracebridge.messaging.redis.acknowledged': false });
  });

  it('unsampled entries: acknowledged, their spans ended once at the handler, none exported', async () => {
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    // A sender whose trace is not sampled: the SDK's ParentBased sampler makes the process spans non-recording.
    const unsampled = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    await redis.call('XADD', stream, '*', 'job', 'sync', 'traceparent', unsampled);
    await redis.call('XADD', stream, '*', 'job', 'async', 'traceparent', unsampled);
    const seen: string[] = [];
    await consumer.processRead(await read(), async (job) => {
      seen.push(String(job.fields[1]));
      if (job.fields[1] === 'async') await new Promise((resolve) => setTimeout(resolve, 5));
    });
    assert.deepEqual(seen, ['sync', 'async']);
    assert.equal(await pendingCount(), 0, 'both entries were acknowledged');
    assert.deepEqual(
      counter.started.filter((s) => s.name === `process ${stream}`).map((s) => s.ends),
      [1, 1],
    );
    assert.equal(tracing.spans().filter((s) => s.name === `process ${stream}`).length, 0);
  });

  it('re-reading the pending list (id 0) and XCLAIM record the attempt from the delivery count', async () => {
    const producer = streamProducer(redis, { stream, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    const id = await producer.add({ job: 'retry me' });
    await assert.rejects(
      consumer.processRead(await read(), () => {
        throw new Error('first try fails');
      }),
    );
    const history = await redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'STREAMS', stream, '0');
    await assert.rejects(
      consumer.processRead(
        history,
        () => {
          throw new Error('second try fails');
        },
        { pending: true },
      ),
    );
    const other = streamConsumer(redis, { group: GROUP, consumer: 'w2', tracerProvider: counter.provider });
    const claimed = await redis.call('XCLAIM', stream, GROUP, 'w2', 0, id);
    const attempts: (number | undefined)[] = [];
    await other.processClaimed(stream, claimed, (job) => {
      attempts.push(job.attempt);
    });
    assert.deepEqual(attempts, [3]);

    const send = tracing.span(`send ${stream}`);
    const processSpans = tracing.spans().filter((s) => s.name === `process ${stream}`);
    assert.deepEqual(
      processSpans.map((s) => s.attributes['tracebridge.messaging.attempt']),
      [1, 2, 3],
    );
    for (const span of processSpans) assertChildOf(span, send);
    assert.equal(processSpans[2]!.attributes['messaging.client.id'], 'w2');
    assert.equal(await pendingCount(), 0);
  });

  it('entries with missing, malformed or oversized context fields are processed as new traces, nothing lost', async () => {
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    const bad = [
      ['payload', 'no context at all'],
      ['payload', 'malformed', 'traceparent', 'not-a-traceparent'],
      ['payload', 'oversized', 'traceparent', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01${'-x'.repeat(300)}`],
      ['payload', 'wrong bytes', 'traceparent', Buffer.from([0xff, 0xfe, 0x00])],
      ['payload', 'huge baggage', 'baggage', `k=${'v'.repeat(70_000)}`],
      ['payload', 'zero ids', 'traceparent', `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`],
    ];
    for (const fields of bad) await redis.call('XADD', stream, '*', ...fields);
    const payloads: string[] = [];
    await consumer.processRead(await read(), (job) => {
      payloads.push(String(job.fields[1]));
      assert.deepEqual(job.fields.slice(0, 1), ['payload'], 'context fields never reach the handler');
      assert.equal(job.fields.length, 2);
    });
    assert.deepEqual(
      payloads,
      bad.map((f) => f[1]),
    );
    const spans = tracing.spans().filter((s) => s.name === `process ${stream}`);
    assert.equal(spans.length, bad.length);
    for (const span of spans) assertRoot(span);
    assert.equal(await pendingCount(), 0, 'every entry was acknowledged');
  });

  it('links the span active where the reply is processed, and keeps the sender baggage', async () => {
    const producer = streamProducer(redis, { stream, tracerProvider: counter.provider });
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    const withBaggage = propagation.setBaggage(
      context.active(),
      propagation.createBaggage({ tenant: { value: 'acme' } }),
    );
    await context.with(withBaggage, () => producer.add({ job: 'b' }));
    const poll = trace.getTracer('test').startSpan('poll');
    let tenant: string | undefined;
    await context.with(trace.setSpan(context.active(), poll), async () =>
      consumer.processRead(await read(), () => {
        tenant = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
      }),
    );
    poll.end();
    const processed = tracing.span(`process ${stream}`);
    assertChildOf(processed, tracing.span(`send ${stream}`));
    assertLinks(processed, [poll]);
    assert.equal(tenant, 'acme');
  });

  it('a null reply (a read that timed out) does nothing; garbage replies are skipped, never thrown', async () => {
    const consumer = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: counter.provider,
    });
    let calls = 0;
    const count = () => {
      calls++;
    };
    await consumer.processRead(null, count);
    await consumer.processRead(42, count);
    await consumer.processRead([['stream-without-entries', 'nope']], count);
    await consumer.processRead(
      {
        [stream]: [
          [null, ['a', '1']],
          ['1-0', null],
        ],
      },
      count,
    );
    await consumer.processClaimed(stream, ['0-0', ['1-0', '2-0'], []], count);
    assert.equal(calls, 0);
    assert.equal(tracing.spans().length, 0);
  });
});
