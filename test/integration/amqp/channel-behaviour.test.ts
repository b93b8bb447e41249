/**
 * A traced channel behaves as the channel it wraps, through the real RabbitMQ with amqplib 0.10 and 2.x: on
 * a confirm channel the publish span ends at the broker's ack (an error at its nack) and the caller's
 * callback is called as before; `publish` returns amqplib's backpressure signal and `'drain'` follows;
 * `instanceof`, properties, events (`'close'`, `'return'`) and untraced methods are the channel's own; and
 * misconfiguration is a named error at setup.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Message } from 'amqplib';
import { traceChannel } from '../../../src/amqp/index';
import type { AmqpTracingOptions } from '../../../src/amqp/index';
import { TracebridgeConfigError } from '../../../src/core/errors';
import { AMQP_CLIENTS, deferred, exportedSpans } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import { assertAttributes, assertChildOf } from '../../helpers/tracing';

for (const client of AMQP_CLIENTS) {
  describe(`traced channel behaviour (${client.name})`, () => {
    const suite = amqpSuite(client);

    it('confirm channel: the publish span ends at the broker’s ack; the callback is called as before', async () => {
      const queue = await suite.fixture.queue('confirm');
      const { traced } = await suite.confirmChannel();
      const confirmed = deferred<unknown[]>();
      const { root } = suite.inRootSpan('request', () =>
        traced.sendToQueue(queue, Buffer.from('x'), {}, (...args: unknown[]) => {
          // Called by amqplib at the ack; the span has ended just before.
          assert.equal(suite.tracing.spans().filter((s) => s.name === `publish ${queue}`).length, 1);
          confirmed.resolve(args);
        }),
      );
      assert.equal(
        suite.tracing.spans().filter((s) => s.name === `publish ${queue}`).length,
        0,
        'not ended when publish returned: the broker has not acked yet',
      );
      const args = await confirmed.promise;
      assert.equal(args[0], null, 'the callback got amqplib’s ack');
      const [span] = await exportedSpans(suite.tracing, `publish ${queue}`);
      assertChildOf(span!, root);
      assert.equal(span!.status.code, SpanStatusCode.UNSET);

      // Without a callback the span still ends at the ack, and waitForConfirms works as before.
      traced.sendToQueue(queue, Buffer.from('y'));
      await traced.waitForConfirms();
      await exportedSpans(suite.tracing, `publish ${queue}`, 2);
      assert.deepEqual(
        suite.counter.started.filter((s) => s.name === `publish ${queue}`).map((s) => s.ends),
        [1, 1],
      );
    });

    it('confirm channel: a broker nack ends the span with an error; the callback gets the error', async () => {
      const queue = await suite.fixture.queue('nacked', {
        maxLength: 1,
        arguments: { 'x-overflow': 'reject-publish' },
      });
      const { traced } = await suite.confirmChannel();
      const outcomes: unknown[] = [];
      const done = deferred<void>();
      for (const body of ['fits', 'overflows']) {
        traced.sendToQueue(queue, Buffer.from(body), { messageId: body }, (error: unknown) => {
          outcomes.push(error);
          if (outcomes.length === 2) done.resolve();
        });
      }
      await done.promise;
      assert.equal(outcomes[0], null);
      assert.ok(outcomes[1] instanceof Error, 'amqplib reports the nack to the caller');
      const spans = await exportedSpans(suite.tracing, `publish ${queue}`, 2);
      const spanOf = (id: string) => spans.find((s) => s.attributes['messaging.message.id'] === id);
      assert.equal(spanOf('fits')?.status.code, SpanStatusCode.UNSET);
      assert.equal(spanOf('overflows')?.status.code, SpanStatusCode.ERROR);
      assert.equal(spanOf('overflows')?.status.message, outcomes[1].message);
      assertAttributes(spanOf('overflows')!, { 'error.type': 'Error' });
    });

    it('returns amqplib’s backpressure signal, and emits drain through the traced channel', async () => {
      const queue = await suite.fixture.queue('drain');
      const { traced } = await suite.channel();
      // amqplib buffers up to 1024 frames per channel before it answers false.
      const results: unknown[] = [];
      for (let i = 0; i < 10_000 && !results.includes(false); i++)
        results.push(traced.sendToQueue(queue, Buffer.from('x')));
      assert.ok(results.includes(false), 'amqplib asked the caller to wait');
      assert.ok(results.every((r) => typeof r === 'boolean'));
      const drained = deferred<void>();
      traced.once('drain', () => drained.resolve());
      await drained.promise;
      await exportedSpans(suite.tracing, `publish ${queue}`, results.length);
      await suite.fixture.admin.purgeQueue(queue);
    });

    it('is the channel for everything it does not trace: instanceof, properties, events, other methods', async () => {
      const { raw, traced } = await suite.channel();
      assert.ok(traced instanceof (raw.constructor as new () => unknown), 'instanceof the amqplib class');
      assert.equal(Object.getPrototypeOf(traced), Object.getPrototypeOf(raw));
      assert.equal(traced.connection, raw.connection);
      // A listener added through the traced channel is the channel's own listener.
      const listener = (): void => undefined;
      traced.on('error', listener);
      assert.ok(raw.listeners('error').includes(listener));
      traced.removeListener('error', listener);
      assert.ok(!raw.listeners('error').includes(listener));
      // Compared as values, never called unbound.
      const method = (channel: object, name: string): unknown => Reflect.get(channel, name);
      assert.notEqual(method(traced, 'publish'), method(raw, 'publish'));
      assert.equal(method(traced, 'publish'), method(traced, 'publish'), 'traced methods are stable');
      assert.equal(method(traced, 'assertExchange'), method(traced, 'assertExchange'), 'so are the others');

      // A method amqplib implements through other methods works through the proxy.
      const queue = await suite.fixture.queue('other-methods');
      const checked = await traced.checkQueue(queue);
      assert.equal(checked.queue, queue);

      // 'return': an unroutable mandatory message comes back as an event on the traced channel.
      const exchange = await suite.fixture.exchange('unroutable', 'direct');
      const returned = deferred<Message>();
      traced.on('return', (message: Message) => returned.resolve(message));
      traced.publish(exchange, 'nobody-listens', Buffer.from('lost'), { mandatory: true, messageId: 'r-1' });
      const message = await returned.promise;
      assert.equal(message.properties.messageId, 'r-1');
      assert.equal(typeof message.properties.headers?.['traceparent'], 'string');

      // 'close' reaches the application's listener on the traced channel.
      const closed = deferred<void>();
      traced.on('close', () => closed.resolve());
      await traced.close();
      await closed.promise;
    });

    it('throws TracebridgeConfigError at setup on a malformed option or a non-channel', async () => {
      const { raw } = await suite.channel();
      const bad: [string, unknown][] = [
        ['setTimestamp', { setTimestamp: 'yes' }],
        ['maxPendingSettles', { maxPendingSettles: 0 }],
        ['incoming', { incoming: 'trust-everyone' }],
        ['incoming rule', { incoming: { rules: [{ destination: /x/g, policy: 'link' }] } }],
        ['publishHook', { publishHook: 'log' }],
        ['consumeHook', { consumeHook: 42 }],
        ['options', 'verbose'],
      ];
      for (const [what, options] of bad) {
        assert.throws(
          () => traceChannel(raw, options as AmqpTracingOptions),
          (error: unknown) => error instanceof TracebridgeConfigError && typeof error.code === 'string',
          what,
        );
      }
      for (const notAChannel of [null, undefined, {}, { publish: () => true }, 'channel']) {
        assert.throws(
          () => traceChannel(notAChannel as never),
          (error: unknown) =>
            error instanceof TracebridgeConfigError && error.code === 'TRACEBRIDGE_INVALID_OPTION',
        );
      }
    });
  });
}
