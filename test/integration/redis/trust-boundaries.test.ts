/**
 * Signed creation context on the real Redis: stream entries carry the signature in a field of their own,
 * lists and pub/sub in the envelope's headers. A signed job continues (a pending stream entry read again
 * still verifies); forged, expired, unsigned and copied contexts are linked and counted.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { encodeEnvelope } from '../../../src/propagation/envelope';
import {
  channelListener,
  channelPublisher,
  listConsumer,
  listProducer,
  streamConsumer,
  streamProducer,
} from '../../../src/redis/index';
import type { StreamJob } from '../../../src/redis/index';
import { connectRedis, uniqueKey, waitFor } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import {
  assertLinkedUnverified,
  EXPECTED_FAILURE,
  hostileContexts,
  SIGNING,
  verificationFailures,
  VERIFYING,
} from '../../helpers/signatures';
import { assertAttributes, assertChildOf, setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const GROUP = 'trust-group';
const CONSUMER = 'trust-consumer';
type Case = keyof ReturnType<typeof hostileContexts>;

describe('Redis trust boundaries', () => {
  let tracing: TestTracing;
  let metrics: TestMetrics;
  let redis: TestRedis;
  let subscriber: TestRedis;
  let key: string;
  before(async () => {
    tracing = setupTracing('w3c');
    redis = await connectRedis('ioredis5-resp2');
    subscriber = await connectRedis('ioredis5-resp2');
  });
  after(async () => {
    redis.disconnect();
    subscriber.disconnect();
    await tracing.shutdown();
  });
  beforeEach(() => {
    tracing.reset();
    metrics = setupMetrics();
    key = uniqueKey('trust');
  });
  afterEach(async () => {
    await metrics.shutdown();
    await redis.del(key);
  });

  const consumerSpans = (): ReadableSpan[] => tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);

  function assertHostile(spans: readonly ReadableSpan[], names: readonly string[]): void {
    assert.equal(spans.length, names.length);
    names.forEach((name, i) => assertLinkedUnverified(spans[i]!, EXPECTED_FAILURE[name as Case]));
  }

  describe('streams', () => {
    beforeEach(() => redis.call('XGROUP', 'CREATE', key, GROUP, '0', 'MKSTREAM'));
    const read = (from: '>' | '0') =>
      redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'COUNT', 100, 'STREAMS', key, from);

    it('a signed entry continues, also when read again from the pending list; the field is hidden', async () => {
      const producer = streamProducer(redis, { stream: key, signing: SIGNING });
      const consumer = streamConsumer(redis, { group: GROUP, consumer: CONSUMER, signing: VERIFYING });
      await producer.add({ orderId: '42' });
      const seen: StreamJob[] = [];
      await assert.rejects(
        consumer.processRead(await read('>'), () => {
          throw new Error('first attempt fails');
        }),
      );
      await consumer.processRead(await read('0'), (job) => {
        seen.push(job);
      });
      assert.deepEqual(seen[0]?.fields, ['orderId', '42'], 'the signature field is not handed to the job');
      const send = tracing.span(`send ${key}`, SpanKind.PRODUCER);
      const processed = consumerSpans();
      assert.equal(processed.length, 2, 'both attempts');
      for (const span of processed) {
        assertChildOf(span, send);
        assertAttributes(span, { 'tracebridge.trust.signature': 'valid' });
      }
    });

    it('links forged, expired, unsigned and copied contexts, and counts each failure', async () => {
      const consumer = streamConsumer(redis, {
        group: GROUP,
        consumer: CONSUMER,
        signing: VERIFYING,
        meterProvider: metrics.provider,
      });
      const cases = hostileContexts();
      for (const [name, headers] of Object.entries(cases)) {
        await redis.xadd(key, '*', 'case', name, ...Object.entries(headers).flat());
      }
      const names: string[] = [];
      await consumer.processRead(await read('>'), (job) => {
        names.push(String(job.fields[1]));
      });
      assertHostile(consumerSpans(), names);
      assert.deepEqual(await verificationFailures(metrics), { mismatch: 2, expired: 1, missing: 1 });
    });
  });

  describe('lists (envelope headers)', () => {
    it('a signed push continues; hostile envelopes are linked and counted', async () => {
      const producer = listProducer(redis, { list: key, signing: SIGNING });
      const consumer = listConsumer({ signing: VERIFYING, meterProvider: metrics.provider });
      await producer.push('signed');
      const cases = hostileContexts();
      for (const [name, headers] of Object.entries(cases))
        await redis.lpush(key, encodeEnvelope(name, headers));
      const names: string[] = [];
      for (let i = 0; i <= Object.keys(cases).length; i++) {
        await consumer.process(await redis.brpopBuffer(key, 1), (job) => {
          names.push(job.payload.toString());
        });
      }
      const [signed, ...hostile] = consumerSpans();
      assertChildOf(signed!, tracing.span(`send ${key}`, SpanKind.PRODUCER));
      assertAttributes(signed!, { 'tracebridge.trust.signature': 'valid' });
      assertHostile(hostile, names.slice(1));
      assert.deepEqual(await verificationFailures(metrics), { mismatch: 2, expired: 1, missing: 1 });
    });
  });

  describe('pub/sub (envelope headers)', () => {
    it('a signed publish continues; hostile envelopes are linked and counted', async () => {
      const publisher = channelPublisher(redis, { signing: SIGNING });
      const names: string[] = [];
      const listener = channelListener(
        subscriber,
        (message) => {
          names.push(message.payload.toString());
        },
        { signing: VERIFYING, meterProvider: metrics.provider },
      );
      const cases = hostileContexts();
      try {
        await subscriber.subscribe(key);
        await publisher.publish(key, 'signed');
        for (const [name, headers] of Object.entries(cases))
          await redis.publish(key, encodeEnvelope(name, headers));
        await waitFor(() => consumerSpans().length === 5, 'every process span');
      } finally {
        listener.close();
        await subscriber.unsubscribe(key);
      }
      const [signed, ...hostile] = consumerSpans();
      assert.equal(names[0], 'signed');
      assertChildOf(signed!, tracing.span(`publish ${key}`, SpanKind.PRODUCER));
      assertAttributes(signed!, { 'tracebridge.trust.signature': 'valid' });
      assertHostile(hostile, names.slice(1));
      assert.deepEqual(await verificationFailures(metrics), { mismatch: 2, expired: 1, missing: 1 });
    });
  });
});
