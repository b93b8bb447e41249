/**
 * A job field named `__proto__` (an own key, as `JSON.parse` builds it) reaches the real Redis: the
 * producer's copy of the fields, made to add the trace context, keeps it as an ordinary field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { streamProducer } from '../../../src/redis/index';
import { connectRedis, uniqueKey } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

describe('Redis stream fields named __proto__', () => {
  let tracing: TestTracing;
  let redis: TestRedis;
  before(async () => {
    tracing = setupTracing('w3c');
    redis = await connectRedis('ioredis5-resp2');
  });
  after(async () => {
    redis.disconnect();
    await tracing.shutdown();
  });

  it('an object of fields keeps __proto__ beside the context fields in the stored entry', async () => {
    const stream = uniqueKey('proto-stream');
    try {
      const producer = streamProducer(redis, { stream });
      const fields = JSON.parse('{"job": "resize", "__proto__": "p"}') as Record<string, string>;
      await producer.add(fields);
      const entries = (await redis.call('XRANGE', stream, '-', '+')) as [string, string[]][];
      const stored = entries[0]?.[1] ?? [];
      assert.equal(stored[stored.indexOf('__proto__') + 1], 'p', `stored fields: ${stored.join(' ')}`);
      assert.equal(stored[stored.indexOf('job') + 1], 'resize');
      assert.ok(stored.includes('traceparent'), 'the context travels in its own field');
    } finally {
      await redis.del(stream);
    }
  });
});
