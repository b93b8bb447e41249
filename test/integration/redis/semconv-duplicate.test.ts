// semconvStability against the real Redis (streams, ioredis 6 over RESP3): with 'duplicate' (as an option, or
// from OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup through TracebridgeInstrumentation) the exported send and
// process spans also carry messaging.operation and messaging.client_id, the older names that apply to a
// system the older conventions had nothing specific for; by default they carry the current names only.
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { streamConsumer, streamProducer } from '../../../src/redis/index';
import type { SemconvStability } from '../../../src/core/semconv-stability';
import { connectRedis, uniqueKey } from '../../helpers/redis-clients';
import type { TestRedis } from '../../helpers/redis-clients';
import { assertNoLegacyNames, withMessagingDupInstrumentation } from '../../helpers/semconv-duplicate';
import { assertAttributes, assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const GROUP = 'semconv-workers';
const CONSUMER = 'semconv-w1';

describe('Redis streams: semconvStability', () => {
  let tracing: TestTracing;
  let redis: TestRedis;
  let stream: string;
  before(async () => {
    tracing = setupTracing('w3c');
    redis = await connectRedis('ioredis6-resp3');
  });
  after(async () => {
    redis.disconnect();
    await tracing.shutdown();
  });
  beforeEach(async () => {
    tracing.reset();
    stream = uniqueKey('semconv-stream');
    await redis.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM');
  });
  afterEach(async () => {
    await redis.del(stream);
  });

  /** Adds one entry and processes it from an `XREADGROUP` reply; returns the exported spans and the id. */
  async function hop(
    semconvStability: SemconvStability | undefined,
  ): Promise<{ send: ReadableSpan; process: ReadableSpan; id: string }> {
    const options = semconvStability === undefined ? {} : { semconvStability };
    const producer = streamProducer(redis, { stream, ...options });
    const consumer = streamConsumer(redis, { group: GROUP, consumer: CONSUMER, ...options });
    const id = await producer.add({ orderId: '42' });
    await consumer.processRead(
      await redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'COUNT', 10, 'STREAMS', stream, '>'),
      () => undefined,
    );
    const send = tracing.span(`send ${stream}`, SpanKind.PRODUCER);
    const process = tracing.span(`process ${stream}`, SpanKind.CONSUMER);
    assertChildOf(process, send);
    return { send, process, id };
  }

  function assertBothNameSets({ send, process, id }: Awaited<ReturnType<typeof hop>>): void {
    assertAttributes(send, {
      'messaging.system': 'redis',
      'messaging.operation.type': 'send',
      'messaging.operation': 'publish',
    });
    assertAttributes(process, {
      'messaging.operation.type': 'process',
      'messaging.operation': 'process',
      'messaging.message.id': id,
      'messaging.consumer.group.name': GROUP,
      'messaging.client.id': CONSUMER,
      'messaging.client_id': CONSUMER,
    });
  }

  it("'duplicate': the spans carry the older names next to the current ones", async () => {
    assertBothNameSets(await hop('duplicate'));
  });

  it('by default the spans carry the current names only', async () => {
    const { send, process } = await hop(undefined);
    assertAttributes(process, { 'messaging.client.id': CONSUMER });
    assertNoLegacyNames(send);
    assertNoLegacyNames(process);
  });

  it('OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup through TracebridgeInstrumentation turns it on', async () => {
    assertBothNameSets(await withMessagingDupInstrumentation(() => hop(undefined)));
  });
});
