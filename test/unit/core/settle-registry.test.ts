import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { TracebridgeConfigError } from '../../../src/core/errors';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { MessagingSpan } from '../../../src/core/messaging-span';
import { SettleRegistry } from '../../../src/core/settle-registry';
import { amqpHeadersCarrier } from '../../../src/propagation/amqp-headers-carrier';
import { countSpanEnds } from '../../helpers/span-end-counter';
import type { SpanEndCounter } from '../../helpers/span-end-counter';
import { assertAttributes, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
let counter: SpanEndCounter;
let telemetry: MessagingTelemetry;
beforeEach(() => {
  tracing = setupTracing('w3c');
  counter = countSpanEnds(tracing.provider);
  telemetry = new MessagingTelemetry({ system: 'rabbitmq', tracerProvider: counter.provider });
});
afterEach(async () => {
  assert.deepEqual(counter.misended(), [], 'every span ended exactly once');
  await tracing.shutdown();
});

function delivery(tag: number): MessagingSpan {
  return telemetry.startProcess({
    destination: `tag-${tag}`,
    carrier: amqpHeadersCarrier,
    headers: undefined,
    info: tag,
  });
}

function spanOf(tag: number) {
  return tracing.span(`process tag-${tag}`);
}

describe('SettleRegistry', () => {
  it('ack ends the span with status unset; a second settle is ignored', () => {
    const registry = new SettleRegistry<number>();
    registry.track(1, delivery(1));
    assert.equal(tracing.spans().length, 0, 'the span waits for the settle');
    assert.equal(registry.settle(1, { kind: 'ack' }), true);
    assert.equal(registry.settle(1, { kind: 'nack', requeue: false }), false);
    assert.equal(spanOf(1).status.code, SpanStatusCode.UNSET);
    assertAttributes(spanOf(1), { 'tracebridge.messaging.settle.outcome': 'ack' });
    assert.equal(registry.size, 0);
  });

  it('nack and reject end the span as errors and record requeue', () => {
    const registry = new SettleRegistry<number>();
    registry.track(1, delivery(1));
    registry.track(2, delivery(2));
    registry.settle(1, { kind: 'nack', requeue: true });
    registry.settle(2, { kind: 'reject', requeue: false });
    assert.equal(spanOf(1).status.code, SpanStatusCode.ERROR);
    assertAttributes(spanOf(1), {
      'tracebridge.messaging.settle.outcome': 'nack',
      'tracebridge.messaging.settle.requeue': true,
      'error.type': 'nack',
    });
    assertAttributes(spanOf(2), {
      'tracebridge.messaging.settle.outcome': 'reject',
      'tracebridge.messaging.settle.requeue': false,
    });
  });

  it('settleWhere settles every matching delivery (AMQP multiple=true)', () => {
    const registry = new SettleRegistry<number>();
    for (let tag = 1; tag <= 5; tag++) registry.track(tag, delivery(tag));
    assert.equal(
      registry.settleWhere((tag) => tag <= 3, { kind: 'ack' }),
      3,
    );
    assert.equal(registry.size, 2);
    assert.deepEqual(
      tracing
        .spans()
        .map((s) => s.name)
        .sort(),
      ['process tag-1', 'process tag-2', 'process tag-3'],
    );
    registry.releaseAll({ kind: 'closed' });
  });

  it('releaseAll ends every pending span (channel closed, consumer cancelled) and empties the registry', () => {
    const registry = new SettleRegistry<number>();
    for (let tag = 1; tag <= 3; tag++) registry.track(tag, delivery(tag));
    registry.settle(2, { kind: 'ack' });
    assert.equal(registry.releaseAll({ kind: 'closed', reason: 'channel closed by broker' }), 2);
    assert.equal(registry.size, 0);
    assert.equal(spanOf(1).status.code, SpanStatusCode.ERROR);
    assert.equal(spanOf(1).status.message, 'closed: channel closed by broker');
    assert.equal(spanOf(2).status.code, SpanStatusCode.UNSET);
    assert.equal(registry.settle(1, { kind: 'ack' }), false, 'a settle after release is ignored');
  });

  it('stays within maxPending by evicting the oldest delivery', () => {
    const registry = new SettleRegistry<number>({ maxPending: 3 });
    for (let tag = 1; tag <= 5; tag++) registry.track(tag, delivery(tag));
    assert.equal(registry.size, 3);
    assertAttributes(spanOf(1), { 'tracebridge.messaging.settle.outcome': 'evicted' });
    assertAttributes(spanOf(2), { 'tracebridge.messaging.settle.outcome': 'evicted' });
    assert.equal(registry.settle(1, { kind: 'ack' }), false);
    assert.equal(registry.settle(5, { kind: 'ack' }), true);
    registry.releaseAll({ kind: 'cancelled' });
  });

  it('a delivery tracked again under the same key evicts the earlier span', () => {
    const registry = new SettleRegistry<number>();
    const first = delivery(7);
    registry.track(7, first);
    registry.track(7, delivery(8));
    assert.equal(first.ended, true);
    assert.equal(registry.size, 1);
    registry.releaseAll({ kind: 'closed' });
  });

  it('holds 10,000 deliveries settled in random order and ends with nothing held', () => {
    const registry = new SettleRegistry<number>();
    const tags = Array.from({ length: 10_000 }, (_, i) => i + 1);
    for (const tag of tags)
      registry.track(
        tag,
        telemetry.startProcess({
          destination: 'bulk',
          carrier: amqpHeadersCarrier,
          headers: undefined,
          info: tag,
        }),
      );
    for (let i = tags.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [tags[i], tags[j]] = [tags[j]!, tags[i]!];
    }
    for (const tag of tags) assert.equal(registry.settle(tag, { kind: 'ack' }), true);
    assert.equal(registry.size, 0);
    assert.equal(tracing.spans().length, 10_000);
  });

  it('refuses a maxPending that is not a positive integer, at setup', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => new SettleRegistry({ maxPending: bad }),
        (e) => e instanceof TracebridgeConfigError && e.code === 'TRACEBRIDGE_INVALID_OPTION',
      );
    }
  });
});
