/**
 * The per-channel tracker of unsettled deliveries: grouped by consumer so a cancel ends exactly that
 * consumer's spans; `multiple` settles every tag up to one across consumers; every span ends exactly once.
 * Real spans from the core (an in-memory SDK); no broker is involved in this logic.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { DeliveryTracker } from '../../../src/amqp/delivery-tracker';
import { TracebridgeConfigError } from '../../../src/core/errors';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { MessagingSpan } from '../../../src/core/messaging-span';
import { amqpHeadersCarrier } from '../../../src/propagation/amqp-headers-carrier';
import { countSpanEnds } from '../../helpers/span-end-counter';
import type { SpanEndCounter } from '../../helpers/span-end-counter';
import { assertAttributes, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
let counter: SpanEndCounter;
let telemetry: MessagingTelemetry;
let tracker: DeliveryTracker;

beforeEach(() => {
  tracing = setupTracing('w3c');
  counter = countSpanEnds(tracing.provider);
  telemetry = new MessagingTelemetry({ system: 'rabbitmq', tracerProvider: counter.provider });
  tracker = new DeliveryTracker(undefined);
});
afterEach(async () => {
  assert.equal(tracker.size, 0, 'nothing is left tracked');
  assert.deepEqual(counter.misended(), [], 'every span ended exactly once');
  await tracing.shutdown();
});

function deliver(consumerTag: string | undefined, tag: number): MessagingSpan {
  const span = telemetry.startProcess({
    destination: `${consumerTag ?? 'get'}-${tag}`,
    carrier: amqpHeadersCarrier,
    headers: undefined,
    info: tag,
  });
  tracker.track(consumerTag, tag, span);
  return span;
}

const outcomeOf = (consumerTag: string | undefined, tag: number) =>
  tracing.span(`process ${consumerTag ?? 'get'}-${tag}`).attributes['tracebridge.messaging.settle.outcome'];

describe('DeliveryTracker', () => {
  it('settles one delivery of whichever consumer or pull it came from', () => {
    deliver('c1', 1);
    deliver('c2', 2);
    deliver(undefined, 3);
    assert.equal(tracker.size, 3);
    assert.equal(tracker.settleOne(2, { kind: 'ack' }), true);
    assert.equal(tracker.settleOne(3, { kind: 'reject', requeue: false }), true);
    assert.equal(tracker.settleOne(1, { kind: 'ack' }), true);
    assert.equal(tracker.settleOne(1, { kind: 'ack' }), false, 'a second settle finds nothing');
    assert.equal(outcomeOf('c2', 2), 'ack');
    assert.equal(outcomeOf(undefined, 3), 'reject');
    assertAttributes(tracing.span('process get-3'), { 'tracebridge.messaging.settle.requeue': false });
    assert.equal(tracing.span('process get-3').status.code, SpanStatusCode.ERROR);
  });

  it('multiple settles every tag up to the given one, across consumers', () => {
    for (const [consumer, tag] of [
      ['c1', 1],
      ['c2', 2],
      ['c1', 3],
      ['c2', 4],
    ] as const)
      deliver(consumer, tag);
    assert.equal(tracker.settleUpTo(3, { kind: 'nack', requeue: true }), 3);
    assert.equal(tracker.size, 1);
    assert.equal(outcomeOf('c1', 3), 'nack');
    assert.equal(tracker.settleUpTo(0, { kind: 'ack' }), 1, 'tag 0 with multiple means every delivery');
  });

  it('settleAll settles every pending delivery', () => {
    deliver('c1', 1);
    deliver(undefined, 2);
    deliver('c2', 3);
    assert.equal(tracker.settleAll({ kind: 'ack' }), 3);
  });

  it('a cancelled consumer’s spans end as cancelled; other consumers’ stay pending', () => {
    deliver('c1', 1);
    deliver('c2', 2);
    deliver('c1', 3);
    assert.equal(tracker.releaseConsumer('c1', { kind: 'cancelled', reason: 'test' }), 2);
    assert.equal(tracker.releaseConsumer('c1', { kind: 'cancelled' }), 0, 'the consumer is forgotten');
    assert.equal(outcomeOf('c1', 3), 'cancelled');
    assert.equal(tracker.size, 1);
    assert.equal(tracker.settleOne(1, { kind: 'ack' }), false, 'an ack after the cancel changes nothing');
    tracker.settleOne(2, { kind: 'ack' });
  });

  it('a consumer started again under a cancelled one’s tag is a new group, whichever was looked up last', () => {
    deliver('c1', 1);
    assert.equal(tracker.releaseConsumer('c1', { kind: 'cancelled' }), 1);
    deliver('c1', 2);
    deliver('c2', 3);
    assert.equal(tracker.settleOne(2, { kind: 'ack' }, 'c1'), true, 'found in the new group');
    assert.equal(tracker.releaseAll({ kind: 'closed' }), 1);
    deliver('c2', 4);
    assert.equal(tracker.releaseConsumer('c2', { kind: 'cancelled' }), 1, 'only the new delivery');
    assert.equal(outcomeOf('c1', 1), 'cancelled');
    assert.equal(outcomeOf('c1', 2), 'ack');
    assert.equal(outcomeOf('c2', 3), 'closed');
    assert.equal(outcomeOf('c2', 4), 'cancelled');
  });

  it('a closed channel ends everything as closed', () => {
    deliver('c1', 1);
    deliver(undefined, 2);
    assert.equal(tracker.releaseAll({ kind: 'closed' }), 2);
    assert.equal(outcomeOf('c1', 1), 'closed');
    assert.equal(tracing.span('process c1-1').status.code, SpanStatusCode.ERROR);
  });

  it('is bounded per consumer: past the bound the oldest span ends as evicted', () => {
    tracker = new DeliveryTracker(2);
    deliver('c1', 1);
    deliver('c1', 2);
    deliver('c1', 3);
    assert.equal(outcomeOf('c1', 1), 'evicted');
    assert.equal(tracker.size, 2);
    tracker.settleAll({ kind: 'ack' });
  });

  it('looks first under the consumer the delivery names, and finds it elsewhere when that is wrong', () => {
    deliver('c1', 1);
    deliver('c2', 2);
    deliver(undefined, 3);
    assert.equal(tracker.settleOne(1, { kind: 'ack' }, 'c1'), true);
    assert.equal(tracker.settleOne(2, { kind: 'ack' }, 'c1'), true, 'tracked under c2');
    assert.equal(tracker.settleOne(3, { kind: 'ack' }, 'c9'), true, 'a pulled message');
    assert.equal(tracker.settleOne(3, { kind: 'ack' }, 'c1'), false);
    assert.equal(tracker.size, 0);
    assert.deepEqual(
      [outcomeOf('c1', 1), outcomeOf('c2', 2), outcomeOf(undefined, 3)],
      ['ack', 'ack', 'ack'],
    );
  });

  it('counts what waits through evictions, repeated tags, settles and releases', () => {
    tracker = new DeliveryTracker(2);
    const sizes: number[] = [];
    deliver('c1', 1);
    deliver('c1', 2);
    deliver('c1', 3); // evicts tag 1
    sizes.push(tracker.size);
    // The same tag again (a redelivery after a settle the tracker did not see) replaces the span it held.
    deliver('c2', 7);
    deliver('c2', 7);
    deliver(undefined, 9);
    sizes.push(tracker.size);
    tracker.settleOne(9, { kind: 'ack' });
    tracker.settleOne(9, { kind: 'ack' });
    sizes.push(tracker.size);
    tracker.settleUpTo(2, { kind: 'ack' });
    sizes.push(tracker.size);
    tracker.releaseConsumer('c2', { kind: 'cancelled' });
    sizes.push(tracker.size);
    deliver(undefined, 10);
    tracker.releaseAll({ kind: 'closed' });
    sizes.push(tracker.size);
    assert.deepEqual(sizes, [2, 4, 3, 2, 1, 0]);
    assert.equal(tracker.settleOne(3, { kind: 'ack' }), false, 'released deliveries are gone');
  });

  it('refuses a bound that is not a positive integer, when created', () => {
    for (const bound of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new DeliveryTracker(bound), TracebridgeConfigError);
    }
  });
});
