/**
 * Reading stream entries out of XREADGROUP / XAUTOCLAIM / XCLAIM replies in every shape ioredis hands them
 * over (RESP2 arrays, RESP3 maps flattened or as objects or Maps, strings or Buffers), and skipping, never
 * throwing on, anything else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoClaimCursor, claimReplyEntries, readReplyEntries } from '../../../src/redis/stream-reply';

const ENTRIES = [
  ['1700000000000-0', ['a', '1', 'traceparent', 'tp']],
  ['1700000000001-0', ['b', '2']],
];
const EXPECTED = [
  { key: 's', stream: 's', id: '1700000000000-0', fields: ['a', '1', 'traceparent', 'tp'] },
  { key: 's', stream: 's', id: '1700000000001-0', fields: ['b', '2'] },
];

describe('readReplyEntries', () => {
  it('RESP2 / legacy mapping: [[stream, entries], ...]', () => {
    assert.deepEqual(readReplyEntries([['s', ENTRIES]]), { entries: EXPECTED, skipped: 0 });
  });

  it("RESP3 through call under 'legacy': the map flattened to [stream, entries, ...]", () => {
    const reply = ['s', ENTRIES, 't', [['1-0', ['c', '3']]]];
    const { entries, skipped } = readReplyEntries(reply);
    assert.equal(skipped, 0);
    assert.deepEqual(
      entries.map((e) => `${e.stream} ${e.id}`),
      ['s 1700000000000-0', 's 1700000000001-0', 't 1-0'],
    );
  });

  it("RESP3 under replyMapping 'resp3' (an object) and as a Map", () => {
    assert.deepEqual(readReplyEntries({ s: ENTRIES }).entries, EXPECTED);
    assert.deepEqual(readReplyEntries(new Map([['s', ENTRIES]])).entries, EXPECTED);
  });

  it("strips the reading client's keyPrefix from stream names, in strings and Buffers, once", () => {
    assert.deepEqual(readReplyEntries([['app:s', ENTRIES]], 'app:').entries, EXPECTED);
    assert.deepEqual(readReplyEntries({ 'app:s': ENTRIES }, 'app:').entries, EXPECTED);
    const [fromBuffer] = readReplyEntries([[Buffer.from('app:s'), ENTRIES]], 'app:').entries;
    assert.deepEqual(fromBuffer?.key, Buffer.from('s'), 'a Buffer key stays a Buffer, without the prefix');
    assert.equal(fromBuffer?.stream, 's');
    const [twice] = readReplyEntries([['app:app:s', ENTRIES]], 'app:').entries;
    assert.equal(twice?.stream, 'app:s', 'a stream whose own name starts like the prefix keeps it');
    const [other] = readReplyEntries([['other:s', ENTRIES]], 'app:').entries;
    assert.equal(other?.stream, 'other:s', 'a name without the prefix is left as it is');
  });

  it('Buffer replies keep the raw key for commands and decode the id and the name', () => {
    const key = Buffer.from('s');
    const reply = [[key, [[Buffer.from('5-1'), [Buffer.from('f'), Buffer.from([0xff])]]]]];
    const [entry] = readReplyEntries(reply).entries;
    assert.equal(entry?.key, key);
    assert.equal(entry?.stream, 's');
    assert.equal(entry?.id, '5-1');
    assert.deepEqual(entry?.fields, [Buffer.from('f'), Buffer.from([0xff])]);
  });

  it('entry fields given as a Map or an object are flattened', () => {
    const reply = {
      s: [
        ['1-0', new Map([['a', '1']])],
        ['2-0', { b: '2' }],
      ],
    };
    assert.deepEqual(
      readReplyEntries(reply).entries.map((e) => e.fields),
      [
        ['a', '1'],
        ['b', '2'],
      ],
    );
  });

  it('null (a timed-out read) has no entries; malformed parts are skipped and counted, never thrown', () => {
    assert.deepEqual(readReplyEntries(null), { entries: [], skipped: 0 });
    assert.deepEqual(readReplyEntries(undefined), { entries: [], skipped: 0 });
    assert.equal(readReplyEntries(42).skipped, 1);
    assert.equal(readReplyEntries('text').skipped, 1);
    assert.equal(readReplyEntries([['s', 'not entries']]).skipped, 1);
    const mixed = readReplyEntries([['s', [['1-0', null], [null, ['a']], 'x', ['2-0', ['a', '1']]]], 7]);
    assert.deepEqual(
      mixed.entries.map((e) => e.id),
      ['2-0'],
    );
    assert.equal(mixed.skipped, 4);
  });
});

describe('claimReplyEntries and autoClaimCursor', () => {
  it('XAUTOCLAIM: [cursor, entries, deleted ids]', () => {
    const reply = ['1700000000002-0', ENTRIES, ['9-0']];
    assert.deepEqual(claimReplyEntries('s', reply).entries, EXPECTED);
    assert.equal(autoClaimCursor(reply), '1700000000002-0');
    assert.equal(autoClaimCursor([Buffer.from('0-0'), [], []]), '0-0');
  });

  it('XCLAIM: the entries alone', () => {
    assert.deepEqual(claimReplyEntries('s', ENTRIES).entries, EXPECTED);
  });

  it('JUSTID replies carry no fields: skipped', () => {
    assert.deepEqual(claimReplyEntries('s', ['0-0', ['1-0', '2-0'], []]), { entries: [], skipped: 2 });
    assert.deepEqual(claimReplyEntries('s', ['1-0', '2-0']).entries, []);
  });

  it('garbage: no entries, a cursor that ends the scan', () => {
    assert.deepEqual(claimReplyEntries('s', null), { entries: [], skipped: 0 });
    assert.equal(claimReplyEntries('s', { not: 'an array' }).skipped, 1);
    assert.equal(autoClaimCursor(null), '0-0');
  });
});
