/**
 * Every way a delivery leaves the consumer's hands ends its span exactly once, with the right status, through
 * the real RabbitMQ with amqplib 0.10 and 2.x: ack, nack (requeue), reject, ack with `multiple`, ackAll,
 * nackAll, channel close, consumer cancel by the application and by the broker, `noAck` consumers, `get`,
 * and handlers that throw or reject (recorded, and passed on unchanged).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Channel, ConsumeMessage } from 'amqplib';
import { pendingSettles } from '../../../src/amqp/index';
import { AMQP_CLIENTS, deferred, eventually, exportedSpans, uniqueName } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import type { AmqpSuite } from '../../helpers/amqp-suite';
import { assertAttributes, assertChildOf, setupMetrics } from '../../helpers/tracing';

/** Consumes `queue` without settling anything; resolves once `count` messages have arrived. */
async function holdDeliveries(
  channel: Channel,
  queue: string,
  count: number,
): Promise<{ messages: ConsumeMessage[]; consumerTag: string; nulls: () => number }> {
  const messages: ConsumeMessage[] = [];
  let nulls = 0;
  const { consumerTag } = await channel.consume(queue, (message) => {
    if (message === null) nulls++;
    else messages.push(message);
  });
  await eventually(`${count} deliveries on ${queue}`, () => (messages.length >= count ? true : undefined));
  return { messages, consumerTag, nulls: () => nulls };
}

/** Publishes `count` messages, ids `m-0`.., and returns their publish spans in order. */
async function publishMany(
  suite: AmqpSuite,
  channel: Channel,
  queue: string,
  count: number,
): Promise<ReadableSpan[]> {
  for (let i = 0; i < count; i++) channel.sendToQueue(queue, Buffer.from(`m-${i}`), { messageId: `m-${i}` });
  return exportedSpans(suite.tracing, `publish ${queue}`, count);
}

/**
 * Runs `work` with node:test's own unhandled-rejection listener set aside, and returns the reasons of the
 * rejections nobody handled meanwhile (collected after a macrotask, when Node reports them).
 */
async function captureUnhandledRejections(work: () => Promise<void>): Promise<unknown[]> {
  const reasons: unknown[] = [];
  const saved = process.listeners('unhandledRejection');
  const listener = (reason: unknown) => reasons.push(reason);
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', listener);
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('unhandledRejection', listener);
    for (const l of saved) process.on('unhandledRejection', l);
  }
  return reasons;
}

/** A valid sender context whose trace is not sampled (flags 00). */
const UNSAMPLED_PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';

function endsOf(suite: AmqpSuite, name: string): number[] {
  return suite.counter.started.filter((s) => s.name === name).map((s) => s.ends);
}

function assertSettled(span: ReadableSpan, outcome: string, status: SpanStatusCode, requeue?: boolean): void {
  assertAttributes(span, {
    'tracebridge.messaging.settle.outcome': outcome,
    'tracebridge.messaging.settle.requeue': requeue,
  });
  assert.equal(span.status.code, status, `${span.name}: status after ${outcome}`);
  if (status === SpanStatusCode.ERROR) assertAttributes(span, { 'error.type': outcome });
}

