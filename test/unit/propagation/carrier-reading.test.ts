/**
 * What every extract guarantees whatever the transport and the propagator: baggage held to 64 members
 * and 8192 bytes in every encoding (Jaeger's `uberctx-*` included), bounded work on a carrier with
 * thousands of headers, and header names matched exactly first, then case-insensitively, in linear time.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator } from '@opentelemetry/core';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import { OwnFieldsReader } from '../../../src/core/own-fields';
import { amqpHeadersCarrier } from '../../../src/propagation/amqp-headers-carrier';
import { createContextCarrier } from '../../../src/propagation/context-carrier';
import { BAGGAGE_MAX_BYTES, BAGGAGE_MAX_MEMBERS } from '../../../src/propagation/header-limits';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import type { KafkaHeaders } from '../../../src/propagation/kafka-headers-carrier';
import { createPropagator, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const TRACE_ID = '80f198ee56343ba864fe8b2a57d3eff7';
const SPAN_ID = 'e457b5a2e4d86bd1';

function usePropagator(propagator: TextMapPropagator): void {
  propagation.disable();
  propagation.setGlobalPropagator(propagator);
}

/** The W3C size of a baggage: `key=value` members joined by commas, in UTF-8 bytes. */
function baggageBytes(ctx: Context): number {
  const entries = propagation.getBaggage(ctx)?.getAllEntries() ?? [];
  return entries.reduce((sum, [k, e]) => sum + Buffer.byteLength(`${k}=${e.value}`), 0) + entries.length - 1;
}

/** Counts the characters `decodeURIComponent` is given while `work` runs (Jaeger decodes every value). */
function decodedCharacters(work: () => void): number {
  const original = globalThis.decodeURIComponent;
  let characters = 0;
  globalThis.decodeURIComponent = (value: string) => {
    characters += value.length;
    return original(value);
  };
  try {
    work();
  } finally {
    globalThis.decodeURIComponent = original;
  }
  return characters;
}

/** 1,000 `uberctx-*` headers of 4,000 characters each, as kafkajs hands them over, plus a trace id. */
function jaegerFlood(): KafkaHeaders {
  const headers: KafkaHeaders = { 'uber-trace-id': Buffer.from(`${TRACE_ID}:${SPAN_ID}:0:1`) };
  for (let i = 0; i < 1000; i++) headers[`uberctx-k${i}`] = Buffer.from('v'.repeat(4000));
  return headers;
}

