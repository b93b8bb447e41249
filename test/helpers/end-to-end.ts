/**
 * End-to-end latency fixtures for the transports' tests: origin headers written from the documented
 * format (not through tracebridge's own writer, so the tests also pin it), the hostile values every
 * transport must ignore, an ingress span that starts in the past, and the histogram's points.
 */
import assert from 'node:assert/strict';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { TestMetrics, TestTracing } from './tracing';

export const ORIGIN = 'tracebridge-origin';
export const END_TO_END_MS = 'tracebridge.messaging.end_to_end_ms';
export const HOPS = 'tracebridge.messaging.hops';
export const END_TO_END_METRIC = 'tracebridge.messaging.end_to_end.duration';
export const RPC_END_TO_END_MS = 'tracebridge.rpc.end_to_end_ms';
export const RPC_HOPS = 'tracebridge.rpc.hops';
export const RPC_END_TO_END_METRIC = 'tracebridge.rpc.end_to_end.duration';

/** A `tracebridge-origin` value, per the format in src/core/origin-time.ts. */
export function originHeader(originMs: number, hops: number): string {
  return `v1:${originMs}:${hops}`;
}

/** Origin values a consumer or server must ignore, never record, whatever carries them. */
export function hostileOrigins(): Record<'malformed' | 'future' | 'ancient' | 'overlong', string> {
  const now = Date.now();
  return {
    malformed: `v1:${now - 1000}:1;drop table`,
    future: originHeader(now + 10 * 60 * 1000, 1),
    ancient: originHeader(now - 8 * 24 * 60 * 60 * 1000, 1),
    overlong: `v1:${'0'.repeat(40)}${now - 1000}:1`,
  };
}

/**
 * Runs `work` inside an ingress span (an HTTP server span, as the application's instrumentation would
 * start it) that began `agoMs` ago, and ends it after. Returns what `work` returns and the span.
 */
export async function atIngress<T>(
  tracing: TestTracing,
  agoMs: number,
  work: () => Promise<T>,
): Promise<{ result: T; ingress: Span; ingressStartMs: number }> {
  const ingress = tracing.provider
    .getTracer('test-http')
    .startSpan('GET /checkout', { startTime: Date.now() - agoMs });
  try {
    const result = await context.with(trace.setSpan(context.active(), ingress), work);
    return { result, ingress, ingressStartMs: startMsOf(ingress) };
  } finally {
    ingress.end();
  }
}

/** The end-to-end ms and hops a span recorded; fails when it recorded none. */
export function endToEndOf(span: ReadableSpan, rpc = false): { ms: number; hops: number } {
  const ms = span.attributes[rpc ? RPC_END_TO_END_MS : END_TO_END_MS];
  const hops = span.attributes[rpc ? RPC_HOPS : HOPS];
  assert.equal(typeof ms, 'number', `${span.name}: no end-to-end latency recorded`);
  assert.equal(typeof hops, 'number', `${span.name}: no hop count recorded`);
  return { ms: ms as number, hops: hops as number };
}

/** Asserts `span` recorded no end-to-end latency and no hop count. */
export function assertNoEndToEnd(span: ReadableSpan, why: string, rpc = false): void {
  assert.equal(span.attributes[rpc ? RPC_END_TO_END_MS : END_TO_END_MS], undefined, `${span.name}: ${why}`);
  assert.equal(span.attributes[rpc ? RPC_HOPS : HOPS], undefined, `${span.name}: ${why}`);
}

/** One histogram point: its attributes, count, sum (seconds) and minimum. */
export interface HistogramPoint {
  readonly attributes: Attributes;
  readonly count: number;
  readonly sum: number;
  readonly min: number | undefined;
}

/** The points of histogram `name` collected so far, with the unit checked. */
export async function histogramPoints(metricsHarness: TestMetrics, name: string): Promise<HistogramPoint[]> {
  const points: HistogramPoint[] = [];
  for (const resource of await metricsHarness.collect()) {
    for (const scope of resource.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        assert.equal(metric.descriptor.unit, 's', `${name}: unit`);
        for (const point of metric.dataPoints) {
          const value = point.value as { count: number; sum?: number; min?: number };
          points.push({
            attributes: point.attributes,
            count: value.count,
            sum: value.sum ?? 0,
            min: value.min,
          });
        }
      }
    }
  }
  return points;
}

/** The one point whose attributes include `match`; fails when there is none or several. */
export function pointWith(points: readonly HistogramPoint[], match: Attributes): HistogramPoint {
  const found = points.filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
  assert.equal(found.length, 1, `one point with ${JSON.stringify(match)}, got ${JSON.stringify(points)}`);
  return found[0]!;
}

/** A span's start, in whole ms since the epoch (as the origin header carries it). */
export function startMsOf(span: Span | ReadableSpan): number {
  return Math.floor(hrTimeToMilliseconds((span as ReadableSpan).startTime));
}

/**
 * Asserts that `header` is the origin of a hop that started a new one (hop count 1 on its first send),
 * no earlier than `notBeforeMs`: not an origin carried from further upstream.
 */
export function assertNewOrigin(header: string | undefined, notBeforeMs: number, why: string): void {
  const match = /^v1:(\d+):1$/.exec(header ?? '');
  assert.ok(match, `${why}: a new origin at hop 1, got ${JSON.stringify(header)}`);
  assert.ok(Number(match[1]) >= notBeforeMs, `${why}: origin ${match[1]} is not before ${notBeforeMs}`);
}

/** The trace of an upstream hop, for the origin rule's tests: its ids, sampled or not. */
export const REMOTE_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
export const REMOTE_SPAN_ID = 'b7ad6b7169203331';
export type Sampling = 'sampled' | 'unsampled';

/** A remote parent of that sampling, as a consumer's handler runs in: the SDK's default sampler follows it. */
export function remoteParent(sampling: Sampling): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: REMOTE_TRACE_ID,
    spanId: REMOTE_SPAN_ID,
    isRemote: true,
    traceFlags: sampling === 'sampled' ? TraceFlags.SAMPLED : TraceFlags.NONE,
  });
}

/** The same remote parent as the traceparent header that carries it. */
export function remoteTraceparent(sampling: Sampling): string {
  return `00-${REMOTE_TRACE_ID}-${REMOTE_SPAN_ID}-${sampling === 'sampled' ? '01' : '00'}`;
}
