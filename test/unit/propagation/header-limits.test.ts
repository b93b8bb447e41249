import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BAGGAGE_MAX_BYTES,
  BAGGAGE_MAX_MEMBERS,
  limitBaggage,
  limitTraceState,
  selectHeaderValue,
} from '../../../src/propagation/header-limits';

const VALID = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('selectHeaderValue: traceparent', () => {
  it('accepts a version-00 value of exactly 55 characters', () => {
    assert.equal(selectHeaderValue('traceparent', VALID), VALID);
    assert.equal(selectHeaderValue('traceparent', ` ${VALID}\t`), VALID, 'optional whitespace is trimmed');
  });

  it('refuses version 00 with any other length, version ff, all-zero ids and uppercase hex', () => {
    for (const bad of [
      `${VALID}-extra`,
      VALID.slice(0, 54),
      `ff${VALID.slice(2)}`,
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      VALID.toUpperCase(),
      '',
    ]) {
      assert.equal(selectHeaderValue('traceparent', bad), undefined, bad);
    }
  });

  it('accepts a future version with extra fields, within bounds', () => {
    const future = `cc${VALID.slice(2)}-what-the-future-holds`;
    assert.equal(selectHeaderValue('traceparent', future), future);
    assert.equal(selectHeaderValue('traceparent', `cc${VALID.slice(2)}-${'x'.repeat(600)}`), undefined);
  });

  it('takes the first valid value of an array, and never joins them', () => {
    const other = '00-11111111111111111111111111111111-2222222222222222-00';
    assert.equal(selectHeaderValue('traceparent', ['garbage', Buffer.from(other), VALID]), other);
    assert.equal(selectHeaderValue('traceparent', [VALID, other]), VALID);
    assert.equal(selectHeaderValue('traceparent', ['x', 'y']), undefined);
  });

  it('decodes UTF-8 bytes and refuses non-UTF-8 or oversized bytes before decoding them', () => {
    assert.equal(selectHeaderValue('traceparent', Buffer.from(VALID)), VALID);
    const invalidUtf8 = Buffer.concat([
      Buffer.from(VALID.slice(0, 50)),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x80]),
    ]);
    assert.equal(selectHeaderValue('traceparent', invalidUtf8), undefined);
    assert.equal(selectHeaderValue('traceparent', Buffer.alloc(1024 * 1024, 0x61)), undefined);
    assert.equal(selectHeaderValue('traceparent', new Uint8Array(Buffer.from(VALID))), VALID);
  });

  it('ignores values of any other type', () => {
    for (const value of [42, true, null, undefined, { traceparent: VALID }, [[VALID]], Symbol('x')]) {
      assert.equal(selectHeaderValue('traceparent', value), undefined, typeof value);
    }
  });
});

describe('selectHeaderValue: tracestate', () => {
  const members = (n: number, width = 5) => Array.from({ length: n }, (_, i) => `k${i}=${'v'.repeat(width)}`);

  it('keeps a value within 32 members and 512 characters as it is', () => {
    const value = members(32).join(',');
    assert.equal(selectHeaderValue('tracestate', value), value);
  });

  it('drops the whole value past 32 members', () => {
    assert.equal(limitTraceState(members(33).join(',')), undefined);
  });

  it('drops whole members when too long: long ones first, then from the end', () => {
    const long = `big=${'x'.repeat(200)}`;
    const value = [...members(10, 30), long].join(',');
    const limited = limitTraceState(value);
    assert.ok(limited !== undefined && limited.length <= 512);
    assert.ok(!limited.includes('big='), 'the member over 128 characters went first');
    const many = members(20, 40).join(',');
    const trimmed = limitTraceState(many)!;
    assert.ok(trimmed.length <= 512);
    for (const member of trimmed.split(','))
      assert.ok(many.split(',').includes(member), 'never cut mid-member');
    assert.equal(trimmed.split(',')[0], 'k0=' + 'v'.repeat(40), 'members are dropped from the end');
  });
});

describe('selectHeaderValue: baggage', () => {
  it(`keeps at most ${BAGGAGE_MAX_MEMBERS} members and ${BAGGAGE_MAX_BYTES} bytes, by whole members`, () => {
    const many = Array.from({ length: 100 }, (_, i) => `k${i}=v${i}`).join(',');
    assert.equal(limitBaggage(many)!.split(',').length, BAGGAGE_MAX_MEMBERS);
    const big = Array.from({ length: 10 }, (_, i) => `k${i}=${'é'.repeat(500)}`).join(',');
    const limited = limitBaggage(big)!;
    assert.ok(Buffer.byteLength(limited) <= BAGGAGE_MAX_BYTES);
    for (const member of limited.split(',')) assert.ok(big.split(',').includes(member));
    assert.equal(limited.split(',').length, 8, 'each member is 1,003 bytes: 8 fit in 8,192');
  });
});

describe('selectHeaderValue: b3, jaeger and other keys', () => {
  it('bounds and checks the B3 and Jaeger headers', () => {
    assert.equal(
      selectHeaderValue('b3', '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1'),
      '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1',
    );
    assert.equal(selectHeaderValue('b3', '0'), '0');
    assert.equal(selectHeaderValue('b3', 'not-b3!'), undefined);
    assert.equal(selectHeaderValue('x-b3-traceid', 'a'.repeat(33)), undefined);
    assert.equal(selectHeaderValue('x-b3-sampled', 'true'), 'true');
    assert.equal(
      selectHeaderValue('uber-trace-id', '9d2a4f2c1b5e6d7f:1b5e6d7f9d2a4f2c:0:1'),
      '9d2a4f2c1b5e6d7f:1b5e6d7f9d2a4f2c:0:1',
    );
    assert.equal(selectHeaderValue('uber-trace-id', 'x'.repeat(161)), undefined);
  });

  it('bounds any other key at 4 KiB', () => {
    assert.equal(selectHeaderValue('uberctx-user', 'alice'), 'alice');
    assert.equal(selectHeaderValue('uberctx-user', 'a'.repeat(4097)), undefined);
  });
});
