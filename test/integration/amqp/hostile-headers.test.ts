/**
 * Hostile headers from other publishers, through the real RabbitMQ with amqplib 0.10 and 2.x: a
 * `traceparent` of every AMQP type, malformed or oversized, and `x-death` / `x-delivery-count` of the wrong
 * shape or a huge size. Each message is delivered to the handler intact and processed as a new trace; nothing
 * throws; other headers pass through unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import { AMQP_CLIENTS, eventually, exportedSpans } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import { assertAttributes, assertRoot } from '../../helpers/tracing';

const VALID_TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const HOSTILE_TRACEPARENTS: [string, unknown][] = [
  ['a number', 42],
  ['a table', { version: '00', traceId: '0af7651916cd43dd8448eb211c80319c' }],
  ['a Buffer of garbage', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
  ['an array of numbers', [1, 2, 3]],
  ['null', null],
  ['a boolean', true],
  ['malformed', '00-not-a-trace-context-01'],
  ['uppercase hex', VALID_TRACEPARENT.toUpperCase()],
  ['all-zero trace id', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`],
  ['oversized', `${VALID_TRACEPARENT}-${'a'.repeat(20_000)}`],
];

const HOSTILE_ATTEMPT_HEADERS: [string, Record<string, unknown>][] = [
  ['x-death a string', { 'x-death': 'rejected' }],
  ['x-death an array of numbers', { 'x-death': [1, 2] }],
  ['x-death entries of wrong types', { 'x-death': [{ count: 'many', reason: 7 }] }],
  ['x-death huge', { 'x-death': Array.from({ length: 1000 }, () => ({ count: -1, reason: 42 })) }],
  ['x-delivery-count a string', { 'x-delivery-count': 'lots' }],
];

for (const client of AMQP_CLIENTS) {
  describe(`hostile headers (${client.name})`, () => {
    const suite = amqpSuite(client);

    it('a traceparent of any type, malformed or oversized: processed as a new trace, nothing lost', async () => {
      const queue = await suite.fixture.queue('hostile-traceparent');
      const { traced } = await suite.channel();
      const received: ConsumeMessage[] = [];
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        received.push(message);
        traced.ack(message);
      });
      // Published untraced, as another application would.
      HOSTILE_TRACEPARENTS.forEach(([, traceparent], i) => {
        const headers = { traceparent, 'x-keep': 'kept', 'x-number': 7, 'x-table': { a: 1 } };
        suite.fixture.admin.sendToQueue(queue, Buffer.from(`body-${i}`), { messageId: `m-${i}`, headers });
      });
      const count = HOSTILE_TRACEPARENTS.length;
      await eventually(`${count} deliveries`, () => (received.length === count ? true : undefined));
      await traced.cancel(consumerTag);

      const spans = await exportedSpans(suite.tracing, `process ${queue}`, count);
      HOSTILE_TRACEPARENTS.forEach(([what], i) => {
        const message = received.find((m) => m.properties.messageId === `m-${i}`);
        assert.equal(message?.content.toString(), `body-${i}`, `${what}: delivered intact`);
        assert.equal(message?.properties.headers?.['x-keep'], 'kept', `${what}: other headers pass through`);
        assert.equal(message?.properties.headers?.['x-number'], 7);
        assert.deepEqual(message?.properties.headers?.['x-table'], { a: 1 });
        const span = spans.find((s) => s.attributes['messaging.message.id'] === `m-${i}`);
        assert.ok(span, `${what}: a process span`);
        assertRoot(span);
        assert.notEqual(span.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c', what);
        assertAttributes(span, { 'tracebridge.messaging.settle.outcome': 'ack' });
      });
    });

    it('x-death and x-delivery-count of the wrong shape or size: ignored, the message processed', async () => {
      const queue = await suite.fixture.queue('hostile-x-death');
      const { traced } = await suite.channel();
      const received: ConsumeMessage[] = [];
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        received.push(message);
        traced.ack(message);
      });
      HOSTILE_ATTEMPT_HEADERS.forEach(([, headers], i) => {
        suite.fixture.admin.sendToQueue(queue, Buffer.from(`body-${i}`), { messageId: `m-${i}`, headers });
      });
      const count = HOSTILE_ATTEMPT_HEADERS.length;
      await eventually(`${count} deliveries`, () => (received.length === count ? true : undefined));
      await traced.cancel(consumerTag);
      const spans = await exportedSpans(suite.tracing, `process ${queue}`, count);
      HOSTILE_ATTEMPT_HEADERS.forEach(([what], i) => {
        const span = spans.find((s) => s.attributes['messaging.message.id'] === `m-${i}`);
        assert.ok(span, `${what}: a process span`);
        assertAttributes(span, {
          'tracebridge.messaging.rabbitmq.death_count': undefined,
          'tracebridge.messaging.rabbitmq.death_reason': undefined,
          'tracebridge.messaging.attempt': undefined,
          'tracebridge.messaging.settle.outcome': 'ack',
        });
      });
    });

    it('a valid traceparent sent as bytes is read, like a string', async () => {
      const queue = await suite.fixture.queue('bytes-traceparent');
      const { traced } = await suite.channel();
      const received: ConsumeMessage[] = [];
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        received.push(message);
        traced.ack(message);
      });
      suite.fixture.admin.sendToQueue(queue, Buffer.from('x'), {
        headers: { traceparent: Buffer.from(VALID_TRACEPARENT) },
      });
      await eventually('the delivery', () => (received.length === 1 ? true : undefined));
      await traced.cancel(consumerTag);
      const [span] = await exportedSpans(suite.tracing, `process ${queue}`);
      assert.equal(span?.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
      assert.equal(span?.parentSpanContext?.spanId, 'b7ad6b7169203331');
    });
  });
}
