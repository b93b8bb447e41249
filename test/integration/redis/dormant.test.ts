/**
 * The Redis helpers with nothing registered (no tracer provider, propagator or meter provider, and none
 * given): every message is handed on as the unwrapped client would, against the real Redis. What the
 * handler sees, what is stored, acknowledgements, return values and errors are the same as through the
 * traced path (a helper given a tracer provider of its own, which is never dormant), and a helper created
 * before an SDK registers traces from the next message once one does.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { nothingRegistered } from '../../../src/core/api-registrations';
import {
  channelListener,
  channelPublisher,
  listConsumer,
  listProducer,
  streamConsumer,
  streamProducer,
} from '../../../src/redis/index';
import type { ChannelMessage, ListJob, StreamJob } from '../../../src/redis/index';
import { connectRedis, describeEachClient, uniqueKey, waitFor } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { registerLateSdk } from '../../helpers/late-sdk';
import type { LateSdk } from '../../helpers/late-sdk';
import { assertChildOf } from '../../helpers/tracing';

const GROUP = 'workers';
const CONSUMER = 'w1';

/** A provider of the test's own, never registered: a helper given it traces (is never dormant). */
function ownProvider(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return {
    provider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    exporter,
  };
}

describeEachClient('Redis helpers with nothing registered', (kind) => {
  let redis: TestRedis;
  let stream: string;
  before(async () => {
    redis = await connectRedis(kind);
  });
  after(() => redis.disconnect());
  beforeEach(async () => {
    assert.equal(nothingRegistered(), true, 'each test starts with nothing registered');
    stream = uniqueKey('dormant');
    await redis.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM');
  });
  afterEach(async () => {
    await redis.del(stream);
  });

  const read = () => redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'COUNT', 100, 'STREAMS', stream, '>');
  const pendingCount = async () => Number(((await redis.call('XPENDING', stream, GROUP)) as unknown[])[0]);
  const storedFields = async () =>
    ((await redis.call('XRANGE', stream, '-', '+')) as [string, unknown][]).map(([, fields]) => fields);

  it('adds the entry with its own fields only and resolves with its id', async () => {
    const producer = streamProducer(redis, { stream });
    const id = await producer.add({ orderId: '42', sku: 'sku-1' });
    const stored = (await redis.call('XRANGE', stream, '-', '+')) as [string, unknown][];
    assert.equal(stored.length, 1);
    assert.equal(stored[0]![0], id);
    const fields = stored[0]![1];
    const flat = Array.isArray(fields) ? fields : Object.entries(fields as object).flat();
    assert.deepEqual(flat, ['orderId', '42', 'sku', 'sku-1'], 'no context field is written');
  });

  it('hands the handler the job the traced path hands it, and acknowledges it alike', async () => {
    // Written by hand as a traced producer elsewhere would have: tracebridge's own fields among the job's.
    const entry = [
      'a',
      '1',
      'tracebridge-origin',
      '1700000000000',
      'tracebridge-scheduled-at',
      '5',
      'b',
      '2',
    ];
    await redis.call('XADD', stream, '*', ...entry);
    await redis.call('XADD', stream, '*', ...entry);
    const jobs: StreamJob[] = [];
    const handler = (job: StreamJob) => {
      jobs.push(job);
    };
    const dormant = streamConsumer(redis, { group: GROUP, consumer: CONSUMER });
    const { provider, exporter } = ownProvider();
    const traced = streamConsumer(redis, { group: GROUP, consumer: CONSUMER, tracerProvider: provider });

    const reply = await redis.call(
      'XREADGROUP',
      'GROUP',
      GROUP,
      CONSUMER,
      'COUNT',
      1,
      'STREAMS',
      stream,
      '>',
    );
    assert.equal(await dormant.processRead(reply, handler), undefined);
    assert.equal(exporter.getFinishedSpans().length, 0);
    assert.equal(await traced.processRead(await read(), handler), undefined);
    assert.equal(exporter.getFinishedSpans().length, 1, 'the traced consumer made its span');

    assert.equal(jobs.length, 2);
    const [first, second] = jobs as [StreamJob, StreamJob];
    assert.deepEqual(first.fields, ['a', '1', 'b', '2'], "tracebridge's own fields are hidden");
    assert.deepEqual(first.fields, second.fields);
    assert.deepEqual({ ...first, id: '' }, { ...second, id: '' });
    assert.equal(first.stream, stream);
    assert.equal(first.attempt, 1);
    assert.equal(await pendingCount(), 0, 'both acknowledged');
    assert.equal((await storedFields()).length, 2, 'the entries stay in the stream');
  });

  it('rejects with the handler error itself and leaves that entry pending, as the traced path does', async () => {
    const producer = streamProducer(redis, { stream });
    for (const n of ['1', '2', '3', '4']) await producer.add(['n', n]);
    const boom = new Error('handler failed');
    const seen: string[] = [];
    const handler = async (job: StreamJob) => {
      seen.push(job.fields[1]!);
      await Promise.resolve();
      if (job.fields[1] === '1' || job.fields[1] === '3') throw boom;
    };
    const dormant = streamConsumer(redis, { group: GROUP, consumer: CONSUMER });
    const traced = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: ownProvider().provider,
    });
    const two = () => redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'COUNT', 2, 'STREAMS', stream, '>');
    await assert.rejects(dormant.processRead(await two(), handler), (error) => error === boom);
    await assert.rejects(traced.processRead(await two(), handler), (error) => error === boom);
    assert.deepEqual(seen, ['1', '2', '3', '4'], 'every handler ran, in order');
    assert.equal(
      await pendingCount(),
      2,
      'the two failed entries stay pending, the others were acknowledged',
    );
  });

  it('passes a failed XACK on as the traced path does: the same rejection, after every handler', async () => {
    // A reply naming a key that holds a string: Redis refuses the XACK (WRONGTYPE).
    const notAStream = uniqueKey('string');
    await redis.set(notAStream, 'x');
    try {
      const reply = [
        [
          notAStream,
          [
            ['1700000000000-0', ['n', '1']],
            ['1700000000000-1', ['n', '2']],
          ],
        ],
      ];
      const outcome = async (options: { tracerProvider?: BasicTracerProvider }) => {
        const handled: string[] = [];
        const consumer = streamConsumer(redis, { group: GROUP, consumer: CONSUMER, ...options });
        const error = await consumer
          .processRead(reply, (job) => void handled.push(job.id))
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        return { handled, message: error instanceof Error ? error.message : String(error) };
      };
      const dormant = await outcome({});
      const traced = await outcome({ tracerProvider: ownProvider().provider });
      assert.match(dormant.message, /WRONGTYPE/);
      assert.deepEqual(dormant, traced);
      assert.deepEqual(dormant.handled, ['1700000000000-0', '1700000000000-1']);
    } finally {
      await redis.del(notAStream);
    }
  });

  it('a failed XACK answered while a later handler still runs is reported, not left unhandled', async () => {
    // A reply naming a key that holds a string: Redis refuses each XACK (WRONGTYPE).
    const notAStream = uniqueKey('string');
    await redis.set(notAStream, 'x');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const reply = [
        [
          notAStream,
          [
            ['1700000000000-0', ['n', '1']],
            ['1700000000000-1', ['n', '2']],
          ],
        ],
      ];
      const handled: string[] = [];
      const handler = async (job: StreamJob) => {
        handled.push(job.id);
        if (handled.length === 1) return;
        // Answered after the first entry's XACK (one connection answers in order), then a turn of the
        // event loop: by then that XACK has failed, while this handler still runs.
        await redis.ping();
        await new Promise((resolve) => setImmediate(resolve));
      };
      const consumer = streamConsumer(redis, { group: GROUP, consumer: CONSUMER });
      await assert.rejects(consumer.processRead(reply, handler), /WRONGTYPE/);
      assert.deepEqual(handled, ['1700000000000-0', '1700000000000-1']);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, [], 'no rejection went unhandled');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await redis.del(notAStream);
    }
  });

  it('resolves for entries no longer pending (XACK acknowledges nothing), as the traced path does', async () => {
    const producer = streamProducer(redis, { stream });
    const id = await producer.add(['n', '1']);
    const reply = await read();
    await redis.call('XACK', stream, GROUP, id);
    const dormant = streamConsumer(redis, { group: GROUP, consumer: CONSUMER });
    const traced = streamConsumer(redis, {
      group: GROUP,
      consumer: CONSUMER,
      tracerProvider: ownProvider().provider,
    });
    assert.equal(await dormant.processRead(reply, () => undefined), undefined);
    assert.equal(await traced.processRead(reply, () => undefined), undefined);
  });

  it('lists and pub/sub: an envelope of no headers goes out; the handler gets the job the traced path gives', async () => {
    const list = uniqueKey('dormant-list');
    const channel = uniqueKey('dormant-channel');
    const subscriber = await connectRedis(kind);
    try {
      const producer = listProducer(redis, { list });
      assert.equal(await producer.push('job one'), 1);
      assert.equal(await producer.push('job one'), 2);
      const jobs: ListJob[] = [];
      await listConsumer().process(await redis.brpopBuffer(list, 1), (job) => void jobs.push(job));
      const tracedList = listConsumer({ tracerProvider: ownProvider().provider });
      await tracedList.process(await redis.brpopBuffer(list, 1), (job) => void jobs.push(job));
      assert.equal(jobs.length, 2);
      assert.deepEqual(jobs[0], jobs[1]);
      assert.equal(jobs[0]!.enveloped, true, 'still an envelope, as consumers expect');
      assert.equal(jobs[0]!.payload.toString(), 'job one');
      const boom = new Error('list handler failed');
      await producer.push('fails');
      await assert.rejects(
        listConsumer().process(await redis.brpopBuffer(list, 1), () => Promise.reject(boom)),
        (error) => error === boom,
      );

      const messages: ChannelMessage[] = [];
      const dormantListener = channelListener(subscriber, (message) => void messages.push(message));
      const tracedListener = channelListener(subscriber, (message) => void messages.push(message), {
        tracerProvider: ownProvider().provider,
      });
      await subscriber.subscribe(channel);
      assert.equal(await channelPublisher(redis).publish(channel, 'hello'), 1);
      await waitFor(() => messages.length === 2, 'both listeners to receive the message');
      dormantListener.close();
      tracedListener.close();
      assert.deepEqual(messages[0], messages[1]);
      assert.equal(messages[0]!.payload.toString(), 'hello');
      assert.equal(messages[0]!.enveloped, true);
    } finally {
      subscriber.disconnect();
      await redis.del(list);
    }
  });

  it('a helper created before an SDK registers traces from its next entry on, mid-batch included', async () => {
    const producer = streamProducer(redis, { stream });
    const consumer = streamConsumer(redis, { group: GROUP, consumer: CONSUMER });
    await producer.add(['n', '1']); // added dormant: no context
    const reply = await read();
    assert.equal(reply !== null, true);
    const tracing = registerLateSdk();
    try {
      await producer.add(['n', '2']);
      await producer.add(['n', '3']);
      const second = await read();
      const handled: string[] = [];
      // The first batch's entry began dormant; the SDK registered before it was handled: it is traced.
      await consumer.processRead(reply, (job) => void handled.push(job.fields[1]!));
      await consumer.processRead(second, (job) => void handled.push(job.fields[1]!));
      assert.deepEqual(handled, ['1', '2', '3']);
      const sends = tracing.spans().filter((s) => s.kind === SpanKind.PRODUCER);
      const processes = tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      assert.equal(sends.length, 2, 'the adds after registration made send spans');
      assert.equal(processes.length, 3, 'every entry handled after registration made a process span');
      for (const send of sends) {
        const id = send.attributes['messaging.message.id'];
        const processed = processes.find((p) => p.attributes['messaging.message.id'] === id);
        assert.ok(processed !== undefined, `the entry ${String(id)} was processed in a span`);
        assertChildOf(processed, send);
      }
      assert.equal(await pendingCount(), 0);
    } finally {
      await tracing.unregister();
    }
  });

  it("an SDK registered during a dormant entry's handler: that entry stays untraced, the next is traced", async () => {
    const producer = streamProducer(redis, { stream });
    await producer.add(['n', '1']);
    await producer.add(['n', '2']);
    const consumer = streamConsumer(redis, { group: GROUP, consumer: CONSUMER });
    let tracing: LateSdk | undefined;
    try {
      await consumer.processRead(await read(), async (job) => {
        await Promise.resolve();
        if (job.fields[1] === '1') tracing = registerLateSdk();
      });
      const processes = tracing!.spans().filter((s) => s.kind === SpanKind.CONSUMER);
      assert.equal(processes.length, 1, 'only the entry begun after registration has a span');
      assert.equal(processes[0]!.attributes['tracebridge.messaging.settle.outcome'], 'ack');
      assert.equal(await pendingCount(), 0, 'both entries acknowledged');
    } finally {
      await tracing?.unregister();
    }
  });
});
