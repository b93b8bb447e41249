/**
 * `isValidSpanContext` judges every span context exactly as the API's `isSpanContextValid` does, and the
 * traceparent rule's hex check refuses what it must.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isSpanContextValid, TraceFlags } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import { isValidSpanContext } from '../../../src/propagation/span-context-validity';
import { selectHeaderValue } from '../../../src/propagation/header-limits';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

function spanContext(traceId: unknown, spanId: unknown): SpanContext {
  return { traceId, spanId, traceFlags: TraceFlags.SAMPLED } as SpanContext;
}

describe('isValidSpanContext', () => {
  it('accepts the ids of a traceparent the header rule accepted', () => {
    assert.equal(selectHeaderValue('traceparent', VALID), VALID);
    assert.equal(isValidSpanContext(spanContext(TRACE_ID, SPAN_ID)), true);
  });

  it('agrees with isSpanContextValid on any span context', () => {
    assert.equal(selectHeaderValue('traceparent', VALID), VALID);
    const others: [unknown, unknown][] = [
      ['0'.repeat(32), SPAN_ID],
      [TRACE_ID, '0'.repeat(16)],
      [TRACE_ID.toUpperCase(), SPAN_ID],
      [TRACE_ID.slice(1), SPAN_ID],
      [`${TRACE_ID}0`, SPAN_ID],
      [TRACE_ID.replace('a', 'g'), SPAN_ID],
      ['11111111111111112222222222222222', '3333333333333333'],
      [TRACE_ID, SPAN_ID.slice(0, 15)],
      [[...TRACE_ID], SPAN_ID],
      [undefined, SPAN_ID],
      [TRACE_ID, 42],
      // Beyond ASCII, with a hex digit in the low seven bits (0xe1 -> 'a', 0x130 -> '0').
      [TRACE_ID.replace('a', '\u00e1'), SPAN_ID],
      [TRACE_ID, SPAN_ID.replace('b', '\u0130')],
      ['0'.repeat(31) + 'A', 'F'.repeat(16)],
      [TRACE_ID.slice(0, 16).toUpperCase() + TRACE_ID.slice(16), SPAN_ID.toUpperCase()],
      ['', ''],
    ];
    for (let i = 0; i < 200; i++)
      others.push([randomBytes(16).toString('hex'), randomBytes(8).toString('hex')]);
    for (const [traceId, spanId] of others) {
      const context = spanContext(traceId, spanId);
      assert.equal(isValidSpanContext(context), isSpanContextValid(context), JSON.stringify(context));
    }
  });

  it('refuses the ids of a traceparent the header rule refused', () => {
    assert.equal(selectHeaderValue('traceparent', VALID), VALID);
    const zeros = `00-${'0'.repeat(32)}-${SPAN_ID}-01`;
    assert.equal(selectHeaderValue('traceparent', zeros), undefined);
    assert.equal(isValidSpanContext(spanContext('0'.repeat(32), SPAN_ID)), false);
  });
});

describe('the traceparent rule: characters beyond ASCII', () => {
  it('refuses a character whose low seven bits are a hex digit, wherever it stands', () => {
    // U+00E1 (á) is 0xe1, U+0130 is 0x130, U+FF10 (full-width 0) is 0xff10: low bits 0x61, 0x30, 0x10.
    for (const odd of ['\u00e1', '\u0130', '\uff10', '\u0080']) {
      for (const at of [0, 1, 3, 34, 36, 51, 53, 54]) {
        const bad = VALID.slice(0, at) + odd + VALID.slice(at + 1);
        assert.equal(selectHeaderValue('traceparent', bad), undefined, `${odd} at ${at}`);
      }
    }
  });

  it('refuses a dash out of place and any other character at a dash', () => {
    for (const at of [2, 35, 52]) {
      for (const odd of ['0', '_', '\u012d']) {
        const bad = VALID.slice(0, at) + odd + VALID.slice(at + 1);
        assert.equal(selectHeaderValue('traceparent', bad), undefined, `${odd} at ${at}`);
      }
    }
    assert.equal(selectHeaderValue('traceparent', `${VALID.slice(0, 10)}-${VALID.slice(11)}`), undefined);
  });
});
