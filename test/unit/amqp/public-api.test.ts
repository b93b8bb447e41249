/**
 * The `tracebridge/amqp` entry point: its exports, and (checked by the compiler, `npm run lint`) that
 * `traceChannel` accepts the channels of both amqplib majors as their own declarations type them and
 * returns the very type it was given.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as amqplib010 from 'amqplib';
import type * as amqplib2 from 'amqplib2';
import * as amqp from '../../../src/amqp/index';
import { traceChannel } from '../../../src/amqp/index';

/** Fails to compile unless `A` and `B` are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

// Compile-time only: never called, so no broker is needed.
export function typeChecks(
  channel010: amqplib010.Channel,
  confirm010: amqplib010.ConfirmChannel,
  channel2: amqplib2.Channel,
  confirm2: amqplib2.ConfirmChannel,
): void {
  const traced010 = traceChannel(channel010);
  const tracedConfirm010 = traceChannel(confirm010, { setTimestamp: false });
  const traced2 = traceChannel(channel2);
  const tracedConfirm2 = traceChannel(confirm2, { incoming: 'link' });
  expectType<Equal<typeof traced010, amqplib010.Channel>>(true);
  expectType<Equal<typeof tracedConfirm010, amqplib010.ConfirmChannel>>(true);
  expectType<Equal<typeof traced2, amqplib2.Channel>>(true);
  expectType<Equal<typeof tracedConfirm2, amqplib2.ConfirmChannel>>(true);
  // And they are used as the channels they are.
  traced010.ackAll();
  tracedConfirm010.ackAll();
  traced2.ackAll();
  // The confirm callback stays part of the traced type.
  tracedConfirm2.publish('ex', 'rk', Buffer.alloc(0), {}, (error: unknown) => void error);
}

describe('tracebridge/amqp', () => {
  it('exports exactly its curated run-time API', () => {
    assert.deepEqual(Object.keys(amqp).sort(), [
      'DEFAULT_AMQP_TRACING_OPTIONS',
      'consumeDestination',
      'enqueueTimeMs',
      'pendingSettles',
      'publishDestination',
      'readDeliveryAttempt',
      'traceChannel',
    ]);
  });

  it('documents its defaults in a frozen object', () => {
    assert.ok(Object.isFrozen(amqp.DEFAULT_AMQP_TRACING_OPTIONS));
    assert.deepEqual(amqp.DEFAULT_AMQP_TRACING_OPTIONS, {
      incoming: 'parent',
      setTimestamp: true,
      maxPendingSettles: 10_000,
    });
  });

  it('reports nothing pending for an object it did not trace', () => {
    assert.equal(amqp.pendingSettles({}), 0);
  });
});
