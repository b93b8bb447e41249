/**
 * `disable()` and `enable()` on the instrumentation NodeSDK registered: disabled, a wrapper made
 * earlier records nothing (no span, no metric) and still does the host's work; enabled again, the same
 * wrapper records to NodeSDK's providers of the line under test.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { streamProducer } from 'tracebridge/redis';
import { onlySpan, startNodeSdk, uniqueName } from './nodesdk-harness';
import type { NodeSdkHarness } from './nodesdk-harness';
import { SDK_LINE } from './sdk-line';

let harness: NodeSdkHarness;
let redis: Redis;
before(async () => {
  harness = startNodeSdk();
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
after(async () => {
  await redis.quit();
  await harness.shutdown();
});

it(
  `NodeSDK ${SDK_LINE}: disable() turns the wrappers off, enable() back on`,
  { timeout: 60_000 },
  async () => {
    const stream = uniqueName('toggle');
    const producer = streamProducer(redis, { stream });
    try {
      harness.instrumentation.disable();
      await producer.add({ n: 'while disabled' });
      assert.equal(await redis.xlen(stream), 1, 'the entry was still added');
      const whileDisabled = await harness.spans();
      assert.deepEqual(
        whileDisabled.filter((s) => s.name === `send ${stream}`),
        [],
        'no span while disabled',
      );
      assert.deepEqual(
        await harness.histogram('messaging.client.operation.duration'),
        [],
        'no metric while disabled',
      );

      harness.instrumentation.enable();
      await producer.add({ n: 'enabled again' });
      assert.equal(await redis.xlen(stream), 2);
      const send = onlySpan(await harness.spans(), `send ${stream}`);
      assert.equal(send.kind, SpanKind.PRODUCER);
      const points = await harness.histogram('messaging.client.operation.duration');
      assert.deepEqual(
        points.map((p) => [p.attributes['messaging.destination.name'], p.value.count]),
        [[stream, 1]],
        'one send recorded: the one made while enabled',
      );
    } finally {
      harness.instrumentation.enable();
      await redis.del(stream);
    }
  },
);
