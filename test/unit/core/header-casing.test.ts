/**
 * `withHeaderCasing`: the wrapped propagator writes the given spelling, reads as before, reports the
 * respelled fields, and refuses a casing that would rename a header rather than change its case.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { JAVA_B3_HEADER_CASING, withHeaderCasing } from '../../../src/core/header-casing';
import type { HeaderCasing } from '../../../src/core/header-casing';

const SPAN_CONTEXT = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED };
const b3 = new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });

describe('withHeaderCasing', () => {
  it('writes B3 multi-header in the Java spelling and reads it back', () => {
    const propagator = withHeaderCasing(b3, JAVA_B3_HEADER_CASING);
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpanContext(ROOT_CONTEXT, SPAN_CONTEXT), headers, defaultTextMapSetter);
    assert.deepEqual(Object.keys(headers).sort(), ['X-B3-Sampled', 'X-B3-SpanId', 'X-B3-TraceId']);
    assert.equal(headers['X-B3-TraceId'], SPAN_CONTEXT.traceId);
    // The wrapped extract is the propagator's own: it reads the lowercase names it always read.
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const extracted = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, lower, defaultTextMapGetter));
    assert.equal(extracted?.traceId, SPAN_CONTEXT.traceId);
    assert.equal(extracted?.spanId, SPAN_CONTEXT.spanId);
  });

  it('reports the respelled fields and leaves headers the casing does not name as they are', () => {
    const propagator = withHeaderCasing(b3, { 'x-b3-traceid': 'X-B3-TRACEID' });
    assert.deepEqual(
      propagator.fields(),
      b3.fields().map((f) => (f === 'x-b3-traceid' ? 'X-B3-TRACEID' : f)),
    );
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpanContext(ROOT_CONTEXT, SPAN_CONTEXT), headers, defaultTextMapSetter);
    assert.deepEqual(Object.keys(headers).sort(), ['X-B3-TRACEID', 'x-b3-sampled', 'x-b3-spanid']);
  });

  it('refuses a spelling that is more than another letter case, or not a string', () => {
    for (const casing of [
      { 'x-b3-traceid': 'X-B3-Trace-Id' },
      { 'x-b3-traceid': 7 },
      null,
    ] as unknown as HeaderCasing[]) {
      assert.throws(
        () => withHeaderCasing(b3, casing),
        (error: unknown) =>
          error instanceof TracebridgeConfigError && error.code === TracebridgeErrorCode.InvalidOption,
      );
    }
  });
});
