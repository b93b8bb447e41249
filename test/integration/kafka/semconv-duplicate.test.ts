// semconvStability against the real Kafka broker: with 'duplicate' (as an option, or from
// OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup through TracebridgeInstrumentation) the exported send and
// process spans carry the older names the Java agent emits (messaging.operation, messaging.kafka.consumer.group,
// messaging.kafka.message.offset, messaging.kafka.destination.partition) next to the current ones; by default
// they carry the current ones only.
import { after, afterEach, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { traceConsumer, traceProducer } from '../../../src/kafka/index';
import type { SemconvStability } from '../../../src/core/semconv-stability';
import { startKafkaFixture, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { assertNoLegacyNames, withMessagingDupInstrumentation } from '../../helpers/semconv-duplicate';
import { assertAttributes, assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 60_000 };

describe('Kafka: semconvStability', () => {
  let kafka: KafkaFixture;
  let tracing: TestTracing;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-semconv-it');
  });
  after(async () => {
    await kafka.close();
  });
  afterEach(async () => {
    await tracing.shutdown();
  });

  /** One message through a traced producer and consumer; returns the exported send and process spans. */
  async function hop(
    semconvStability: SemconvStability | undefined,
  ): Promise<{ send: ReadableSpan; process: ReadableSpan; topic: string; groupId: string }> {
    const [topic] = await kafka.createTopics(['semconv']);
    const groupId = `group-${topic!}`;
    const options = semconvStability === undefined ? {} : { semconvStability };
    const producer = traceProducer(await kafka.producer(), options);
    const consumer = traceConsumer(await kafka.consumer([topic!], { groupId }), options);
    await producer.send({ topic: topic!, messages: [{ key: 'order-7', value: 'placed', partition: 0 }] });
    let processed = 0;
    await consumer.run({
      eachMessage: async () => {
        processed += 1;
      },
    });
    await waitUntil('the message to be processed', () => processed === 1);
    await consumer.stop();
    const send = tracing.span(`send ${topic!}`, SpanKind.PRODUCER);
    const process = tracing.span(`process ${topic!}`, SpanKind.CONSUMER);
    assertChildOf(process, send);
    return { send, process, topic: topic!, groupId };
  }

  function assertBothNameSets(spans: Awaited<ReturnType<typeof hop>>): void {
    const { send, process, topic, groupId } = spans;
    assertAttributes(send, {
      'messaging.operation.type': 'send',
      'messaging.operation': 'publish',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': '0',
      'messaging.kafka.destination.partition': 0,
      'messaging.kafka.message.key': 'order-7',
    });
    assertAttributes(process, {
      'messaging.operation.type': 'process',
      'messaging.operation': 'process',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': groupId,
      'messaging.kafka.consumer.group': groupId,
      'messaging.kafka.offset': 0,
      'messaging.kafka.message.offset': 0,
      'messaging.destination.partition.id': '0',
      'messaging.kafka.destination.partition': 0,
      'messaging.kafka.message.key': 'order-7',
    });
  }

  it("'duplicate': the spans carry the older names next to the current ones", TIMEOUT, async () => {
    tracing = setupTracing('w3c');
    assertBothNameSets(await hop('duplicate'));
  });

  it('by default the spans carry the current names only', TIMEOUT, async () => {
    tracing = setupTracing('w3c');
    const { send, process, groupId } = await hop(undefined);
    assertAttributes(process, {
      'messaging.consumer.group.name': groupId,
      'messaging.kafka.offset': 0,
      'messaging.destination.partition.id': '0',
    });
    assertNoLegacyNames(send);
    assertNoLegacyNames(process);
  });

  it(
    'OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup through TracebridgeInstrumentation turns it on',
    TIMEOUT,
    async () => {
      tracing = setupTracing('w3c');
      assertBothNameSets(await withMessagingDupInstrumentation(() => hop(undefined)));
    },
  );
});
