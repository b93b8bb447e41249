/**
 * The pipeline origin header: its format, what parsing refuses (malformed, too long, from the future,
 * ancient), how the hop count grows at each inject, and the ingress rule, through a real carrier and the
 * SDK's spans.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import {
  DEFAULT_ORIGIN_MAX_AGE_MS,
  formatOrigin,
  ORIGIN_CLOCK_SKEW_MS,
  ORIGIN_HEADER,
  ORIGIN_MAX_LENGTH,
  originWriter,
  OriginSlot,
  parseOrigin,
  withIngressOrigin,
  withOrigin,
} from '../../../src/core/origin-time';
import { OwnFieldsReader } from '../../../src/core/own-fields';
import { createHeaderRecordCarrier } from '../../../src/propagation/header-record-carrier';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const carrier = createHeaderRecordCarrier<Record<string, unknown>>('test-headers');
const NOW = 1_764_590_000_000;
const sender = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.NONE,
});

describe('origin header: parse', () => {
  it('reads a well-formed value: the origin time and the hop count', () => {
    assert.deepEqual(parseOrigin(`v1:${NOW - 1500}:3`, NOW, DEFAULT_ORIGIN_MAX_AGE_MS), {
      originMs: NOW - 1500,
      hops: 3,
    });
  });

  it('refuses malformed values', () => {
    const malformed = [
      '',
      `${NOW}:1`,
      `v2:${NOW}:1`,
      `v1:${NOW}`,
      `v1:${NOW}:0`,
      `v1:${NOW}:01`,
      `v1:${NOW}:1234567`,
      `v1:${NOW}:1:extra`,
      `v1:-${NOW}:1`,
      `v1:${NOW}.5:1`,
      `v1:0:1`,
      `v1:${NOW}:1 `,
      `V1:${NOW}:1`,
      'v1:1e12:1',
    ];
    for (const value of malformed)
      assert.equal(parseOrigin(value, NOW, DEFAULT_ORIGIN_MAX_AGE_MS), undefined, JSON.stringify(value));
  });

  it('refuses a value longer than the bound before parsing it, whatever it holds', () => {
    const long = `v1:${'0'.repeat(ORIGIN_MAX_LENGTH)}${NOW}:1`;
    assert.ok(long.length > ORIGIN_MAX_LENGTH);
    assert.equal(parseOrigin(long, NOW, DEFAULT_ORIGIN_MAX_AGE_MS), undefined);
  });

  it('accepts an origin ahead of this clock within the skew allowance, not beyond', () => {
    const ahead = NOW + ORIGIN_CLOCK_SKEW_MS;
    assert.equal(parseOrigin(`v1:${ahead}:1`, NOW, DEFAULT_ORIGIN_MAX_AGE_MS)?.originMs, ahead);
    assert.equal(parseOrigin(`v1:${ahead + 1}:1`, NOW, DEFAULT_ORIGIN_MAX_AGE_MS), undefined);
  });

  it('refuses an origin older than the bound', () => {
    const maxAgeMs = 60_000;
    assert.equal(parseOrigin(`v1:${NOW - maxAgeMs}:2`, NOW, maxAgeMs)?.hops, 2);
    assert.equal(parseOrigin(`v1:${NOW - maxAgeMs - 1}:2`, NOW, maxAgeMs), undefined);
  });
});

describe('origin header: format and propagate', () => {
  let tracing: TestTracing;
  before(() => {
    tracing = setupTracing('w3c');
  });
  after(async () => {
    await tracing.shutdown();
  });

  it('the next hop carries one hop more, capped at six digits', () => {
    assert.equal(formatOrigin({ originMs: NOW, hops: 0 }), `v1:${NOW}:1`);
    assert.equal(formatOrigin({ originMs: NOW + 0.7, hops: 4 }), `v1:${NOW}:5`);
    assert.equal(formatOrigin({ originMs: NOW, hops: 999_999 }), `v1:${NOW}:999999`);
  });

  it('a trusted inbound origin travels on with its hop count incremented, parsed only when asked', () => {
    const slot = new OriginSlot(`v1:${NOW - 20}:2`, NOW, DEFAULT_ORIGIN_MAX_AGE_MS);
    const headers = carrier.inject(withOrigin(sender, slot), {}, originWriter);
    assert.equal(headers?.[ORIGIN_HEADER], `v1:${NOW - 20}:3`);
    assert.equal(headers?.['traceparent'], '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00');
  });

  it('an invalid inbound origin makes this hop a new origin at its arrival', () => {
    const slot = new OriginSlot(`v1:${NOW + ORIGIN_CLOCK_SKEW_MS + 5}:2`, NOW, DEFAULT_ORIGIN_MAX_AGE_MS);
    assert.equal(slot.inbound(), undefined);
    const headers = carrier.inject(withOrigin(sender, slot), {}, originWriter);
    assert.equal(headers?.[ORIGIN_HEADER], `v1:${NOW}:1`);
  });

  it('nothing is written without a valid span context: the origin travels with the trace', () => {
    const slot = new OriginSlot(undefined, NOW, DEFAULT_ORIGIN_MAX_AGE_MS);
    assert.deepEqual(carrier.inject(withOrigin(ROOT_CONTEXT, slot), {}, originWriter), {});
  });

  it('extract keeps the raw header, the first of repeated values, unparsed', () => {
    const reader = new OwnFieldsReader(false, true);
    reader.read(carrier, { [ORIGIN_HEADER]: ['not-an-origin', 'v1:1:1'] });
    assert.equal(reader.take()?.origin, 'not-an-origin');
    assert.equal(reader.take(), undefined, 'taken once');
  });

  it('ingress: the origin is the start of the span active where the first send is made', () => {
    const tracer = tracing.provider.getTracer('test');
    const server = tracer.startSpan('GET /orders', { startTime: NOW - 250 });
    const base = trace.setSpan(ROOT_CONTEXT, server);
    const send = tracer.startSpan('send orders', {}, base);
    const sendContext = trace.setSpan(withIngressOrigin(base, send), send);
    const headers = carrier.inject(sendContext, {}, originWriter);
    assert.equal(headers?.[ORIGIN_HEADER], `v1:${NOW - 250}:1`);
    // A context that already carries an origin keeps it.
    const inbound = withOrigin(base, new OriginSlot(`v1:${NOW - 900}:4`, NOW, DEFAULT_ORIGIN_MAX_AGE_MS));
    assert.equal(
      carrier.inject(trace.setSpan(withIngressOrigin(inbound, send), send), {}, originWriter)?.[
        ORIGIN_HEADER
      ],
      `v1:${NOW - 900}:5`,
    );
    send.end();
    server.end();
  });

  it('ingress without a readable active span: the send span’s own start', () => {
    const tracer = tracing.provider.getTracer('test');
    const send = tracer.startSpan('send orders', { startTime: NOW - 40 }, ROOT_CONTEXT);
    const headers = carrier.inject(
      trace.setSpan(withIngressOrigin(ROOT_CONTEXT, send), send),
      {},
      originWriter,
    );
    assert.equal(headers?.[ORIGIN_HEADER], `v1:${NOW - 40}:1`);
    send.end();
  });
});
