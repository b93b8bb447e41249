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

describe('selectHeaderValue: B3 ids have their exact lengths', () => {
  const TRACE_32 = '80f198ee56343ba864fe8b2a57d3eff7';
  const TRACE_16 = TRACE_32.slice(16);
  const SPAN = 'e457b5a2e4d86bd1';
  const PARENT = '05e3ac9a4f6e3b90';

  it('single header: accepts 16 or 32 hex trace ids and 16 hex span and parent ids', () => {
    for (const good of [
      `${TRACE_32}-${SPAN}`,
      `${TRACE_16}-${SPAN}`,
      `${TRACE_32}-${SPAN}-1`,
      `${TRACE_32}-${SPAN}-d-${PARENT}`,
      `${TRACE_16}-${SPAN}-0-${PARENT}`,
    ]) {
      assert.equal(selectHeaderValue('b3', good), good, good);
    }
  });

  it('single header: refuses any other id length (a 31-hex trace id is not continued as 16)', () => {
    for (const bad of [
      `${TRACE_32.slice(1)}-${SPAN}-1`,
      `${TRACE_32.slice(0, 17)}-${SPAN}-1`,
      `${TRACE_32.slice(0, 24)}-${SPAN}`,
      `${TRACE_32}0-${SPAN}`,
      `${TRACE_32}-${SPAN.slice(1)}-1`,
      `${TRACE_32}-${SPAN}0-1`,
      `${TRACE_32}-${SPAN}-1-${PARENT.slice(1)}`,
      `${TRACE_32}-${SPAN}-1-${PARENT}0`,
      `${TRACE_32}`,
      `${TRACE_32}-${SPAN}-2`,
    ]) {
      assert.equal(selectHeaderValue('b3', bad), undefined, bad);
    }
  });

  it('multi headers: 16 or 32 hex trace ids, 16 hex span and parent ids, nothing else', () => {
    assert.equal(selectHeaderValue('x-b3-traceid', TRACE_32), TRACE_32);
    assert.equal(selectHeaderValue('x-b3-traceid', TRACE_16), TRACE_16);
    assert.equal(selectHeaderValue('x-b3-spanid', SPAN), SPAN);
    assert.equal(selectHeaderValue('x-b3-parentspanid', PARENT), PARENT);
    for (const bad of [TRACE_32.slice(1), TRACE_32.slice(0, 17), TRACE_32.slice(0, 15), `${TRACE_32}0`]) {
      assert.equal(selectHeaderValue('x-b3-traceid', bad), undefined, bad);
    }
    for (const key of ['x-b3-spanid', 'x-b3-parentspanid']) {
      for (const bad of [SPAN.slice(1), `${SPAN}0`, TRACE_32]) {
        assert.equal(selectHeaderValue(key, bad), undefined, `${key}: ${bad}`);
      }
    }
  });

  it('a header name in another case is read under the rule of its lowercase name', () => {
    assert.equal(selectHeaderValue('X-B3-TraceId', TRACE_32.toUpperCase()), TRACE_32);
    assert.equal(selectHeaderValue('X-B3-TraceId', TRACE_32.slice(1)), undefined);
    assert.equal(selectHeaderValue('TraceParent', 'x'.repeat(600)), undefined, 'bounded as a traceparent');
  });
});

describe('inbound values are parsed in linear time', () => {
  /** The fastest of several runs of `calls` calls, in ms: the least disturbed by other work. */
  function fastest(work: () => unknown, calls: number): number {
    let best = Infinity;
    for (let run = 0; run < 5; run++) {
      const start = performance.now();
      for (let i = 0; i < calls; i++) work();
      best = Math.min(best, performance.now() - start);
    }
    return best;
  }

  // Each pair has the same length and takes the same path (padded, so the trim runs); only the hostile
  // one has a long run of the characters the whitespace trim treats specially, between two letters. A
  // quadratic trim (a RegExp retrying `[ \t]+$` at every space of the run) takes seconds on the hostile
  // baggage, thousands of times the benign one; a linear one takes about as long on both. The ratio is
  // generous on purpose: this compares two inputs in one run, it does not time the machine.
  const cases: [key: string, hostile: string, benign: string][] = [
    ['baggage', ` a${' '.repeat(32_000)}b`, ` a${'c'.repeat(32_000)}b`],
    ['baggage', `a${' \t'.repeat(16_000)}b `, `a${'cd'.repeat(16_000)}b `],
    ['tracestate', ` a${' '.repeat(2_000)}=b`, ` a${'c'.repeat(2_000)}=b`],
    ['traceparent', ` a${' '.repeat(500)}b`, ` a${'c'.repeat(500)}b`],
    ['x-b3-traceid', ` a${' '.repeat(29)}b`, ` a${'c'.repeat(29)}b`],
  ];
  for (const [key, hostile, benign] of cases) {
    it(`${key}: ${hostile.length} characters around a run of whitespace cost what as many letters cost`, () => {
      assert.equal(hostile.length, benign.length);
      selectHeaderValue(key, hostile);
      const calls = key === 'baggage' ? 2 : 100;
      const hostileMs = fastest(() => selectHeaderValue(key, hostile), calls);
      const benignMs = fastest(() => selectHeaderValue(key, benign), calls);
      assert.ok(
        hostileMs < Math.max(benignMs, 0.05) * 20,
        `hostile ${hostileMs.toFixed(3)} ms vs benign ${benignMs.toFixed(3)} ms for ${calls} calls`,
      );
    });
  }

  it('the trim keeps what is between the whitespace, whatever its length', () => {
    assert.equal(selectHeaderValue('baggage', ` ${' '.repeat(32_000)}a=1\t`), 'a=1');
    assert.equal(selectHeaderValue('baggage', ` a=1${' '.repeat(8_000)}b\t`), `a=1${' '.repeat(8_000)}b`);
    assert.equal(selectHeaderValue('baggage', ' \t '), undefined);
    assert.equal(selectHeaderValue('tracestate', ' a=1 , b=2\t'), 'a=1,b=2');
  });
});