for (const client of AMQP_CLIENTS) {
  describe(`settling deliveries (${client.name})`, () => {
    const suite = amqpSuite(client);

    it('ack: ends the span once, without error, at the ack and not when the callback returns', async () => {
      const queue = await suite.fixture.queue('ack');
      const { traced } = await suite.channel();
      const [publishSpan] = await publishMany(suite, traced, queue, 1);
      const { messages, consumerTag } = await holdDeliveries(traced, queue, 1);
      assert.equal(pendingSettles(traced), 1, 'the span waits for the settle, not for the callback');
      assert.equal(suite.tracing.spans().filter((s) => s.name === `process ${queue}`).length, 0);
      traced.ack(messages[0]!);
      assert.equal(pendingSettles(traced), 0);
      const [span] = await exportedSpans(suite.tracing, `process ${queue}`);
      await traced.cancel(consumerTag);
      assertChildOf(span!, publishSpan!);
      assertSettled(span!, 'ack', SpanStatusCode.UNSET);
      assert.deepEqual(endsOf(suite, `process ${queue}`), [1]);
    });

    it('nack with requeue: an error span, and the redelivery is a second attempt in the same trace', async () => {
      const queue = await suite.fixture.queue('nack');
      const { traced } = await suite.channel();
      const [publishSpan] = await publishMany(suite, traced, queue, 1);
      const seen: ConsumeMessage[] = [];
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        seen.push(message);
        if (seen.length === 1) traced.nack(message, false, true);
        else traced.ack(message);
      });
      const spans = await exportedSpans(suite.tracing, `process ${queue}`, 2);
      await traced.cancel(consumerTag);
      const [first, second] = spans;
      assertSettled(first!, 'nack', SpanStatusCode.ERROR, true);
      assertSettled(second!, 'ack', SpanStatusCode.UNSET);
      assertAttributes(first!, {
        'tracebridge.messaging.rabbitmq.redelivered': undefined,
        'tracebridge.messaging.attempt': undefined,
      });
      assertAttributes(second!, {
        'tracebridge.messaging.rabbitmq.redelivered': true,
        'tracebridge.messaging.attempt': 2,
      });
      assertChildOf(first!, publishSpan!);
      assertChildOf(second!, publishSpan!);
      assert.deepEqual(endsOf(suite, `process ${queue}`), [1, 1]);
    });

    it('reject without requeue: an error span with requeue false', async () => {
      const queue = await suite.fixture.queue('reject');
      const { traced } = await suite.channel();
      await publishMany(suite, traced, queue, 1);
      const { messages, consumerTag } = await holdDeliveries(traced, queue, 1);
      traced.reject(messages[0]!, false);
      const [span] = await exportedSpans(suite.tracing, `process ${queue}`);
      await traced.cancel(consumerTag);
      assertSettled(span!, 'reject', SpanStatusCode.ERROR, false);
      assert.deepEqual(endsOf(suite, `process ${queue}`), [1]);
    });

    it('ack with multiple: settles every earlier delivery of the channel, and only those', async () => {
      const queue = await suite.fixture.queue('multiple');
      const { traced } = await suite.channel();
      await publishMany(suite, traced, queue, 4);
      const { messages, consumerTag } = await holdDeliveries(traced, queue, 4);
      traced.ack(messages[2]!, true);
      const settled = await exportedSpans(suite.tracing, `process ${queue}`, 3);
      assert.deepEqual(settled.map((s) => s.attributes['messaging.message.id']).sort(), [
        'm-0',
        'm-1',
        'm-2',
      ]);
      for (const span of settled) assertSettled(span, 'ack', SpanStatusCode.UNSET);
      assert.equal(pendingSettles(traced), 1);
      traced.nack(messages[3]!, false, false);
      await exportedSpans(suite.tracing, `process ${queue}`, 4);
      await traced.cancel(consumerTag);
      assert.deepEqual(endsOf(suite, `process ${queue}`), [1, 1, 1, 1]);
    });

    it('ackAll and nackAll: settle everything pending on the channel', async () => {
      const queue = await suite.fixture.queue('all');
      const { traced } = await suite.channel();
      await publishMany(suite, traced, queue, 3);
      const held = await holdDeliveries(traced, queue, 3);
      traced.ackAll();
      for (const span of await exportedSpans(suite.tracing, `process ${queue}`, 3))
        assertSettled(span, 'ack', SpanStatusCode.UNSET);
      assert.equal(pendingSettles(traced), 0);

      suite.tracing.reset();
      await publishMany(suite, traced, queue, 3);
      await eventually('3 more deliveries', () => (held.messages.length === 6 ? true : undefined));
      traced.nackAll(false);
      for (const span of await exportedSpans(suite.tracing, `process ${queue}`, 3))
        assertSettled(span, 'nack', SpanStatusCode.ERROR, false);
      await traced.cancel(held.consumerTag);
      assert.deepEqual(endsOf(suite, `process ${queue}`), [1, 1, 1, 1, 1, 1]);
    });

    it('channel close: every pending span ends as closed, and nothing stays tracked', async () => {
      const queue = await suite.fixture.queue('close');
      const { traced } = await suite.channel();
      await publishMany(suite, traced, queue, 2);
      await holdDeliveries(traced, queue, 2);
      const closed = once(traced, 'close');
      await traced.close();
      await closed;
      for (const span of await exportedSpans(suite.tracing, `process ${queue}`, 2))
        assertSettled(span, 'closed', SpanStatusCode.ERROR);
      assert.equal(pendingSettles(traced), 0);
      assert.deepEqual(endsOf(suite, `process ${queue}`), [1, 1]);
    });

    it('consumer cancel by the application: that consumer’s spans end as cancelled, not the others’', async () => {
      const queueA = await suite.fixture.queue('cancel-a');
      const queueB = await suite.fixture.queue('cancel-b');
      const { traced } = await suite.channel();
      await publishMany(suite, traced, queueA, 2);
      await publishMany(suite, traced, queueB, 1);
      const a = await holdDeliveries(traced, queueA, 2);
      const b = await holdDeliveries(traced, queueB, 1);
      const reply = await traced.cancel(a.consumerTag);
      // amqplib's own reply: 0.10 resolves with nothing, 2.x with { consumerTag } (its 2.2.1 change).
      const amqplibReply = client.name.includes('0.10') ? undefined : { consumerTag: a.consumerTag };
      assert.deepEqual(reply, amqplibReply, 'cancel resolves with amqplib’s reply');
      for (const span of await exportedSpans(suite.tracing, `process ${queueA}`, 2))
        assertSettled(span, 'cancelled', SpanStatusCode.ERROR);
      assert.equal(pendingSettles(traced), 1, 'the other consumer’s delivery still waits');
      traced.ack(a.messages[0]!); // still valid on the channel; the span has already ended
      traced.ack(b.messages[0]!);
      const [spanB] = await exportedSpans(suite.tracing, `process ${queueB}`);
      assertSettled(spanB!, 'ack', SpanStatusCode.UNSET);
      await traced.cancel(b.consumerTag);
      traced.ack(a.messages[1]!);
      assert.deepEqual(endsOf(suite, `process ${queueA}`), [1, 1]);
    });

    it('consumer cancel by the broker (queue deleted): spans end as cancelled; the callback gets null', async () => {
      const { traced } = await suite.channel();
      // Named, so its spans carry its name (a server-named queue's spans are named after the operation).
      const { queue } = await suite.fixture.admin.assertQueue(uniqueName('broker-cancel'), {
        durable: false,
      });
      await publishMany(suite, traced, queue, 2);
      const held = await holdDeliveries(traced, queue, 2);
      await suite.fixture.admin.deleteQueue(queue);
      await eventually('the broker’s cancel', () => (held.nulls() === 1 ? true : undefined));
      for (const span of await exportedSpans(suite.tracing, `process ${queue}`, 2))
        assertSettled(span, 'cancelled', SpanStatusCode.ERROR);
      assert.equal(pendingSettles(traced), 0);
    });

    it('noAck: nothing is tracked; the span ends when the handler’s promise settles', async () => {
      const queue = await suite.fixture.queue('no-ack');
      const { traced } = await suite.channel();
      const handlerDone = deferred<void>();
      const called = deferred<void>();
      const { consumerTag } = await traced.consume(
        queue,
        // eslint-disable-next-line @typescript-eslint/no-misused-promises -- amqplib drops it; the span waits for it
        (message) => {
          if (message === null) return;
          called.resolve();
          return handlerDone.promise;
        },
        { noAck: true },
      );
      await publishMany(suite, traced, queue, 1);
      await called.promise;
      assert.equal(pendingSettles(traced), 0);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(
        suite.tracing.spans().filter((s) => s.name === `process ${queue}`).length,
        0,
        'still working',
      );
      handlerDone.resolve();
      const [span] = await exportedSpans(suite.tracing, `process ${queue}`);
      assert.equal(span!.status.code, SpanStatusCode.UNSET);
      assert.equal(span!.attributes['tracebridge.messaging.settle.outcome'], undefined);
      await traced.cancel(consumerTag);
    });

    it('get: a CLIENT receive span parented to the publisher, ended at the settle (at once with noAck)', async () => {
      const queue = await suite.fixture.queue('get');
      const { traced: publisher } = await suite.confirmChannel();
      for (let i = 0; i < 2; i++)
        publisher.sendToQueue(queue, Buffer.from(`m-${i}`), { messageId: `m-${i}` });
      await publisher.waitForConfirms();
      const publishSpans = await exportedSpans(suite.tracing, `publish ${queue}`, 2);
      const { traced } = await suite.channel();

      const pulled = await traced.get(queue);
      assert.ok(pulled !== false, 'get resolves with the message');
      assert.equal(pendingSettles(traced), 1);
      traced.ack(pulled);
      const [received] = await exportedSpans(suite.tracing, `receive ${queue}`);
      assert.equal(received!.kind, SpanKind.CLIENT);
      assertAttributes(received!, {
        'messaging.operation.type': 'receive',
        'messaging.destination.name': queue,
      });
      assertSettled(received!, 'ack', SpanStatusCode.UNSET);
      assertChildOf(received!, publishSpans[0]!);

      const unacked = await traced.get(queue, { noAck: true });
      assert.ok(unacked !== false);
      assert.equal(pendingSettles(traced), 0);
      const spans = await exportedSpans(suite.tracing, `receive ${queue}`, 2);
      assertChildOf(spans[1]!, publishSpans[1]!);
      assert.equal(await traced.get(queue), false, 'an empty queue resolves false, as amqplib does');
      assert.deepEqual(endsOf(suite, `receive ${queue}`), [1, 1]);
    });

    it('a handler that throws: the error is recorded and reaches amqplib unchanged', async () => {
      const queue = await suite.fixture.queue('throws');
      const { traced } = await suite.channel();
      const boom = new Error('boom');
      const errors: unknown[] = [];
      traced.on('error', (error) => errors.push(error));
      // Not events.once: it rejects on 'error', which is what this channel is about to emit.
      const closed = deferred<void>();
      traced.on('close', () => closed.resolve());
      await traced.consume(queue, (message) => {
        if (message !== null) throw boom;
      });
      await publishMany(suite, traced, queue, 1);
      await closed.promise;
      assert.deepEqual(errors, [boom], 'amqplib received the handler’s own error');
      const [span] = await exportedSpans(suite.tracing, `process ${queue}`);
      assert.equal(span!.status.code, SpanStatusCode.ERROR);
      assert.equal(
        span!.events.find((e) => e.name === 'exception')?.attributes?.['exception.message'],
        'boom',
      );
      assertAttributes(span!, { 'tracebridge.messaging.settle.outcome': 'closed' });
    });

    it('a handler that rejects: recorded, still an unhandled rejection, and the span ends at the ack', async () => {
      const queue = await suite.fixture.queue('rejects');
      const { traced } = await suite.channel();
      const bad = new TypeError('bad order');
      const unhandled = await captureUnhandledRejections(async () => {
        // eslint-disable-next-line @typescript-eslint/no-misused-promises -- what happens to this promise is the test
        const { consumerTag } = await traced.consume(queue, async (message) => {
          if (message === null) return;
          await Promise.resolve();
          setImmediate(() => traced.ack(message));
          throw bad;
        });
        await publishMany(suite, traced, queue, 1);
        await exportedSpans(suite.tracing, `process ${queue}`);
        await traced.cancel(consumerTag);
      });
      assert.deepEqual(unhandled, [bad], 'the application’s rejection is not swallowed');
      const [span] = await exportedSpans(suite.tracing, `process ${queue}`);
      assertAttributes(span!, { 'tracebridge.messaging.settle.outcome': 'ack', 'error.type': 'TypeError' });
      assert.equal(span!.status.code, SpanStatusCode.ERROR);
      assert.equal(
        span!.events.find((e) => e.name === 'exception')?.attributes?.['exception.message'],
        'bad order',
      );
      assert.deepEqual(endsOf(suite, `process ${queue}`), [1]);
    });

    it('an unsampled delivery: its span ends when the callback returns, and nothing waits for its settle', async () => {
      const queue = await suite.fixture.queue('unsampled');
      const { raw, traced } = await suite.channel();
      // A sender whose trace is not sampled: the SDK's ParentBased sampler makes the consumer's span non-recording.
      raw.sendToQueue(queue, Buffer.from('x'), { headers: { traceparent: UNSAMPLED_PARENT } });
      const { messages, consumerTag } = await holdDeliveries(traced, queue, 1);
      assert.equal(pendingSettles(traced), 0, 'an inert span does not wait for the settle');
      assert.deepEqual(endsOf(suite, `process ${queue}`), [1], 'ended once, when the callback returned');
      traced.ack(messages[0]!);
      assert.deepEqual(endsOf(suite, `process ${queue}`), [1], 'the ack ends nothing more');
      await traced.cancel(consumerTag);
      assert.equal(suite.tracing.spans().filter((s) => s.name === `process ${queue}`).length, 0);
      // The message went on with its sender's context all the same.
      assert.equal(messages[0]!.properties.headers?.['traceparent'], UNSAMPLED_PARENT);
    });

    it('an unsampled delivery with a live meter: its span waits for the settle, for the process duration', async () => {
      const metrics = setupMetrics();
      try {
        const queue = await suite.fixture.queue('unsampled-metered');
        const { raw, traced } = await suite.channel({ meterProvider: metrics.provider });
        raw.sendToQueue(queue, Buffer.from('x'), { headers: { traceparent: UNSAMPLED_PARENT } });
        const { messages, consumerTag } = await holdDeliveries(traced, queue, 1);
        assert.equal(pendingSettles(traced), 1, 'the duration runs to the settle');
        assert.deepEqual(endsOf(suite, `process ${queue}`), [0]);
        traced.ack(messages[0]!);
        assert.equal(pendingSettles(traced), 0);
        assert.deepEqual(endsOf(suite, `process ${queue}`), [1]);
        await traced.cancel(consumerTag);
        const [resourceMetrics] = await metrics.collect();
        const durations = resourceMetrics?.scopeMetrics
          .flatMap((s) => s.metrics)
          .find((m) => m.descriptor.name === 'messaging.process.duration');
        assert.equal(durations?.dataPoints.length, 1, 'the unsampled delivery was measured');
      } finally {
        await metrics.shutdown();
      }
    });
  });
}
