/**
 * Attempts from `redelivered`, `x-death` and `x-delivery-count`, including hostile headers: any type, huge
 * arrays, entries of the wrong shape. Nothing throws; what does not parse counts as absent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readDeliveryAttempt } from '../../../src/amqp/delivery-attempt';

const death = (count: unknown, reason: unknown = 'rejected') => ({
  count,
  reason,
  queue: 'orders',
  exchange: '',
  'routing-keys': ['orders'],
  time: { '!': 'timestamp', value: 1_700_000_000 },
});

describe('readDeliveryAttempt', () => {
  it('a first delivery is attempt 1', () => {
    assert.deepEqual(readDeliveryAttempt(false, undefined), {
      redelivered: false,
      deathCount: undefined,
      deathReason: undefined,
      attempt: 1,
    });
  });

  it('a redelivery is attempt 2', () => {
    assert.deepEqual(readDeliveryAttempt(true, {}), {
      redelivered: true,
      deathCount: undefined,
      deathReason: undefined,
      attempt: 2,
    });
  });

  it('reads the most recent x-death entry (RabbitMQ keeps it first)', () => {
    const headers = { 'x-death': [death(3, 'expired'), death(3, 'rejected')] };
    assert.deepEqual(readDeliveryAttempt(false, headers), {
      redelivered: false,
      deathCount: 3,
      deathReason: 'expired',
      attempt: 4,
    });
  });

  it('a redelivery keeps its flag when x-delivery-count says 0', () => {
    const attempt = readDeliveryAttempt(true, { 'x-delivery-count': 0 });
    assert.equal(attempt.redelivered, true);
    assert.equal(attempt.attempt, 1);
  });

  it('counts quorum-queue redeliveries from x-delivery-count', () => {
    const attempt = readDeliveryAttempt(true, { 'x-delivery-count': 4, 'x-death': [death(1)] });
    assert.equal(attempt.attempt, 1 + 1 + 4);
  });

  const hostile: [string, unknown][] = [
    ['x-death a string', { 'x-death': 'rejected' }],
    ['x-death a number', { 'x-death': 7 }],
    ['x-death null', { 'x-death': null }],
    ['x-death a table', { 'x-death': { count: 2 } }],
    ['x-death an empty array', { 'x-death': [] }],
    ['x-death entries of the wrong type', { 'x-death': ['x', 1, null] }],
    ['a nested array entry', { 'x-death': [[death(2)]] }],
    ['count a string', { 'x-death': [death('2')] }],
    ['count negative', { 'x-death': [death(-1)] }],
    ['count fractional', { 'x-death': [death(1.5)] }],
    ['count beyond 2^53', { 'x-death': [death(2 ** 60)] }],
    ['x-delivery-count a Buffer', { 'x-delivery-count': Buffer.from('3') }],
    ['headers a string', 'x-death'],
    ['headers null', null],
  ];
  for (const [what, headers] of hostile) {
    it(`ignores ${what}`, () => {
      const attempt = readDeliveryAttempt(false, headers);
      assert.equal(attempt.deathCount, undefined);
      assert.equal(attempt.attempt, 1);
    });
  }

  it('reads only the first entry of a huge x-death array', () => {
    const entries = Array.from({ length: 100_000 }, () => death(1));
    entries[0] = death(5, 'maxlen');
    const attempt = readDeliveryAttempt(false, { 'x-death': entries });
    assert.equal(attempt.deathCount, 5);
    assert.equal(attempt.deathReason, 'maxlen');
  });

  it('drops a reason that is not a short string, keeping the count', () => {
    for (const reason of ['r'.repeat(65), '', 42, Buffer.from('rejected'), { text: 'x' }]) {
      const attempt = readDeliveryAttempt(false, { 'x-death': [death(1, reason)] });
      assert.equal(attempt.deathReason, undefined);
      assert.equal(attempt.deathCount, 1);
    }
  });

  it('ignores x-death inherited from a prototype', () => {
    const headers = Object.create({ 'x-death': [death(9)] }) as object;
    assert.equal(readDeliveryAttempt(false, headers).deathCount, undefined);
  });

  it('ignores a redelivered flag that is not true', () => {
    assert.equal(readDeliveryAttempt('true', {}).redelivered, false);
    assert.equal(readDeliveryAttempt(1, {}).attempt, 1);
  });
});
