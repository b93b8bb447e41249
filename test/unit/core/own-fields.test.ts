/**
 * The reader and writer of tracebridge's own fields (origin and signature): one read of each field per
 * extract, through the carrier's bounded getter, handed over as one value beside the extracted context
 * (which the reader never copies); hostile values (oversized, repeated, malformed, of the wrong type)
 * ignored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import type { TextMapGetter } from '@opentelemetry/api';
import { SIGNATURE_HEADER } from '../../../src/core/context-signing';
import {
  DEFAULT_ORIGIN_MAX_AGE_MS,
  ORIGIN_HEADER,
  OriginSlot,
  originWriter,
  withOrigin,
} from '../../../src/core/origin-time';
import { OwnFieldsReader, ownFieldsWriter } from '../../../src/core/own-fields';
import { GENERIC_HEADER_MAX_LENGTH } from '../../../src/propagation/header-limits';
import { createHeaderRecordCarrier } from '../../../src/propagation/header-record-carrier';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const carrier = createHeaderRecordCarrier<Record<string, unknown>>('test-headers');
const NOW = 1_764_590_000_000;
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const SIGNATURE = `v1:k1:${NOW}:${'A'.repeat(43)}`;
const ORIGIN = `v1:${NOW - 100}:2`;
const sampled = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
};

/** A getter over a plain record that counts what it is asked. */
function countingGetter(): TextMapGetter<Record<string, string | string[]>> & {
  gets: string[];
  keyScans: number;
} {
  const getter = {
    gets: [] as string[],
    keyScans: 0,
    keys(record: Record<string, string | string[]>) {
      getter.keyScans++;
      return Object.keys(record);
    },
    get(record: Record<string, string | string[]>, key: string) {
      getter.gets.push(key);
      return record[key];
    },
  };
  return getter;
}

describe('own fields: reader', () => {
  let tracing: TestTracing;
  before(() => (tracing = setupTracing('w3c')));
  after(() => tracing.shutdown());

  it('origin and signature are one value, each field read once, no key scan, the context as it was', () => {
    const getter = countingGetter();
    const reader = new OwnFieldsReader(true, true);
    const headers = { [ORIGIN_HEADER]: ORIGIN, [SIGNATURE_HEADER]: SIGNATURE };
    const ctx = trace.setSpanContext(ROOT_CONTEXT, sampled);
    assert.equal(reader.extract(ctx, headers, getter), ctx, 'no context copy');
    assert.deepEqual(getter.gets.sort(), [ORIGIN_HEADER, SIGNATURE_HEADER].sort());
    assert.equal(getter.keyScans, 0);
    const found = reader.take();
    assert.equal(found?.origin, ORIGIN);
    assert.equal(found?.signature, SIGNATURE);
    assert.equal(reader.take(), undefined, 'handed over once');
  });

  it('without a verifier the signature is neither read nor kept', () => {
    const getter = countingGetter();
    const reader = new OwnFieldsReader(false, true);
    reader.extract(ROOT_CONTEXT, { [ORIGIN_HEADER]: ORIGIN, [SIGNATURE_HEADER]: SIGNATURE }, getter);
    assert.deepEqual(getter.gets, [ORIGIN_HEADER]);
    const found = reader.take();
    assert.equal(found?.origin, ORIGIN);
    assert.equal(found?.signature, undefined);
  });

  it('a message with neither field hands over nothing, even right after one that had both', () => {
    const reader = new OwnFieldsReader(true, true);
    reader.read(carrier, {
      traceparent: TRACEPARENT,
      [ORIGIN_HEADER]: ORIGIN,
      [SIGNATURE_HEADER]: SIGNATURE,
    });
    const extracted = reader.read(carrier, { traceparent: TRACEPARENT });
    assert.equal(reader.take(), undefined, 'nothing from the earlier message');
    assert.equal(trace.getSpanContext(extracted)?.spanId, 'b7ad6b7169203331');
    reader.read(carrier, undefined);
    assert.equal(reader.take(), undefined, 'a message without headers');
  });

  it('repeated values: the first usable one of each field, through the carrier’s getter', () => {
    const reader = new OwnFieldsReader(true, true);
    reader.read(carrier, {
      traceparent: TRACEPARENT,
      [ORIGIN_HEADER]: [Buffer.from([0xff, 0xfe]), ORIGIN, `v1:${NOW}:9`],
      [SIGNATURE_HEADER]: [42, SIGNATURE, 'v1:other'],
    });
    const found = reader.take();
    assert.equal(found?.origin, ORIGIN, 'the invalid UTF-8 bytes are skipped, the later value is not read');
    assert.equal(found?.signature, SIGNATURE, 'a number is not a header value');
  });

  it('oversized, wrongly typed and 10,000-fold repeated values are ignored', () => {
    const oversized = 'v'.repeat(GENERIC_HEADER_MAX_LENGTH + 1);
    const reader = new OwnFieldsReader(true, true);
    const extracted = reader.read(carrier, {
      traceparent: TRACEPARENT,
      [ORIGIN_HEADER]: new Array<string>(10_000).fill(oversized),
      [SIGNATURE_HEADER]: { nested: SIGNATURE },
    });
    assert.equal(reader.take(), undefined);
    assert.equal(trace.getSpanContext(extracted)?.traceId, '0af7651916cd43dd8448eb211c80319c');
  });

  it('a malformed origin is kept raw, never believed: the hop becomes a new origin', () => {
    for (const raw of ['v1:1e12:1', `v1:${NOW}:0`, `v1:${'9'.repeat(16)}:1`, `v1:${NOW}:1\u0000`, '١']) {
      const reader = new OwnFieldsReader(false, true);
      reader.read(carrier, { [ORIGIN_HEADER]: raw });
      const found = reader.take();
      assert.equal(found?.origin, raw);
      const slot = new OriginSlot(found?.origin, NOW, DEFAULT_ORIGIN_MAX_AGE_MS);
      assert.equal(slot.inbound(), undefined, JSON.stringify(raw));
      assert.equal(slot.outbound(), `v1:${NOW}:1`);
    }
  });
});

