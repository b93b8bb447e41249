/**
 * The tracestate and baggage limits hand a list that is already within them back as it is, without
 * splitting it: the result must be the one the split-trim-join path gives, at and around every bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BAGGAGE_MAX_BYTES,
  BAGGAGE_MAX_MEMBERS,
  limitBaggage,
  limitTraceState,
  TRACESTATE_MAX_LENGTH,
  TRACESTATE_MAX_MEMBERS,
} from '../../../src/propagation/header-limits';

/** The limits as written before the shortcut, independently of the library: the oracle. */
function members(raw: string): string[] {
  return raw
    .split(',')
    .map((m) => m.replace(/^[ \t]+/, '').replace(/[ \t]+$/, ''))
    .filter((m) => m.length > 0);
}
const joined = (list: string[]) => list.reduce((sum, m) => sum + m.length, 0) + Math.max(0, list.length - 1);

function expectedTraceState(raw: string): string | undefined {
  const all = members(raw);
  if (all.length === 0 || all.length > TRACESTATE_MAX_MEMBERS) return undefined;
  let kept = all;
  if (joined(kept) > TRACESTATE_MAX_LENGTH) kept = kept.filter((m) => m.length <= 128);
  while (kept.length > 0 && joined(kept) > TRACESTATE_MAX_LENGTH) kept = kept.slice(0, -1);
  return kept.length > 0 ? kept.join(',') : undefined;
}

function expectedBaggage(raw: string): string | undefined {
  let kept = members(raw).slice(0, BAGGAGE_MAX_MEMBERS);
  while (kept.length > 0 && Buffer.byteLength(kept.join(',')) > BAGGAGE_MAX_BYTES) kept = kept.slice(0, -1);
  return kept.length > 0 ? kept.join(',') : undefined;
}

/** Lists of `count` members of `width` characters of `unit`, joined by `separator`. */
function list(count: number, width: number, unit = 'v', separator = ','): string {
  return Array.from({ length: count }, (_, i) => `k${i}=${unit.repeat(width)}`).join(separator);
}

describe('tracestate and baggage: a list within the limits is handed back as it is', () => {
  it('tracestate: at, below and above 32 members and 512 characters', () => {
    const values: string[] = [];
    for (const count of [1, 2, 31, 32, 33])
      for (const width of [1, 5, 10, 11, 12, 13, 20, 130]) values.push(list(count, width));
    // 512 characters exactly, and 513: one member stretched to the bound.
    const base = list(31, 10);
    values.push(`${base},z=${'w'.repeat(TRACESTATE_MAX_LENGTH - base.length - 3)}`);
    values.push(`${base},z=${'w'.repeat(TRACESTATE_MAX_LENGTH - base.length - 2)}`);
    for (const value of values) {
      assert.equal(
        limitTraceState(value),
        expectedTraceState(value),
        `${value.length}: ${value.slice(0, 40)}`,
      );
    }
    const within = list(32, 5);
    assert.equal(limitTraceState(within), within);
  });

  it('baggage: at, below and above 64 members and 8192 bytes, in ASCII and in multibyte text', () => {
    const values: string[] = [];
    for (const count of [1, 2, 63, 64, 65])
      for (const width of [1, 40, 100, 126, 127, 128, 200]) values.push(list(count, width));
    for (const width of [10, 42, 43, 44, 60]) values.push(list(64, width, 'é'), list(64, width, '😀'));
    for (const value of values) {
      assert.equal(limitBaggage(value), expectedBaggage(value), `${value.length}: ${value.slice(0, 40)}`);
    }
    const within = list(64, 100);
    assert.equal(limitBaggage(within), within);
  });

  it('anything with whitespace or an empty member takes the full path, with the same result', () => {
    const untidy = [
      '',
      ',',
      ',,',
      'a=1,',
      ',a=1',
      'a=1,,b=2',
      ' a=1',
      'a=1\t',
      'a=1 , b=2',
      'a=1,\tb=2',
      'a=1, ,b=2',
      'k=v w',
      list(3, 5, 'v', ', '),
      ` ${list(64, 100)}`,
      `${list(32, 5)} `,
    ];
    for (const value of untidy) {
      assert.equal(limitTraceState(value), expectedTraceState(value), JSON.stringify(value));
      assert.equal(limitBaggage(value), expectedBaggage(value), JSON.stringify(value));
    }
  });

  it('the member count is bounded before the bytes: 65 one-byte members are cut to 64', () => {
    const value = list(BAGGAGE_MAX_MEMBERS + 1, 1);
    assert.equal(limitBaggage(value)?.split(',').length, BAGGAGE_MAX_MEMBERS);
    assert.equal(limitTraceState(list(TRACESTATE_MAX_MEMBERS + 1, 1)), undefined);
  });
});