describe('extract: baggage is bounded in every encoding', () => {
  let tracing: TestTracing;
  before(() => {
    tracing = setupTracing('jaeger');
  });
  after(() => tracing.shutdown());
  afterEach(() => usePropagator(new JaegerPropagator()));

  it('Jaeger: 1,000 × 4,000-character uberctx-* headers yield at most 64 members and 8192 bytes', () => {
    const headers = jaegerFlood();
    let extracted: Context = ROOT_CONTEXT;
    const decoded = decodedCharacters(() => {
      extracted = kafkaHeadersCarrier.extract(ROOT_CONTEXT, headers);
    });
    assert.equal(trace.getSpanContext(extracted)?.traceId, TRACE_ID, 'the trace is still continued');
    const entries = propagation.getBaggage(extracted)?.getAllEntries() ?? [];
    assert.ok(entries.length > 0, 'baggage within the limits is kept');
    assert.ok(entries.length <= BAGGAGE_MAX_MEMBERS, `${entries.length} members`);
    assert.ok(baggageBytes(extracted) <= BAGGAGE_MAX_BYTES, `${baggageBytes(extracted)} bytes`);
    // Work, not time: unbounded, the propagator decodes all 4,000,000 characters.
    assert.ok(decoded <= BAGGAGE_MAX_BYTES + 200, `${decoded} characters decoded`);
  });

  it("Jaeger under 'parent': what the handler re-injects downstream stays within the limits", () => {
    const telemetry = new MessagingTelemetry({ system: 'kafka', incoming: 'parent' });
    const outgoing = telemetry.process(
      {
        destination: 'orders',
        carrier: kafkaHeadersCarrier,
        headers: jaegerFlood(),
        info: undefined,
      },
      () => kafkaHeadersCarrier.inject(context.active(), { 'x-request-id': 'r1' }),
    );
    const baggageKeys = Object.keys(outgoing ?? {}).filter((k) => k.startsWith('uberctx-'));
    assert.ok(baggageKeys.length > 0 && baggageKeys.length <= BAGGAGE_MAX_MEMBERS, `${baggageKeys.length}`);
    const bytes = baggageKeys.reduce((sum, k) => sum + k.length + String(outgoing?.[k]).length, 0);
    assert.ok(bytes <= BAGGAGE_MAX_BYTES + baggageKeys.length * 'uberctx-'.length, `${bytes} bytes`);
    assert.equal(String(outgoing?.['uber-trace-id']).split(':')[0], TRACE_ID);
  });

  it('10,000 small uberctx-* headers: at most 64 values are read', () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) headers[`uberctx-k${i}`] = `v${i}`;
    let lookups = 0;
    const counted = new Proxy(headers, {
      get(target, key, receiver) {
        lookups++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const extracted = amqpHeadersCarrier.extract(ROOT_CONTEXT, counted);
    assert.equal(propagation.getBaggage(extracted)?.getAllEntries().length, BAGGAGE_MAX_MEMBERS);
    assert.ok(lookups <= BAGGAGE_MAX_MEMBERS + 2, `${lookups} header values read`);
  });

  it('W3C baggage and Jaeger baggage together (a composite) stay within 64 members', () => {
    usePropagator(
      new CompositePropagator({ propagators: [new W3CBaggagePropagator(), new JaegerPropagator()] }),
    );
    const headers: Record<string, string> = {
      baggage: Array.from({ length: 64 }, (_, i) => `w${i}=1`).join(','),
    };
    for (let i = 0; i < 64; i++) headers[`uberctx-j${i}`] = '2';
    const extracted = kafkaHeadersCarrier.extract(ROOT_CONTEXT, headers);
    const entries = propagation.getBaggage(extracted)?.getAllEntries() ?? [];
    assert.equal(entries.length, BAGGAGE_MAX_MEMBERS);
    assert.equal(entries[0]?.[0], 'w0', 'members are kept in order, the later ones dropped');
  });

  it('a custom encoding is held to the limits too, by whole members in order', () => {
    usePropagator({
      inject: () => undefined,
      extract: (ctx) =>
        propagation.setBaggage(
          ctx,
          propagation.createBaggage(
            Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, { value: 'x'.repeat(1000) }])),
          ),
        ),
      fields: () => [],
    });
    const extracted = kafkaHeadersCarrier.extract(ROOT_CONTEXT, { any: 'thing' });
    const keys = propagation
      .getBaggage(extracted)
      ?.getAllEntries()
      .map(([k]) => k);
    // Each member is `kN=` + 1,000 bytes; eight of them and their commas fit in 8,192 bytes.
    assert.deepEqual(keys, ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
  });
});

