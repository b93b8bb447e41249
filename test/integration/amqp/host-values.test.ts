/**
 * A consume callback that throws or rejects with a value hostile to inspect, through the real RabbitMQ
 * with amqplib 0.10 and 2.x: what amqplib receives from the traced callback is exactly the application's
 * value, each delivery's span ends once as an error, and tracebridge adds no unhandled rejection.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Channel, ConsumeMessage } from 'amqplib';
import { AMQP_CLIENTS, eventually, exportedSpans } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import {
  collectUnhandledRejections,
  errorWithThrowingGetters,
  proxyThrowingOnEveryTrap,
  revokedProxy,
  settleTicks,
} from '../../helpers/hostile-values';

type Callback = (message: ConsumeMessage | null) => unknown;

/**
 * Makes `raw.consume` record, per message id, what the callback it is given (tracebridge's wrapper)
 * throws or rejects with, in place of amqplib, which would otherwise take a throw as a channel failure.
 */
function recordCallbackOutcomes(raw: Channel, received: Map<string, unknown>): void {
  const consume = raw.consume.bind(raw);
  raw.consume = (queue: string, callback: Callback, options?: object) =>
    consume(
      queue,
      (message) => {
        if (message === null) return;
        const id = String(message.properties.messageId);
        try {
          const result = callback(message);
          if (result instanceof Promise)
            result.then(
              () => received.set(id, 'no error'),
              (e: unknown) => received.set(id, e),
            );
          else received.set(id, 'no error');
        } catch (error) {
          received.set(id, error);
        }
      },
      options,
    );
}

for (const client of AMQP_CLIENTS) {
  describe(`the application’s own values (${client.name})`, () => {
    const suite = amqpSuite(client);

    it('a consume callback throwing or rejecting a hostile value: amqplib gets exactly it', async () => {
      const unhandled = collectUnhandledRejections();
      try {
        const values: Record<string, unknown> = {
          getters: errorWithThrowingGetters(),
          proxy: proxyThrowingOnEveryTrap(),
          revoked: revokedProxy(),
          null: null,
        };
        const cases = Object.keys(values).flatMap((name) => [`${name}:sync`, `${name}:async`]);
        const queue = await suite.fixture.queue('hostile-errors');
        const { raw, traced } = await suite.channel();
        const received = new Map<string, unknown>();
        recordCallbackOutcomes(raw, received);
        for (const id of cases) traced.sendToQueue(queue, Buffer.from(id), { messageId: id });
        // amqplib drops what a callback returns; the recording layer above reads it.
        const handler = (message: ConsumeMessage | null): unknown => {
          const [name, mode] = String(message!.properties.messageId).split(':');
          const value = values[name!];
          if (mode === 'sync') throw value;
          return (async () => {
            await settleTicks();
            throw value;
          })();
        };
        const { consumerTag } = await traced.consume(queue, handler, {
          noAck: true,
        });
        await eventually('every delivery handled', () => (received.size === cases.length ? true : undefined));
        const spans = await exportedSpans(suite.tracing, `process ${queue}`, cases.length);
        await traced.cancel(consumerTag);
        await settleTicks();

        for (const id of cases) {
          assert.ok(
            received.get(id) === values[id.split(':')[0]!],
            `${id}: amqplib got the callback's own value`,
          );
        }
        for (const span of spans) assert.equal(span.status.code, SpanStatusCode.ERROR);
        const ends = suite.counter.started.filter((s) => s.name === `process ${queue}`).map((s) => s.ends);
        assert.deepEqual(
          ends,
          cases.map(() => 1),
          'every span ended exactly once',
        );
        assert.deepEqual(unhandled.reasons, [], 'no unhandled rejection');
      } finally {
        unhandled.uninstall();
      }
    });
  });
}
