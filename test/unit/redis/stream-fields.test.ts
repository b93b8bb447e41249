/**
 * Entry fields: tracebridge's fields are hidden from handlers without copying entries that have none, ids
 * give the enqueue time, XPENDING gives the delivery count.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { propagation } from '@opentelemetry/api';
import { deliveryCountOf, entryKey } from '../../../src/redis/delivery-count';
import { entryIdString, entryIdTimeMs } from '../../../src/redis/stream-entry-id';
import {
  contextFieldNames,
  fieldArguments,
  fieldString,
  flatFields,
  SCHEDULED_AT_FIELD,
  withoutFields,
} from '../../../src/redis/stream-fields';
import { setupTracing } from '../../helpers/tracing';

describe('stream fields', () => {
  afterEach(() => propagation.disable());

  it("the context fields are the registered propagator's, plus the scheduled-at field", () => {
    const tracing = setupTracing('b3-multi');
    const names = contextFieldNames();
    for (const name of ['x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', SCHEDULED_AT_FIELD])
      assert.ok(names.has(name), name);
    assert.equal(names.has('traceparent'), false);
    void tracing.shutdown();
  });

  it('withoutFields drops named fields (string or Buffer names) and returns the same array when none match', () => {
    const names = new Set(['traceparent', 'tracestate']);
    const plain = ['a', '1', 'b', '2'];
    assert.equal(withoutFields(plain, names), plain, 'no copy when nothing is removed');
    assert.deepEqual(
      withoutFields(['a', '1', 'traceparent', 'tp', 'tracestate', 'ts', 'b', '2'], names),
      plain,
    );
    const buffers = [Buffer.from('traceparent'), Buffer.from('tp'), Buffer.from('x'), Buffer.from([0xff])];
    assert.deepEqual(withoutFields(buffers, names), [Buffer.from('x'), Buffer.from([0xff])]);
  });

  it('flatFields reads arrays, Maps and objects; anything else is not fields', () => {
    assert.deepEqual(flatFields(['a', '1']), ['a', '1']);
    assert.deepEqual(flatFields(new Map([['a', '1']])), ['a', '1']);
    assert.deepEqual(flatFields({ a: '1' }), ['a', '1']);
    assert.equal(flatFields(null), undefined);
    assert.equal(flatFields('a'), undefined);
    assert.equal(flatFields(Buffer.from('a')), undefined);
  });

  it('fieldArguments flattens every input shape for XADD; fieldString reads a value', () => {
    assert.deepEqual(fieldArguments({ a: '1', b: 2 }), ['a', '1', 'b', 2]);
    assert.deepEqual(fieldArguments(new Map([['a', Buffer.from('x')]])), ['a', Buffer.from('x')]);
    assert.deepEqual(fieldArguments(['a', '1']), ['a', '1']);
    assert.equal(fieldString(['a', '1', SCHEDULED_AT_FIELD, Buffer.from('17')], SCHEDULED_AT_FIELD), '17');
    assert.equal(fieldString(['a'], 'a'), undefined);
  });
});

describe('entry ids and delivery counts', () => {
  it('the ms part of an id is its enqueue time; malformed ids have none', () => {
    assert.equal(entryIdTimeMs('1700000000123-7'), 1700000000123);
    assert.equal(entryIdTimeMs(`${'9'.repeat(15)}-0`), 999_999_999_999_999, 'fifteen digits, still exact');
    assert.equal(entryIdTimeMs('1-0'), 1);
    assert.equal(entryIdString(Buffer.from('1-0')), '1-0');
    for (const bad of [
      '',
      '-1',
      'abc-0',
      '0-0',
      '1700000000123',
      `${'9'.repeat(16)}-0`,
      '0x10-0',
      ' 12-0',
      '1e3-0',
    ])
      assert.equal(entryIdTimeMs(bad), undefined, bad);
  });

  it('reads the delivery count of an id from an extended XPENDING reply', () => {
    const reply = [
      ['1-0', 'w1', 10, 1],
      [Buffer.from('2-0'), 'w2', 5, 3],
    ];
    assert.equal(deliveryCountOf(reply, '2-0'), 3);
    assert.equal(deliveryCountOf(reply, '1-0'), 1);
    assert.equal(deliveryCountOf(reply, '3-0'), undefined);
    assert.equal(deliveryCountOf([['1-0', 'w', 1, 0]], '1-0'), undefined, 'a count of 0 is no delivery');
    assert.equal(deliveryCountOf(null, '1-0'), undefined);
    assert.equal(entryKey({ stream: 's', id: '1-0' }), 's\n1-0');
  });
});
