/**
 * A stream worker's handler that throws or rejects with a value hostile to inspect, against the real
 * Redis: `onError` receives exactly the handler's value, each job's span ends once as an error, and
 * tracebridge adds no unhandled rejection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { streamProducer, streamWorker } from '../../../src/redis/index';
import type { StreamJob } from '../../../src/redis/index';
import {
  collectUnhandledRejections,
  errorWithThrowingGetters,
  proxyThrowingOnEveryTrap,
  revokedProxy,
  settleTicks,
} from '../../helpers/hostile-values';
import { connectRedis, uniqueKey, waitFor } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { countSpanEnds } from '../../helpers/span-end-counter';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

describe('stream worker: the application’s own values', () => {
  let tracing: TestTracing;
  const clients: TestRedis[] = [];
  const connect = async () => {
    const client = await connectRedis('ioredis5-resp2');
    clients.push(client);
    return client;
  };
  before(() => {
    tracing = setupTracing('w3c');
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await tracing.shutdown();
  });

  it('a handler throwing or rejecting a hostile value: onError gets exactly it', async () => {
    const ends = countSpanEnds(tracing.provider);
    const unhandled = collectUnhandledRejections();
    const stream = uniqueKey('hostile-jobs');
    const admin = await connect();
    try {
      const values: Record<string, unknown> = {
        getters: errorWithThrowingGetters(),
        proxy: proxyThrowingOnEveryTrap(),
        revoked: revokedProxy(),
        null: null,
      };
      const cases = Object.keys(values).flatMap((name) => [`${name}:sync`, `${name}:async`]);
      const producer = streamProducer(await connect(), { stream, tracerProvider: ends.provider });
      for (const id of cases) await producer.add({ case: id });

      const received = new Map<string, unknown>();
      const caseOf = (job: StreamJob | undefined) => String(job?.fields[1]);
      const worker = streamWorker(await connect(), {
        stream,
        group: 'hostile',
        consumer: 'worker-1',
        blockMs: 50,
        tracerProvider: ends.provider,
        handler: (job) => {
          const [name, mode] = caseOf(job).split(':');
          const value = values[name!];
          if (mode === 'sync') throw value;
          return (async () => {
            await settleTicks();
            throw value;
          })();
        },
        onError: (error, job) => {
          received.set(caseOf(job), error);
        },
      });
      await worker.start();
      await waitFor(() => received.size === cases.length, 'every job to fail');
      await worker.stop();
      await settleTicks();

      for (const id of cases) {
        assert.ok(
          received.get(id) === values[id.split(':')[0]!],
          `${id}: onError got the handler's own value`,
        );
      }
      const spans = tracing.spans().filter((s) => s.name === `process ${stream}`);
      assert.equal(spans.length, cases.length);
      for (const span of spans) assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.deepEqual(ends.misended(), [], 'every span ended exactly once');
      assert.deepEqual(unhandled.reasons, [], 'no unhandled rejection');
    } finally {
      unhandled.uninstall();
      await admin.del(stream);
    }
  });
});
