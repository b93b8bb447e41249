/**
 * SettleRegistry.endUnsettled: a delivery whose processing failed and that stays unsettled on the broker
 * (a Redis stream entry left pending) ends with the error its handler recorded, and no settle outcome.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import { SettleRegistry } from '../../../src/core/settle-registry';
import { redisStreamFieldsCarrier } from '../../../src/propagation/redis-stream-fields-carrier';
import { countSpanEnds } from '../../helpers/span-end-counter';
import type { SpanEndCounter } from '../../helpers/span-end-counter';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
let counter: SpanEndCounter;
let telemetry: MessagingTelemetry;
beforeEach(() => {
  tracing = setupTracing('w3c');
  counter = countSpanEnds(tracing.provider);
  telemetry = new MessagingTelemetry({ system: 'redis', tracerProvider: counter.provider });
});
afterEach(async () => {
  assert.deepEqual(counter.misended(), [], 'every span ended exactly once');
  await tracing.shutdown();
});

function entrySpan(id: string) {
  return telemetry.startProcess({
    destination: `stream-${id}`,
    carrier: redisStreamFieldsCarrier,
    headers: undefined,
    info: id,
  });
}

describe('SettleRegistry.endUnsettled', () => {
  it('ends the span with the error already on it and records no settle outcome', () => {
    const registry = new SettleRegistry<string>();
    const span = entrySpan('1-0');
    registry.track('1-0', span);
    assert.throws(() =>
      span.run(() => {
        throw new TypeError('job failed');
      }),
    );
    assert.equal(tracing.spans().length, 0, 'a recorded error does not end the span');

    assert.equal(registry.endUnsettled('1-0'), true);
    const exported = tracing.span('process stream-1-0');
    assert.equal(exported.status.code, SpanStatusCode.ERROR);
    assert.equal(exported.status.message, 'job failed');
    assert.equal(exported.attributes['error.type'], 'TypeError');
    assert.equal(exported.attributes['tracebridge.messaging.settle.outcome'], undefined);
    assert.equal(registry.size, 0);
  });

  it('returns false for a key that is not pending, and a later settle or release finds nothing', () => {
    const registry = new SettleRegistry<string>();
    assert.equal(registry.endUnsettled('nope'), false);
    registry.track('2-0', entrySpan('2-0'));
    assert.equal(registry.endUnsettled('2-0'), true);
    assert.equal(registry.endUnsettled('2-0'), false);
    assert.equal(registry.settle('2-0', { kind: 'ack' }), false);
    assert.equal(registry.releaseAll({ kind: 'closed' }), 0);
    assert.equal(tracing.span('process stream-2-0').status.code, SpanStatusCode.UNSET);
  });
});
