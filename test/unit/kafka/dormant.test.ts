// The Kafka wrappers with nothing registered (no tracer provider, propagator or meter provider): records,
// payloads, return values and errors pass between the application and the client exactly as unwrapped,
// and a wrapper made before an SDK registers traces from the next message on. Fake clients record what
// the wrappers hand them; the broker's side is test/integration/kafka/dormant.test.ts.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { context, metrics, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  KAFKA_ATTEMPT_HEADER,
  processBatchMessage,
  retryMessage,
  traceConsumer,
  traceProducer,
} from '../../../src/kafka/index';
import type {
  KafkaEachBatchPayload,
  KafkaEachMessagePayload,
  KafkaProducerBatch,
  KafkaProducerLike,
  KafkaProducerRecord,
} from '../../../src/kafka/index';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A producer that records what it was handed and answers with a promise the test keeps. */
function fakeProducer() {
  const records: KafkaProducerRecord[] = [];
  const batches: KafkaProducerBatch[] = [];
  const answers: Promise<unknown>[] = [];
  const answer = () => {
    const promise = Promise.resolve([{ topicName: 't', partition: 0, errorCode: 0 }]);
    answers.push(promise);
    return promise;
  };
  const producer = {
    send: (record: KafkaProducerRecord) => (records.push(record), answer()),
    sendBatch: (batch: KafkaProducerBatch) => (batches.push(batch), answer()),
    transaction: () => Promise.reject(new Error('not used')),
  };
  return { producer, records, batches, answers };
}

/** A consumer whose `run` keeps the config it was handed, so the test plays the client's part. */
function fakeConsumer() {
  let config: { eachMessage?: (p: unknown) => unknown; eachBatch?: (p: unknown) => unknown } | undefined;
  const consumer = {
    run: (c?: never) => {
      config = c;
      return Promise.resolve();
    },
  };
  return {
    consumer,
    eachMessage: (payload: KafkaEachMessagePayload) => config!.eachMessage!(payload),
    eachBatch: (payload: KafkaEachBatchPayload) => config!.eachBatch!(payload),
  };
}

function messagePayload(offset: string, headers?: Record<string, string>): KafkaEachMessagePayload {
  return {
    topic: 'orders',
    partition: 0,
    message: { key: null, value: Buffer.from('v'), timestamp: String(Date.now()), offset, headers },
  } as KafkaEachMessagePayload;
}

function nothingRegistered(): void {
  trace.disable();
  propagation.disable();
  metrics.disable();
}

interface RegisteredSdk {
  spans(): ReadableSpan[];
  span(name: string, kind: SpanKind): ReadableSpan;
  shutdown(): Promise<void>;
}

/**
 * Registers an SDK as a service does, once, after the wrappers were made. Not `setupTracing`: that first
 * unregisters (`trace.disable()`), which replaces the global proxy provider the wrappers' tracers came
 * from, so they would never see the SDK, as no service would do.
 */
function registerSdk(): RegisteredSdk {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    spans: () => exporter.getFinishedSpans(),
    span(name, kind) {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name && s.kind === kind);
      assert.equal(found.length, 1, `one span named ${name}`);
      return found[0]!;
    },
    async shutdown() {
      await provider.shutdown();
      nothingRegistered();
    },
  };
}

