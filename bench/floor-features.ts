/**
 * What the floor does for tracebridge's own features, with plain code, so that the floor makes
 * tracebridge's output and not a smaller one: its `tracebridge.*` span attributes (time in queue,
 * end-to-end latency and hops, attempt, settle outcome) and the `tracebridge-origin` header it carries.
 * Each workload's floor computes the attributes from what its transport delivers, as tracebridge does;
 * what is shared, the origin header, is here.
 *
 * Why the floor carries them: the SDK's cost grows with every attribute a span holds, and a broker client's
 * with every header a message holds (kafkajs encodes each header into a buffer of its own). A floor without
 * them measures less output than tracebridge makes, and puts the features' cost (which any instrumentation
 * that offered them would pay) into tracebridge's distance from the floor. `BENCH_END_TO_END=off` runs
 * tracebridge with `endToEndLatency: false`, and then the floor carries no origin either.
 */
import { TraceFlags } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { ORIGIN_HEADER } from '../src/core/origin-time';
import { TRACEBRIDGE_BENCH_OPTIONS } from './built-package';

/** The header tracebridge's origin travels in. */
export const FLOOR_ORIGIN_HEADER = ORIGIN_HEADER;

/**
 * Whether the floor carries the origin: as tracebridge does in this run. With no MeterProvider registered
 * (the benchmark registers none), tracebridge writes it only for a sampled span, and so does the floor.
 */
const FLOOR_CARRIES_ORIGIN = TRACEBRIDGE_BENCH_OPTIONS.endToEndLatency !== false;

/** The span attributes the end-to-end latency goes in, on a consumer's span and on a server's. */
const ARRIVAL_KEYS = {
  messaging: { latencyMs: 'tracebridge.messaging.end_to_end_ms', hops: 'tracebridge.messaging.hops' },
  rpc: { latencyMs: 'tracebridge.rpc.end_to_end_ms', hops: 'tracebridge.rpc.hops' },
} as const;

/**
 * Puts the origin of a send outside any span (the send's own start, the first hop after it) into
 * `carrier`, next to the injected context, when `span` is sampled: where tracebridge writes it.
 */
export function carryFloorOrigin(carrier: Record<string, unknown>, span: Span, nowMs: number): void {
  if (FLOOR_CARRIES_ORIGIN && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0)
    carrier[FLOOR_ORIGIN_HEADER] = `v1:${Math.floor(nowMs)}:1`;
}

/**
 * Records on a recording consumer (`'messaging'`) or server (`'rpc'`) span the end-to-end latency and hop
 * of the origin header `value` (a string, or a Buffer as Kafka delivers it), as tracebridge does; nothing
 * when there is none or it is not one.
 */
export function recordFloorArrival(
  span: Span,
  value: unknown,
  nowMs: number,
  side: keyof typeof ARRIVAL_KEYS,
): void {
  if (!FLOOR_CARRIES_ORIGIN) return;
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString() : undefined;
  if (text === undefined || !text.startsWith('v1:')) return;
  const colon = text.indexOf(':', 3);
  if (colon < 0) return;
  const originMs = Number(text.slice(3, colon));
  const hops = Number(text.slice(colon + 1));
  if (!Number.isSafeInteger(originMs) || !Number.isSafeInteger(hops)) return;
  const keys = ARRIVAL_KEYS[side];
  span.setAttribute(keys.latencyMs, Math.max(0, nowMs - originMs));
  span.setAttribute(keys.hops, hops);
}
