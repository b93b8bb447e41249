/**
 * Signed creation context, through a real carrier and the registered propagators: what signs, what
 * verifies, what fails and why, and what the option refuses at setup.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { metrics, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import type { Context, SpanContext } from '@opentelemetry/api';
import {
  createContextSigning,
  parseSignature,
  SIGNATURE_HEADER,
  SIGNATURE_MAX_LENGTH,
} from '../../../src/core/context-signing';
import type { ContextSigning, SigningOption } from '../../../src/core/context-signing';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { OwnFieldsReader } from '../../../src/core/own-fields';
import { createHeaderRecordCarrier } from '../../../src/propagation/header-record-carrier';
import { PROPAGATOR_NAMES, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const carrier = createHeaderRecordCarrier<Record<string, unknown>>('test-headers');
const meter = metrics.getMeterProvider().getMeter('test');
const KEY_A = { id: 'a-2026', secret: 'a'.repeat(32) };
const KEY_B = { id: 'b-2026', secret: Buffer.alloc(48, 7) };

function signing(option: SigningOption): ContextSigning {
  const created = createContextSigning(option, meter);
  assert.ok(created !== undefined);
  return created;
}

const sender: SpanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
};
const senderContext = trace.setSpanContext(ROOT_CONTEXT, sender);

function signedHeaders(by: ContextSigning, ctx: Context = senderContext): Record<string, unknown> {
  return carrier.inject(ctx, {}, by.signer) ?? {};
}

function check(by: ContextSigning, headers: Record<string, unknown>, nowMs?: number): string {
  const reader = new OwnFieldsReader(true, true);
  const extracted = reader.read(carrier, headers);
  const spanContext = trace.getSpanContext(extracted);
  assert.ok(spanContext !== undefined, 'the propagator extracted a span context');
  return by.verifier.check(reader.take()?.signature, spanContext, nowMs);
}

describe('context signing', () => {
  let tracing: TestTracing;
  before(() => (tracing = setupTracing('w3c')));
  after(() => tracing.shutdown());

  const both = () => signing({ keys: [KEY_A, KEY_B], signWith: KEY_A.id });

  it('a signed context verifies, with any of the keys, and says nothing about the header text', () => {
    const headers = signedHeaders(both());
    const value = headers[SIGNATURE_HEADER];
    assert.equal(typeof value, 'string');
    assert.match(value as string, /^v1:a-2026:[0-9]{13}:[A-Za-z0-9_-]{43}$/);
    assert.ok((value as string).length <= SIGNATURE_MAX_LENGTH);
    assert.equal(check(both(), headers), 'valid');
    // Rotation: a consumer that knows the old and the new key verifies what either signed.
    const rotated = signing({ keys: [KEY_B, KEY_A], signWith: KEY_B.id });
    assert.equal(check(both(), signedHeaders(rotated)), 'valid');
  });

  it('verifies whichever propagator carried the context: it signs the span context', async () => {
    for (const name of PROPAGATOR_NAMES) {
      await tracing.shutdown();
      tracing = setupTracing(name);
      assert.equal(check(both(), signedHeaders(both())), 'valid', name);
    }
    await tracing.shutdown();
    tracing = setupTracing('w3c');
  });

  it('a signature copied onto another traceparent, or another span, or a flipped sampled flag, is a mismatch', () => {
    const headers = signedHeaders(both());
    for (const other of [
      { ...sender, traceId: '1af7651916cd43dd8448eb211c80319c' },
      { ...sender, spanId: 'c7ad6b7169203331' },
      { ...sender, traceFlags: TraceFlags.NONE },
    ]) {
      const moved = { ...signedHeaders(both(), trace.setSpanContext(ROOT_CONTEXT, other)) };
      moved[SIGNATURE_HEADER] = headers[SIGNATURE_HEADER];
      assert.equal(check(both(), moved), 'mismatch', JSON.stringify(other));
    }
  });

  it('a forged MAC, an unknown key, a missing or malformed header each fail with their reason', () => {
    const value = signedHeaders(both())[SIGNATURE_HEADER] as string;
    const forged = value.slice(0, -2) + (value.endsWith('AA') ? 'BA' : 'AA');
    assert.equal(check(both(), { ...signedHeaders(both()), [SIGNATURE_HEADER]: forged }), 'mismatch');
    const unknown = signing({ keys: [{ id: 'other', secret: 'o'.repeat(40) }], signWith: 'other' });
    assert.equal(check(both(), signedHeaders(unknown)), 'unknown_key');
    assert.equal(check(both(), carrier.inject(senderContext, {}) ?? {}), 'missing');
    for (const bad of [
      'v2:a-2026:1:x',
      'v1:a-2026:12',
      'v1::1:' + 'A'.repeat(43),
      'v1:a:1:' + 'A'.repeat(42),
    ]) {
      assert.equal(check(both(), { ...signedHeaders(both()), [SIGNATURE_HEADER]: bad }), 'malformed', bad);
    }
  });

  it('expires after maxAgeMs from its creation and refuses a creation time in the future', () => {
    const short = signing({ keys: [KEY_A], signWith: KEY_A.id, maxAgeMs: 1000 });
    const headers = signedHeaders(short);
    const createdAt = Number((headers[SIGNATURE_HEADER] as string).split(':')[2]);
    assert.equal(check(short, headers, createdAt + 1000), 'valid', 'at the edge of the window');
    assert.equal(check(short, headers, createdAt + 1001), 'expired');
    assert.equal(check(short, headers, createdAt - 61_000), 'future');
  });

  it('refuses an oversized header before parsing it', () => {
    assert.equal(parseSignature(`v1:${'a'.repeat(SIGNATURE_MAX_LENGTH)}`), undefined);
    const huge = `v1:${':'.repeat(4000)}`;
    assert.equal(parseSignature(huge), undefined);
    assert.equal(
      check(both(), { ...signedHeaders(both()), [SIGNATURE_HEADER]: 'v1:' + 'a'.repeat(4000) }),
      'malformed',
    );
  });

  it('signs nothing and reads nothing when not configured', () => {
    assert.equal(createContextSigning(undefined, meter), undefined);
    const verifyOnly = signing({ keys: [KEY_A] });
    assert.equal(verifyOnly.signer, undefined);
    assert.deepEqual(Object.keys(carrier.inject(senderContext, {}, verifyOnly.signer) ?? {}), [
      'traceparent',
    ]);
  });

  it('refuses a malformed option at setup with TRACEBRIDGE_INVALID_SIGNING', () => {
    const bad: unknown[] = [
      null,
      'secret',
      {},
      { keys: [] },
      { keys: [{ id: 'k', secret: 'short' }] },
      { keys: [{ id: 'has space', secret: 'a'.repeat(32) }] },
      { keys: [KEY_A, { ...KEY_A }] },
      { keys: [{ id: 'k', secret: 42 }] },
      { keys: [KEY_A], signWith: 'nope' },
      { keys: [KEY_A], maxAgeMs: 0 },
      { keys: [KEY_A], maxAgeMs: 1.5 },
      { keys: [KEY_A], unverified: 'parent' },
      { keys: [KEY_A], signwith: KEY_A.id },
    ];
    for (const option of bad) {
      assert.throws(
        () => createContextSigning(option as SigningOption, meter),
        (e: unknown) => e instanceof TracebridgeConfigError && e.code === TracebridgeErrorCode.InvalidSigning,
        JSON.stringify(option),
      );
    }
  });
});
