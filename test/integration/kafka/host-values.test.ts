// What tracebridge does with the application's own values, against the real Kafka broker: a handler
// that throws a value hostile to inspect gets that very value to the client, with its span ended once
// as an error and no unhandled rejection; and `recordMessageKeys: false` keeps keys off every span.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { diag, DiagLogLevel, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Consumer, ConsumerRunConfig, EachMessagePayload } from 'kafkajs';
import { traceConsumer, traceProducer } from '../../../src/kafka/index';
import {
  collectUnhandledRejections,
  errorWithThrowingGetters,
  proxyThrowingOnEveryTrap,
  revokedProxy,
  settleTicks,
} from '../../helpers/hostile-values';
import { startKafkaFixture, waitUntil } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { countSpanEnds } from '../../helpers/span-end-counter';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const TIMEOUT = { timeout: 60_000 };

/**
 * The real consumer, with its `run` recording what the (traced) `eachMessage` hands back to kafkajs. The
 * recorded value is not passed on: kafkajs would retry the message forever, and the test is about what it
 * receives, not what it then does.
 */
function recordingHandlerOutcomes(consumer: Consumer, received: unknown[]): Consumer {
  return Object.assign(Object.create(consumer) as Consumer, {
    run: (config: ConsumerRunConfig) =>
      consumer.run({
        ...config,
        eachMessage: async (payload: EachMessagePayload) => {
          try {
            await config.eachMessage!(payload);
            received.push('no error');
          } catch (error) {
            received.push(error);
          }
        },
      }),
  });
}

describe('Kafka: the application’s own values', () => {
  let kafka: KafkaFixture;
  let tracing: TestTracing;

  before(async () => {
    kafka = await startKafkaFixture('tracebridge-kafka-host-values');
  });
  after(async () => {
    await kafka.close();
  });
  afterEach(async () => {
    await tracing.shutdown();
  });

  it('eachMessage throwing or rejecting a hostile value: kafkajs gets exactly it', TIMEOUT, async () => {
    tracing = setupTracing('w3c');
    const ends = countSpanEnds(tracing.provider);
    const unhandled = collectUnhandledRejections();
    try {
      const values: Record<string, unknown> = {
        getters: errorWithThrowingGetters(),
        proxy: proxyThrowingOnEveryTrap(),
        revoked: revokedProxy(),
        null: null,
      };
      const [topic] = await kafka.createTopics(['hostile-errors']);
      const cases = Object.keys(values).flatMap((name) => [`${name}:sync`, `${name}:async`]);
      await traceProducer(await kafka.producer()).send({
        topic: topic!,
        messages: cases.map((key) => ({ key, value: 'x' })),
      });

      const received: unknown[] = [];
      const expected: unknown[] = [];
      const consumer = traceConsumer(recordingHandlerOutcomes(await kafka.consumer([topic!]), received), {
        tracerProvider: ends.provider,
      });
      await consumer.run({
        eachMessage: ({ message }) => {
          const [name, mode] = message.key!.toString().split(':');
          const value = values[name!];
          expected.push(value);
          if (mode === 'sync') throw value;
          return (async () => {
            await settleTicks();
            throw value;
          })();
        },
      });
      await waitUntil('every message to be handled', () => received.length === cases.length);
      await consumer.stop();
      await settleTicks();

      assert.equal(received.length, expected.length);
      received.forEach((value, i) =>
        assert.ok(value === expected[i], `message ${i}: the handler's own value`),
      );
      const processSpans = tracing.spans().filter((s) => s.name === `process ${topic}`);
      assert.equal(processSpans.length, cases.length);
      for (const span of processSpans) {
        assert.equal(span.kind, SpanKind.CONSUMER);
        assert.equal(
          span.status.code,
          SpanStatusCode.ERROR,
          String(span.attributes['messaging.kafka.message.key']),
        );
      }
      assert.deepEqual(ends.misended(), [], 'every span ended exactly once');
      assert.deepEqual(unhandled.reasons, [], 'no unhandled rejection');
    } finally {
      unhandled.uninstall();
    }
  });

  it('recordMessageKeys: false records no key on send, create or process spans', TIMEOUT, async () => {
    tracing = setupTracing('w3c');
    const errors: unknown[] = [];
    const ignore = () => undefined;
    diag.setLogger(
      {
        error: (_, message) => errors.push(message),
        warn: ignore,
        info: ignore,
        debug: ignore,
        verbose: ignore,
      },
      DiagLogLevel.ERROR,
    );
    const [topic] = await kafka.createTopics(['no-keys']);
    const producer = traceProducer(await kafka.producer(), {
      recordMessageKeys: false,
      producerHook: () => {
        throw new Error('hook bug');
      },
    });
    await producer.send({ topic: topic!, messages: [{ key: 'alice@example.com', value: 'one' }] });
    await producer.send({
      topic: topic!,
      messages: [
        { key: 'bob@example.com', value: 'two' },
        { key: 'carol@example.com', value: 'three' },
      ],
    });
    const consumer = traceConsumer(await kafka.consumer([topic!]), { recordMessageKeys: false });
    const keys: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        keys.push(message.key!.toString());
      },
    });
    await waitUntil('the three messages to be processed', () => keys.length === 3);
    await consumer.stop();

    const names = tracing.spans().map((s) => s.name);
    for (const name of [`send ${topic}`, `create ${topic}`, `process ${topic}`])
      assert.ok(names.includes(name), `a ${name} span was exported (${names.join(', ')})`);
    assert.deepEqual(keys.sort(), ['alice@example.com', 'bob@example.com', 'carol@example.com']);
    for (const span of tracing.spans()) {
      assert.equal(span.attributes['messaging.kafka.message.key'], undefined, `${span.name} has no key`);
      assert.equal(span.attributes['messaging.destination.name'], topic, `${span.name} is still described`);
    }
    diag.disable();
    // Two sends and two create spans, each calling the hook: logged under the option's own name.
    assert.ok(errors.length >= 2, `${errors.length} hook errors logged`);
    for (const message of errors)
      assert.equal(message, 'producerHook threw; the hook is skipped for this span');
  });
});
