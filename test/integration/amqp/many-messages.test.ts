/**
 * 10,000 messages through the real RabbitMQ with amqplib 0.10 and 2.x, prefetch 50, each window of 50
 * deliveries settled in a shuffled order with a mix of ack, nack and reject: 10,000 process spans, every
 * one ended exactly once with its own outcome and parented to its own publish span, and the channel's settle
 * tracker empty at the end. The publisher honours `publish`'s backpressure signal and waits for `'drain'`.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type { Channel, ConsumeMessage } from 'amqplib';
import { pendingSettles } from '../../../src/amqp/index';
import { AMQP_CLIENTS, eventually } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';

const MESSAGES = 10_000;
const PREFETCH = 50;

type Outcome = 'ack' | 'nack' | 'reject';

/** A small seeded generator (mulberry32), so a failing order can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function publishAll(channel: Channel, queue: string): Promise<void> {
  for (let i = 0; i < MESSAGES; i++) {
    if (!channel.sendToQueue(queue, Buffer.from(String(i)), { messageId: `m-${i}` }))
      await once(channel, 'drain');
  }
}

for (const client of AMQP_CLIENTS) {
  describe(`10,000 messages, prefetch ${PREFETCH}, settled in random order (${client.name})`, () => {
    const suite = amqpSuite(client);

    it('gives every message one process span, ended once with its outcome, parented to its publish', async () => {
      const queue = await suite.fixture.queue('many');
      const { traced: publisher } = await suite.channel();
      const { traced: consumer } = await suite.channel();
      await consumer.prefetch(PREFETCH);
      const seed = Date.now();
      const next = random(seed);
      const outcomes = new Map<string, Outcome>();
      let window: ConsumeMessage[] = [];
      const { consumerTag } = await consumer.consume(queue, (message) => {
        if (message === null) return;
        window.push(message);
        if (window.length < PREFETCH) return;
        // The prefetch window is full: settle it in a random order.
        const settling = shuffle(window, next);
        window = [];
        for (const m of settling) {
          const roll = next();
          const outcome: Outcome = roll < 0.8 ? 'ack' : roll < 0.9 ? 'nack' : 'reject';
          outcomes.set(m.properties.messageId as string, outcome);
          if (outcome === 'ack') consumer.ack(m);
          else if (outcome === 'nack') consumer.nack(m, false, false);
          else consumer.reject(m, false);
        }
      });

      await publishAll(publisher, queue);
      await eventually(`${MESSAGES} settled deliveries (seed ${seed})`, () =>
        outcomes.size === MESSAGES ? true : undefined,
      );
      await consumer.cancel(consumerTag);
      assert.equal(pendingSettles(consumer), 0, 'the settle tracker is empty');

      const spans = suite.tracing.spans();
      const publishById = new Map(
        spans
          .filter((s) => s.name === `publish ${queue}`)
          .map((s) => [s.attributes['messaging.message.id'], s]),
      );
      const processSpans = spans.filter((s) => s.name === `process ${queue}`);
      assert.equal(publishById.size, MESSAGES);
      assert.equal(processSpans.length, MESSAGES, `seed ${seed}`);
      const processIds = new Set<unknown>();
      for (const span of processSpans) {
        const id = span.attributes['messaging.message.id'] as string;
        processIds.add(id);
        const publishSpan = publishById.get(id);
        assert.ok(publishSpan, `${id}: its publish span`);
        assert.equal(span.spanContext().traceId, publishSpan.spanContext().traceId, `${id}: same trace`);
        assert.equal(span.parentSpanContext?.spanId, publishSpan.spanContext().spanId, `${id}: parent`);
        assert.equal(
          span.attributes['tracebridge.messaging.settle.outcome'],
          outcomes.get(id),
          `${id}: outcome`,
        );
      }
      assert.equal(processIds.size, MESSAGES, 'one process span per message');
      const ends = suite.counter.started.filter((s) => s.name === `process ${queue}`).map((s) => s.ends);
      assert.equal(ends.length, MESSAGES);
      assert.ok(
        ends.every((n) => n === 1),
        'every process span ended exactly once',
      );
    });
  });
}
