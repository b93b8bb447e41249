/**
 * With nothing registered (no tracer provider, propagator or meter provider, and none given to
 * `traceChannel`), a traced channel is dormant: through the real RabbitMQ, with amqplib 0.10 and 2.x, it
 * hands amqplib the caller's own options object (no header copy, no timestamp), hands the callback the very
 * message amqplib delivered, tracks nothing, and its settles and return values are amqplib's own. A wrapper
 * made before an SDK registers traces from the next message once one does; a delivery that arrived while
 * dormant and is settled afterwards is left alone, and one traced before the SDK went away still ends its
 * span at its settle.
 *
 * The tests register the SDK through the API directly, never `trace.disable()` in between: a wrapper's
 * tracer comes from the API's proxy provider of the moment, and `disable()` replaces that proxy.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { Channel, ConsumeMessage, Message, Options } from 'amqplib';
import { pendingSettles, traceChannel } from '../../../src/amqp/index';
import { AMQP_CLIENTS, eventually, openFixture } from '../../helpers/amqp-broker';
import type { AmqpFixture } from '../../helpers/amqp-broker';
import { registerLateSdk, unregisterAll } from '../../helpers/late-sdk';
import { assertAttributes, assertChildOf } from '../../helpers/tracing';

/**
 * What amqplib itself was given and gave back on `raw`, seen through the channel object's own
 * properties (the traced channel calls the channel's methods as they stand when called): the options
 * each publish was handed, and each message amqplib delivered to a consumer callback.
 */
function observe(raw: Channel): { published: unknown[]; delivered: ConsumeMessage[]; pulls: unknown[] } {
  const seen = { published: [] as unknown[], delivered: [] as ConsumeMessage[], pulls: [] as unknown[] };
  const prototype = Object.getPrototypeOf(raw) as Channel;
  const own = raw as unknown as Record<string, unknown>;
  own['sendToQueue'] = function (this: Channel, queue: string, content: Buffer, options?: Options.Publish) {
    seen.published.push(options);
    return prototype.sendToQueue.call(this, queue, content, options);
  };
  own['get'] = function (this: Channel, queue: string, options?: Options.Get) {
    const pull = prototype.get.call(this, queue, options);
    seen.pulls.push(pull);
    return pull;
  };
  own['consume'] = function (
    this: Channel,
    queue: string,
    onMessage: (message: ConsumeMessage | null) => void,
    options?: Options.Consume,
  ) {
    return prototype.consume.call(
      this,
      queue,
      (message) => {
        if (message !== null) seen.delivered.push(message);
        onMessage(message);
      },
      options,
    );
  };
  return seen;
}

/** A consumer on `channel` that keeps what it is handed, for the test to settle. */
async function keepDeliveries(channel: Channel, queue: string): Promise<ConsumeMessage[]> {
  const received: ConsumeMessage[] = [];
  await channel.consume(queue, (message) => {
    if (message !== null) received.push(message);
  });
  return received;
}

async function nth<T>(list: readonly T[], count: number): Promise<T> {
  return eventually(`${count} deliveries`, () => (list.length >= count ? list[count - 1] : undefined));
}

