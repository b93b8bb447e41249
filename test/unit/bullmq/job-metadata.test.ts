/**
 * A job's stored context: written as a JSON object of the propagator's fields plus its enqueue time, and
 * read back from Redis as hostile input, bounded, never throwing, anything but a plain object refused.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  decodeJobMetadata,
  encodeJobMetadata,
  ENQUEUED_AT_FIELD,
  jobMetadataCarrier,
  MAX_JOB_METADATA_LENGTH,
} from '../../../src/bullmq/job-metadata';
import type { BullmqMessagingTelemetry } from '../../../src/bullmq/span-role';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import { ORIGIN_HEADER } from '../../../src/core/origin-time';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

/** BullMQ's messaging telemetry, on the global providers. */
const bullmq = (options: { endToEndLatency?: boolean } = {}): BullmqMessagingTelemetry =>
  new MessagingTelemetry({ system: 'bullmq', ...options });

let tracing: TestTracing;
beforeEach(() => {
  tracing = setupTracing('w3c');
});
afterEach(() => tracing.shutdown());

describe('job metadata', () => {
  it("round-trips a span's context, its origin and the enqueue time, in bullmq-otel's format", () => {
    const span = trace.getTracer('test').startSpan('add');
    const metadata = encodeJobMetadata(bullmq(), trace.setSpan(context.active(), span), 1_700_000_000_123);
    span.end();
    const parsed = JSON.parse(metadata) as Record<string, string>;
    assert.deepEqual(Object.keys(parsed).sort(), [ENQUEUED_AT_FIELD, ORIGIN_HEADER, 'traceparent']);
    // The send is the ingress: the origin is its start, and the job the first hop after it.
    assert.match(parsed[ORIGIN_HEADER]!, /^v1:\d+:1$/);
    assert.equal(parsed['traceparent'], `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);

    const decoded = decodeJobMetadata(metadata);
    assert.equal(decoded?.enqueuedAtMs, 1_700_000_000_123);
    const extracted = jobMetadataCarrier.extract(ROOT_CONTEXT, decoded?.fields);
    assert.equal(trace.getSpanContext(extracted)?.spanId, span.spanContext().spanId);
  });

  it('writes the enqueue time alone when there is no span', () => {
    assert.deepEqual(JSON.parse(encodeJobMetadata(bullmq(), ROOT_CONTEXT, 42)), {
      [ENQUEUED_AT_FIELD]: '42',
    });
  });

  it('writes no origin with endToEndLatency: false', () => {
    const span = trace.getTracer('test').startSpan('add');
    const ctx = trace.setSpan(context.active(), span);
    const metadata = encodeJobMetadata(bullmq({ endToEndLatency: false }), ctx, 42);
    span.end();
    assert.deepEqual(Object.keys(JSON.parse(metadata) as object).sort(), [ENQUEUED_AT_FIELD, 'traceparent']);
  });

  it('refuses anything that is not a bounded JSON object', () => {
    const refused: unknown[] = [
      undefined,
      42,
      '',
      'not json',
      '{"unterminated":',
      '[]',
      'null',
      '"string"',
      '7',
      `{"traceparent":"${'a'.repeat(MAX_JOB_METADATA_LENGTH)}"}`,
    ];
    for (const metadata of refused) {
      assert.equal(decodeJobMetadata(metadata), undefined, JSON.stringify(metadata)?.slice(0, 40));
    }
  });

  it('reads an enqueue time only when it is a plain decimal string', () => {
    const at = (value: unknown) =>
      decodeJobMetadata(JSON.stringify({ [ENQUEUED_AT_FIELD]: value }))?.enqueuedAtMs;
    assert.equal(at('1700000000000'), 1_700_000_000_000);
    for (const value of ['-1', '1e3', ' 12', '0x10', '9'.repeat(40), 12, null, ['1']]) {
      assert.equal(at(value), undefined, JSON.stringify(value));
    }
  });

  it('does not take a context from an inherited or malformed field', () => {
    for (const metadata of [
      '{"__proto__":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}',
      '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"}',
      '{"traceparent":{"toString":"x"}}',
    ]) {
      const decoded = decodeJobMetadata(metadata);
      assert.ok(decoded, metadata);
      assert.equal(trace.getSpanContext(jobMetadataCarrier.extract(ROOT_CONTEXT, decoded.fields)), undefined);
    }
  });
});
