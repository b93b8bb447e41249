/**
 * 10,000 jobs each through streams, lists and pub/sub against the real Redis, for every client flavour:
 * every job enqueued is processed exactly once (processed == enqueued), and every process span is the
 * child of exactly its own send span (no context lost or crossed between jobs).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  channelListener,
  channelPublisher,
  listConsumer,
  listProducer,
  streamProducer,
  streamWorker,
} from '../../../src/redis/index';
import { connectRedis, describeEachClient, uniqueKey, waitFor } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const JOBS = 10_000;
/** Sends in flight at once while enqueuing. */
const CHUNK = 500;

let tracing: TestTracing;
before(() => {
  tracing = setupTracing('w3c');
});
after(() => tracing.shutdown());

async function inChunks(count: number, send: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += CHUNK) {
    const sends: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(count, start + CHUNK); i++) sends.push(send(i));
    await Promise.all(sends);
  }
}

/** Every CONSUMER span is the child of a distinct PRODUCER span: one send, one process, per job. */
function assertOneProcessPerSend(spans: readonly ReadableSpan[], jobs: number): void {
  const sends = new Set(
    spans
      .filter((s) => s.kind === SpanKind.PRODUCER)
      .map((s) => `${s.spanContext().traceId}/${s.spanContext().spanId}`),
  );
  const parents = spans
    .filter((s) => s.kind === SpanKind.CONSUMER)
    .map((s) => `${s.parentSpanContext?.traceId}/${s.parentSpanContext?.spanId}`);
  assert.equal(sends.size, jobs, 'send spans');
  assert.equal(parents.length, jobs, 'process spans');
  assert.equal(new Set(parents).size, jobs, 'no two process spans share a send span');
  assert.ok(
    parents.every((p) => sends.has(p)),
    'every process span is a child of a send span',
  );
}

describeEachClient('10,000 jobs', (kind) => {
  const opened: TestRedis[] = [];
  const connect = async () => {
    const client = await connectRedis(kind);
    opened.push(client);
    return client;
  };
  let key: string;
  beforeEach(() => {
    tracing.reset();
    key = uniqueKey('volume');
  });
  afterEach(async () => {
    const admin = opened[0];
    await admin?.del(key);
    for (const client of opened.splice(0)) client.disconnect();
  });

  it('through a stream: processed == enqueued, each acknowledged', async () => {
    const producer = streamProducer(await connect(), { stream: key });
    const processed = new Set<string>();
    const worker = streamWorker(await connect(), {
      stream: key,
      group: 'g',
      consumer: 'c',
      count: 200,
      blockMs: 100,
      handler: (job) => {
        processed.add(String(job.fields[1]));
      },
    });
    await worker.start();
    try {
      await inChunks(JOBS, (i) => producer.add({ n: String(i) }));
      await waitFor(() => processed.size === JOBS, `${JOBS} stream jobs`, 60_000);
    } finally {
      await worker.stop();
    }
    assert.equal(processed.size, JOBS);
    const summary = (await opened[0]!.call('XPENDING', key, 'g')) as unknown[];
    assert.equal(summary[0], 0, 'every entry acknowledged');
    assertOneProcessPerSend(tracing.spans(), JOBS);
  });

  it('through a list: processed == enqueued', async () => {
    const producer = listProducer(await connect(), { list: key });
    const consumer = listConsumer();
    const popper = await connect();
    await inChunks(JOBS, (i) => producer.push(String(i)));
    const processed = new Set<string>();
    while (processed.size < JOBS) {
      const reply = await popper.callBuffer('BLMPOP', 1, 1, key, 'RIGHT', 'COUNT', 250);
      assert.notEqual(reply, null, 'the list ran dry before every job was processed');
      await consumer.process(reply, (job) => {
        processed.add(job.payload.toString());
      });
    }
    assert.equal(processed.size, JOBS);
    assert.equal(await popper.llen(key), 0);
    assertOneProcessPerSend(tracing.spans(), JOBS);
  });

  it('through pub/sub: processed == published', async () => {
    const publisher = channelPublisher(await connect());
    const subscriber = await connect();
    const processed = new Set<string>();
    const listener = channelListener(subscriber, (message) => {
      processed.add(message.payload.toString());
    });
    try {
      await subscriber.subscribe(key);
      let receivers = 0;
      await inChunks(JOBS, async (i) => {
        const reached = await publisher.publish(key, String(i));
        receivers += reached;
      });
      assert.equal(receivers, JOBS, 'every message had its subscriber');
      await waitFor(() => processed.size === JOBS, `${JOBS} messages`, 60_000);
    } finally {
      listener.close();
    }
    assertOneProcessPerSend(tracing.spans(), JOBS);
  });
});