describe('Kafka wrappers with nothing registered', () => {
  let tracing: RegisteredSdk | undefined;
  beforeEach(() => {
    nothingRegistered();
    // A context manager alone is not an SDK: the wrappers are dormant with it, and the tests can see
    // that no span is made active.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
    context.disable();
  });

  it("send and sendBatch hand the caller's own record to the client and return its promise", async () => {
    const fake = fakeProducer();
    const producer = traceProducer(fake.producer);
    const record = { topic: 't', messages: [{ value: 'a' }, { value: 'b', headers: { h: '1' } }] };
    const single = { topic: 't', messages: [{ value: 'c' }] };
    const batch = { topicMessages: [record, { topic: 'u', messages: [{ value: 'd' }] }] };

    const sent = producer.send(record);
    const sentSingle = producer.send(single);
    const sentBatch = producer.sendBatch(batch);

    assert.equal(fake.records[0], record, 'the same record object');
    assert.equal(fake.records[1], single);
    assert.equal(fake.batches[0], batch, 'the same batch object');
    assert.equal(sent, fake.answers[0], "the client's own promise");
    assert.equal(sentSingle, fake.answers[1]);
    assert.equal(sentBatch, fake.answers[2]);
    assert.deepEqual(
      record.messages,
      [{ value: 'a' }, { value: 'b', headers: { h: '1' } }],
      'no headers added',
    );
    await Promise.all([sent, sentSingle, sentBatch]);
  });

  it("a send the client refuses rejects with the client's error, unchanged", async () => {
    const refused = new Error('broker down');
    const producer = traceProducer<KafkaProducerLike>({
      send: () => Promise.reject(refused),
      sendBatch: () => Promise.reject(refused),
      transaction: () => Promise.reject(refused),
    });
    await assert.rejects(producer.send({ topic: 't', messages: [{ value: 'a' }] }), (e) => e === refused);
    await assert.rejects(producer.sendBatch({ topicMessages: [] }), (e) => e === refused);
  });

  it("eachMessage: the handler gets the client's payload, outside any span, and its promise is returned", async () => {
    const fake = fakeConsumer();
    const seen: { payload: unknown; active: unknown }[] = [];
    const results: Promise<void>[] = [];
    await traceConsumer(fake.consumer).run({
      eachMessage: (payload: KafkaEachMessagePayload) => {
        seen.push({ payload, active: trace.getActiveSpan() });
        const result = Promise.resolve();
        results.push(result);
        return result;
      },
    } as never);

    const payload = messagePayload('0', {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const returned = fake.eachMessage(payload);
    assert.equal(returned, results[0], "the handler's own promise");
    assert.equal(seen[0]?.payload, payload, 'the same payload object');
    assert.equal(seen[0]?.active, undefined, 'no span, not even the inbound context, is active');
    await returned;
  });

  it('eachMessage: a throw and a rejection reach the client unchanged', async () => {
    const fake = fakeConsumer();
    const thrown = new Error('sync');
    const rejected = new Error('async');
    let calls = 0;
    await traceConsumer(fake.consumer).run({
      eachMessage: () => {
        calls++;
        if (calls === 1) throw thrown;
        return Promise.reject(rejected);
      },
    } as never);
    assert.throws(
      () => fake.eachMessage(messagePayload('0')),
      (e) => e === thrown,
    );
    await assert.rejects(Promise.resolve(fake.eachMessage(messagePayload('1'))), (e) => e === rejected);
  });

  it('eachMessage: a message redelivered after failures is numbered as when traced (retryMessage)', async () => {
    const fake = fakeConsumer();
    const retries: string[] = [];
    let calls = 0;
    await traceConsumer(fake.consumer).run({
      eachMessage: async ({ message }: KafkaEachMessagePayload) => {
        calls++;
        if (calls <= 2) throw new Error('declined');
        retries.push(String(retryMessage(message).headers?.[KAFKA_ATTEMPT_HEADER]));
      },
    } as never);
    const message = messagePayload('7', { [KAFKA_ATTEMPT_HEADER]: '2' });
    await assert.rejects(Promise.resolve(fake.eachMessage(message)));
    await assert.rejects(Promise.resolve(fake.eachMessage(message)));
    await fake.eachMessage(message);
    // Declared attempt 2, failed twice here: this is attempt 4, and the retry is the 5th.
    assert.deepEqual(retries, ['5']);
    // A first delivery of a retried message: its retry follows the attempt its header declares.
    await fake.eachMessage(messagePayload('8', { [KAFKA_ATTEMPT_HEADER]: '4' }));
    assert.deepEqual(retries, ['5', '5']);
  });

  it("eachBatch: the handler gets the client's payload; processBatchMessage just runs the work", async () => {
    const fake = fakeConsumer();
    const seen: unknown[] = [];
    await traceConsumer(fake.consumer).run({
      eachBatch: async (payload: KafkaEachBatchPayload) => {
        seen.push(payload);
        for (const message of payload.batch.messages) {
          const active = processBatchMessage(payload, message, () => trace.getActiveSpan());
          seen.push(active);
        }
      },
    } as never);
    const batch = {
      topic: 'orders',
      partition: 0,
      highWatermark: '2',
      messages: [messagePayload('0').message, messagePayload('1').message],
    };
    const payload = { batch } as unknown as KafkaEachBatchPayload;
    await fake.eachBatch(payload);
    assert.deepEqual(seen, [payload, undefined, undefined]);
    assert.equal(seen[0], payload, 'the same payload object');
  });

  it('wrappers made before the SDK registers trace from the next message on', async () => {
    const fakeP = fakeProducer();
    const fakeC = fakeConsumer();
    const producer = traceProducer(fakeP.producer);
    const handled: unknown[] = [];
    await traceConsumer(fakeC.consumer).run({
      eachMessage: async () => {
        handled.push(trace.getActiveSpan()?.spanContext().spanId);
      },
    } as never);
    const before = { topic: 't', messages: [{ value: 'a' }] };
    await producer.send(before);
    await fakeC.eachMessage(messagePayload('0'));
    assert.equal(fakeP.records[0], before);

    tracing = registerSdk();
    const after = { topic: 't', messages: [{ value: 'b' }] };
    await producer.send(after);
    const carried = fakeP.records[1]!.messages[0]!.headers as Record<string, string> | undefined;
    assert.notEqual(fakeP.records[1], after, 'a copy carries the context');
    assert.deepEqual(after, { topic: 't', messages: [{ value: 'b' }] }, "the caller's record is untouched");
    assert.match(String(carried?.['traceparent']), /^00-/);
    await fakeC.eachMessage(messagePayload('1', { traceparent: String(carried!['traceparent']) }));

    const send = tracing.span('send t', SpanKind.PRODUCER);
    const processed = tracing.span('process orders', SpanKind.CONSUMER);
    assert.equal(processed.parentSpanContext?.spanId, send.spanContext().spanId, 'the context crossed');
    assert.deepEqual(handled, [undefined, processed.spanContext().spanId]);
  });

  it('a message handed over dormant and finished after the SDK registers makes no span, and breaks nothing', async () => {
    const fake = fakeConsumer();
    let finish: () => void = () => undefined;
    let calls = 0;
    await traceConsumer(fake.consumer).run({
      eachMessage: () => {
        calls++;
        return calls === 1 ? new Promise<void>((resolve) => (finish = resolve)) : Promise.resolve();
      },
    } as never);
    const first = fake.eachMessage(messagePayload('0'));
    tracing = registerSdk();
    finish();
    await first;
    await fake.eachMessage(messagePayload('1'));
    assert.deepEqual(
      tracing.spans().map((s) => s.name),
      ['process orders'],
      'only the message begun traced has a span',
    );
  });
});
