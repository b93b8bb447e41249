/**
 * `messaging.destination.name` for RabbitMQ per the semantic conventions v1.44: producers
 * `{exchange}:{routing key}`, consumers `{exchange}:{routing key}:{queue}`, empty parts left out, the queue
 * named once when it is the routing key, `amq.default` when nothing else names the destination.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  consumeDestination,
  consumeDestinationTraits,
  publishDestination,
  publishDestinationTraits,
} from '../../../src/amqp/amqp-destination';

describe('publishDestination', () => {
  const cases: [exchange: string, routingKey: string, expected: string][] = [
    ['direct_logs', 'warning', 'direct_logs:warning'],
    ['logs', '', 'logs'],
    ['', 'orders', 'orders'],
    ['', '', 'amq.default'],
    ['shop', 'order.created.eu', 'shop:order.created.eu'],
  ];
  for (const [exchange, routingKey, expected] of cases) {
    it(`(${JSON.stringify(exchange)}, ${JSON.stringify(routingKey)}) is ${expected}`, () => {
      assert.equal(publishDestination(exchange, routingKey), expected);
    });
  }
});

describe('consumeDestination', () => {
  const cases: [exchange: string, routingKey: string, queue: string, expected: string][] = [
    ['direct_logs', 'warning', 'my_queue', 'direct_logs:warning:my_queue'],
    ['logs', '', 'q1', 'logs:q1'],
    ['', 'orders', 'orders', 'orders'],
    ['shop', 'orders', 'orders', 'shop:orders'],
    ['', 'amq.rabbitmq.reply-to.g1h2AA5yZXBseQ==', 'amq.rabbitmq.reply-to', 'amq.rabbitmq.reply-to'],
    ['', 'other', 'q', 'other:q'],
    ['', '', '', 'amq.default'],
  ];
  for (const [exchange, routingKey, queue, expected] of cases) {
    it(`(${JSON.stringify(exchange)}, ${JSON.stringify(routingKey)}, ${JSON.stringify(queue)}) is ${expected}`, () => {
      assert.equal(consumeDestination(exchange, routingKey, queue), expected);
    });
  }
});

describe('destination traits (names made up at runtime stay out of span names)', () => {
  it('a reply through direct reply-to is temporary, with the pseudo-queue as its template', () => {
    const expected = { template: 'amq.rabbitmq.reply-to', temporary: true };
    assert.deepEqual(publishDestinationTraits('', 'amq.rabbitmq.reply-to.g1h2AA5yZXBseQ=='), expected);
    assert.deepEqual(consumeDestinationTraits('amq.rabbitmq.reply-to'), expected);
  });

  it('a server-named queue is temporary and anonymous, with no template', () => {
    const expected = { temporary: true, anonymous: true };
    assert.deepEqual(publishDestinationTraits('', 'amq.gen-JzTY20BRgKO-HjmUJj0wLg'), expected);
    assert.deepEqual(consumeDestinationTraits('amq.gen-JzTY20BRgKO-HjmUJj0wLg'), expected);
  });

  it('named queues and publishes through a named exchange have none', () => {
    assert.equal(publishDestinationTraits('', 'orders'), undefined);
    assert.equal(publishDestinationTraits('shop', 'amq.gen-x'), undefined, 'a routing key, not a queue');
    assert.equal(consumeDestinationTraits('orders'), undefined);
  });
});
