/**
 * Signed-context fixtures for the transports' trust tests: keys, the options that use them, and headers
 * an outsider (or a clock-skewed or stale producer) would send, written from the documented header format
 * rather than through tracebridge's own signer, so the tests also pin that format.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SigningOption } from '../../src/core/context-signing';
import type { TestMetrics } from './tracing';

export const TRUST_KEY = { id: 'test-2026', secret: 'tracebridge-test-secret-of-32-bytes!' } as const;

/** What a producer inside the trust domain is configured with. */
export const SIGNING: SigningOption = { keys: [TRUST_KEY], signWith: TRUST_KEY.id };
/** What a consumer or server is configured with: verify only. */
export const VERIFYING: SigningOption = { keys: [TRUST_KEY] };

/** An outsider's span context, in a traceparent. */
export const OUTSIDER = { traceId: 'a1'.repeat(16), spanId: 'b2'.repeat(8) } as const;
export const OUTSIDER_TRACEPARENT = `00-${OUTSIDER.traceId}-${OUTSIDER.spanId}-01`;

/** A `tracebridge-signature` value for a span context, per the format in src/core/context-signing.ts. */
export function signatureFor(
  spanContext: { traceId: string; spanId: string; sampled?: boolean },
  createdAtMs: number,
  secret: string = TRUST_KEY.secret,
  keyId: string = TRUST_KEY.id,
): string {
  const sampled = spanContext.sampled === false ? '0' : '1';
  const mac = createHmac('sha256', secret)
    .update(
      `tracebridge-signature/v1|${keyId}|${createdAtMs}|${spanContext.traceId}|${spanContext.spanId}|${sampled}`,
    )
    .digest('base64url');
  return `v1:${keyId}:${createdAtMs}:${mac}`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The hostile and stale contexts every transport is tested with, as header maps. */
export function hostileContexts(): Record<
  'forged' | 'expired' | 'unsigned' | 'copied',
  Record<string, string>
> {
  const valid = signatureFor({ traceId: 'c3'.repeat(16), spanId: 'd4'.repeat(8) }, Date.now());
  return {
    forged: {
      traceparent: OUTSIDER_TRACEPARENT,
      'tracebridge-signature': signatureFor(OUTSIDER, Date.now(), 'a-guessed-secret-of-at-least-32-bytes'),
    },
    expired: {
      traceparent: OUTSIDER_TRACEPARENT,
      'tracebridge-signature': signatureFor(OUTSIDER, Date.now() - 2 * DAY_MS),
    },
    unsigned: { traceparent: OUTSIDER_TRACEPARENT },
    // A valid signature, lifted from another message onto the outsider's traceparent.
    copied: { traceparent: OUTSIDER_TRACEPARENT, 'tracebridge-signature': valid },
  };
}

/** The failure reason each hostile context must be reported with. */
export const EXPECTED_FAILURE: Readonly<Record<keyof ReturnType<typeof hostileContexts>, string>> = {
  forged: 'mismatch',
  expired: 'expired',
  unsigned: 'missing',
  copied: 'mismatch',
};

/** Asserts `span` did not continue the outsider's trace and links to it, with the failure recorded. */
export function assertLinkedUnverified(span: ReadableSpan, reason: string): void {
  assert.equal(span.parentSpanContext, undefined, `${span.name}: expected a new trace`);
  assert.notEqual(span.spanContext().traceId, OUTSIDER.traceId, `${span.name}: outsider trace id`);
  assert.deepEqual(
    span.links.map((l) => `${l.context.traceId}-${l.context.spanId}`),
    [`${OUTSIDER.traceId}-${OUTSIDER.spanId}`],
    `${span.name}: links to the unverified context`,
  );
  assert.equal(span.attributes['tracebridge.incoming.policy'], 'link', `${span.name}: policy`);
  assert.equal(span.attributes['tracebridge.trust.signature'], reason, `${span.name}: reason`);
}

/** The `tracebridge.trust.verification_failures` counts by reason. */
export async function verificationFailures(metrics: TestMetrics): Promise<Record<string, number>> {
  const [resourceMetrics] = await metrics.collect();
  const metric = resourceMetrics?.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === 'tracebridge.trust.verification_failures');
  const counts: Record<string, number> = {};
  for (const point of metric?.dataPoints ?? []) {
    const reason = String(point.attributes['tracebridge.trust.failure_reason']);
    counts[reason] = (counts[reason] ?? 0) + (point.value as number);
  }
  return counts;
}