for (const client of AMQP_CLIENTS) {
  describe(`a traced channel with nothing registered (${client.name})`, () => {
    let fixture: AmqpFixture;
    const channels: Channel[] = [];
    before(async () => {
      unregisterAll();
      fixture = await openFixture(client);
    });
    afterEach(async () => {
      for (const channel of channels.splice(0)) await channel.close().catch(() => undefined);
      unregisterAll();
    });
    after(async () => fixture.close());

    async function channelPair(): Promise<{ raw: Channel; traced: Channel }> {
      const raw = await fixture.connection.createChannel();
      const traced = traceChannel(raw);
      channels.push(traced);
      return { raw, traced };
    }

    it('hands amqplib the caller’s options and the callback amqplib’s message; settles are amqplib’s', async () => {
      const queue = await fixture.queue('dormant');
      const { raw, traced } = await channelPair();
      const seen = observe(raw);
      const received = await keepDeliveries(traced, queue);

      const options = { headers: { 'x-app': 'a' }, messageId: 'one' };
      assert.equal(traced.sendToQueue(queue, Buffer.from('1'), options), true);
      assert.equal(seen.published[0], options, 'the caller’s own options object, not a copy');
      assert.deepEqual(options, { headers: { 'x-app': 'a' }, messageId: 'one' });
      const first = await nth(received, 1);
      assert.equal(first, seen.delivered[0], 'the message amqplib delivered, as it delivered it');
      assert.deepEqual(first.properties.headers, { 'x-app': 'a' }, 'no header was added');
      assert.equal(first.properties.timestamp, undefined, 'no timestamp was added');
      assert.equal(pendingSettles(traced), 0, 'nothing waits for the settle');

      // nack with requeue: amqplib's return, and the broker redelivers it.
      assert.equal(traced.nack(first, false, true), undefined);
      const again = await nth(received, 2);
      assert.equal(again.fields.redelivered, true);
      assert.equal(again, seen.delivered[1]);
      // reject without requeue drops it: the next delivery is the next message, which is acked.
      assert.equal(traced.reject(again, false), undefined);
      traced.sendToQueue(queue, Buffer.from('2'));
      const second = await nth(received, 3);
      assert.equal(second.content.toString(), '2');
      assert.equal(traced.ack(second), undefined);
      assert.equal(pendingSettles(traced), 0);

      // get: amqplib's own promise, and its message untracked.
      const pullQueue = await fixture.queue('dormant-get');
      traced.sendToQueue(pullQueue, Buffer.from('pulled'));
      let pulled: Message | false = false;
      for (let tries = 0; pulled === false && tries < 200; tries++) {
        const pull = traced.get(pullQueue);
        assert.equal(pull, seen.pulls.at(-1), 'the promise amqplib returned, not one derived from it');
        pulled = await pull;
        if (pulled === false) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(pulled !== false, 'the message was pulled');
      assert.equal(pulled.content.toString(), 'pulled');
      assert.equal(pendingSettles(traced), 0, 'a pulled message is not tracked either');
      traced.ack(pulled);
    });

    it('traces once an SDK registers; a delivery that arrived dormant is left alone at its settle', async () => {
      const queue = await fixture.queue('wakes');
      const { traced } = await channelPair();
      const received = await keepDeliveries(traced, queue);
      traced.sendToQueue(queue, Buffer.from('before'));
      const before = await nth(received, 1);
      assert.equal(before.properties.headers?.['traceparent'], undefined);

      const { exporter, counter } = registerLateSdk();
      traced.sendToQueue(queue, Buffer.from('after'));
      const afterwards = await nth(received, 2);
      assert.equal(typeof afterwards.properties.headers?.['traceparent'], 'string', 'context injected');
      assert.equal(pendingSettles(traced), 1, 'only the delivery that arrived traced waits');

      traced.ack(before);
      assert.equal(pendingSettles(traced), 1, 'the dormant delivery’s settle ends nothing');
      traced.ack(afterwards);
      assert.equal(pendingSettles(traced), 0);
      const spans = exporter.getFinishedSpans();
      assert.deepEqual(spans.map((s) => s.name).sort(), [`process ${queue}`, `publish ${queue}`]);
      const publish = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
      const process = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
      assertChildOf(process, publish);
      assertAttributes(process, { 'tracebridge.messaging.settle.outcome': 'ack' });
      assert.deepEqual(counter.misended(), []);
    });

    it('a delivery traced before the SDK goes away still ends its span at its settle', async () => {
      const queue = await fixture.queue('sleeps');
      const { traced } = await channelPair();
      const received = await keepDeliveries(traced, queue);
      const { exporter, counter } = registerLateSdk();
      traced.sendToQueue(queue, Buffer.from('traced'));
      const tracedDelivery = await nth(received, 1);
      assert.equal(pendingSettles(traced), 1);

      unregisterAll();
      traced.sendToQueue(queue, Buffer.from('dormant'));
      const dormantDelivery = await nth(received, 2);
      assert.equal(dormantDelivery.properties.headers?.['traceparent'], undefined);
      assert.equal(pendingSettles(traced), 1);
      traced.ack(dormantDelivery);
      traced.nack(tracedDelivery, false, false);
      assert.equal(pendingSettles(traced), 0);
      const process = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER)!;
      assertAttributes(process, { 'tracebridge.messaging.settle.outcome': 'nack', 'error.type': 'nack' });
      assert.deepEqual(counter.misended(), []);
    });
  });
}