describe('own fields: writer', () => {
  let tracing: TestTracing;
  before(() => (tracing = setupTracing('w3c')));
  after(() => tracing.shutdown());

  const sender = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.NONE,
  });

  it('without a signer it is the origin writer itself', () => {
    assert.equal(ownFieldsWriter(undefined, true), originWriter);
  });

  it('a hop formats its outbound origin once, however many messages it sends', () => {
    const slot = new OriginSlot(`v1:${NOW - 20}:4`, NOW, DEFAULT_ORIGIN_MAX_AGE_MS);
    const ctx = withOrigin(sender, slot);
    const first = carrier.inject(ctx, {}, originWriter)?.[ORIGIN_HEADER];
    const second = carrier.inject(ctx, {}, originWriter)?.[ORIGIN_HEADER];
    assert.equal(first, `v1:${NOW - 20}:5`);
    assert.equal(second, first);
    assert.equal(slot.outbound(), first);
  });

  it('an unsampled context still carries the origin on: a later hop may sample', () => {
    const slot = new OriginSlot(`v1:${NOW - 20}:1`, NOW, DEFAULT_ORIGIN_MAX_AGE_MS);
    const headers = carrier.inject(withOrigin(sender, slot), {}, ownFieldsWriter(undefined, true));
    assert.equal(headers?.[ORIGIN_HEADER], `v1:${NOW - 20}:2`);
    assert.equal(headers?.['traceparent'], '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00');
  });

  it('without a live meter, an unsampled context carries no origin; a recording span does', () => {
    const slot = new OriginSlot(`v1:${NOW - 20}:1`, NOW, DEFAULT_ORIGIN_MAX_AGE_MS);
    const writer = ownFieldsWriter(undefined, true, false);
    const unsampled = carrier.inject(withOrigin(sender, slot), {}, writer);
    assert.equal(unsampled?.[ORIGIN_HEADER], undefined);
    assert.equal(unsampled?.['traceparent'], '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00');
    const recording = tracing.provider.getTracer('test').startSpan('send', {}, ROOT_CONTEXT);
    const headers = carrier.inject(withOrigin(trace.setSpan(ROOT_CONTEXT, recording), slot), {}, writer);
    assert.equal(headers?.[ORIGIN_HEADER], `v1:${NOW - 20}:2`);
    recording.end();
  });
});