describe('extract: header names match exactly first, then ignoring case', () => {
  let tracing: TestTracing;
  before(() => {
    tracing = setupTracing('b3-multi');
  });
  after(() => tracing.shutdown());

  /** B3 multi headers as the OpenTelemetry Java agent and Zipkin JS write them. */
  const javaAgentHeaders = (): Record<string, Buffer> => ({
    'X-B3-TraceId': Buffer.from(TRACE_ID),
    'X-B3-SpanId': Buffer.from(SPAN_ID),
    'X-B3-Sampled': Buffer.from('1'),
  });

  it('kafka: X-B3-TraceId / X-B3-SpanId / X-B3-Sampled continue the trace', () => {
    const spanContext = trace.getSpanContext(kafkaHeadersCarrier.extract(ROOT_CONTEXT, javaAgentHeaders()));
    assert.equal(spanContext?.traceId, TRACE_ID);
    assert.equal(spanContext?.spanId, SPAN_ID);
    assert.equal(spanContext?.traceFlags, 1);
  });

  it('amqp: the same headers as strings (a field table) continue the trace', () => {
    const headers = Object.fromEntries(
      Object.entries(javaAgentHeaders()).map(([k, v]) => [k, v.toString()]),
    ) as Record<string, unknown>;
    headers['x-retries'] = 3;
    const spanContext = trace.getSpanContext(amqpHeadersCarrier.extract(ROOT_CONTEXT, headers));
    assert.equal(spanContext?.traceId, TRACE_ID);
    assert.equal(spanContext?.spanId, SPAN_ID);
  });

  it('the exact name wins over another casing; another casing is read under the same rule', () => {
    const other = '11111111111111112222222222222222';
    const headers = { ...javaAgentHeaders(), 'x-b3-traceid': other };
    assert.equal(trace.getSpanContext(kafkaHeadersCarrier.extract(ROOT_CONTEXT, headers))?.traceId, other);
    const tooLong = { ...javaAgentHeaders(), 'X-B3-TraceId': `${TRACE_ID}0` };
    assert.equal(trace.getSpanContext(kafkaHeadersCarrier.extract(ROOT_CONTEXT, tooLong)), undefined);
  });

  it('gRPC metadata and custom carriers keep exact names unless they opt in (caseInsensitive)', () => {
    const getter = {
      keys: (c: Record<string, Buffer>) => Object.keys(c),
      get: (c: Record<string, Buffer>, k: string) => (Object.hasOwn(c, k) ? c[k]?.toString() : undefined),
    };
    const access = { name: 'custom', getter, copyForWrite: () => ({}), set: () => undefined };
    const exact = createContextCarrier<Record<string, Buffer>>(access);
    const folding = createContextCarrier<Record<string, Buffer>>({ ...access, caseInsensitive: true });
    assert.equal(trace.getSpanContext(exact.extract(ROOT_CONTEXT, javaAgentHeaders())), undefined);
    assert.equal(trace.getSpanContext(folding.extract(ROOT_CONTEXT, javaAgentHeaders()))?.spanId, SPAN_ID);
  });

  it("10,000 headers: the carrier's names are listed once per extract, not once per field asked for", () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) headers[`X-Junk-${i}`] = 'v';
    Object.assign(headers, { 'X-B3-TraceId': TRACE_ID, 'X-B3-SpanId': SPAN_ID });
    let listings = 0;
    const counted = new Proxy(headers, {
      ownKeys(target) {
        listings++;
        return Reflect.ownKeys(target);
      },
    });
    // B3 multi asks for five fields, none under its exact name: a scan per field would list five times.
    const spanContext = trace.getSpanContext(kafkaHeadersCarrier.extract(ROOT_CONTEXT, counted));
    assert.equal(spanContext?.spanId, SPAN_ID);
    assert.equal(listings, 1);
  });
});

describe("extract: tracebridge's own fields are read under their exact name, outside the budget", () => {
  let tracing: TestTracing;
  before(() => (tracing = setupTracing('w3c')));
  after(() => tracing.shutdown());

  const ORIGIN = `v1:${Date.now() - 1000}:2`;

  it("a miss lists none of the carrier's names; another casing is not read", () => {
    const headers = { 'Tracebridge-Origin': ORIGIN, traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` };
    let listings = 0;
    const counted = new Proxy(headers, {
      ownKeys(target) {
        listings++;
        return Reflect.ownKeys(target);
      },
    });
    // No propagator: the own fields are the only ones asked for.
    propagation.disable();
    try {
      const reader = new OwnFieldsReader(true, true);
      reader.read(kafkaHeadersCarrier, counted);
      assert.equal(reader.take(), undefined, 'tracebridge writes its fields in lowercase only');
      assert.equal(listings, 0);
    } finally {
      usePropagator(createPropagator('w3c'));
    }
  });

  it('after 10,000 uberctx-* headers have spent the budget, the origin and signature are still read', () => {
    usePropagator(new JaegerPropagator());
    try {
      const headers: Record<string, string> = {
        'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:1`,
        'tracebridge-origin': ORIGIN,
        'tracebridge-signature': 'v1:k:1:x',
      };
      for (let i = 0; i < 10_000; i++) headers[`uberctx-k${i}`] = 'v';
      const reader = new OwnFieldsReader(true, true);
      const extracted = reader.read(kafkaHeadersCarrier, headers);
      assert.equal(trace.getSpanContext(extracted)?.spanId, SPAN_ID);
      assert.ok((propagation.getBaggage(extracted)?.getAllEntries().length ?? 0) <= BAGGAGE_MAX_MEMBERS);
      const found = reader.take();
      assert.equal(found?.origin, ORIGIN);
      assert.equal(found?.signature, 'v1:k:1:x');
    } finally {
      usePropagator(createPropagator('w3c'));
    }
  });
});
