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
import { TRACEBRIDGE_BENCH_OPTIONS } from './built-package';

/** The header tracebridge's origin travels in (`ORIGIN_HEADER` in src/core/origin-time.ts). */
export const FLOOR_ORIGIN_HEADER = 'tracebridge-origin';

/**
 * Whether the floor carries the origin: as tracebridge does in this run. With no MeterProvider registered
 * (the benchmark registers none), tracebridge writes it only for a sampled span, and so does the floor.
 */
export const FLOOR_CARRIES_ORIGIN = TRACEBRIDGE_BENCH_OPTIONS.endToEndLatency !== false;

/** The origin a send outside any span carries: the send's own start, the first hop after it. */
export function floorOrigin(nowMs: number): string {
  return `v1:${Math.floor(nowMs)}:1`;
}

/** The end-to-end latency (ms) and hop of an inbound origin header, or `undefined` when it is not one. */
export function floorArrival(
  value: string | undefined,
  nowMs: number,
): { readonly latencyMs: number; readonly hops: number } | undefined {
  if (value === undefined || !value.startsWith('v1:')) return undefined;
  const colon = value.indexOf(':', 3);
  if (colon < 0) return undefined;
  const originMs = Number(value.slice(3, colon));
  const hops = Number(value.slice(colon + 1));
  if (!Number.isSafeInteger(originMs) || !Number.isSafeInteger(hops)) return undefined;
  return { latencyMs: Math.max(0, nowMs - originMs), hops };
}
