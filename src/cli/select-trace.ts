import type { TraceSpan } from './trace-span';
import { buildTraceTrees } from './trace-tree';

/** The id of the one trace whose id is, or starts with, a prefix; or why there is none. */
export type TraceSelection = { readonly traceId: string } | { readonly error: string };

/**
 * Selects a trace by its id or by a prefix that only one trace id in `spans` starts with, so that the
 * first 8 digits a user copies from a header line are enough.
 */
export function selectTrace(spans: readonly TraceSpan[], idOrPrefix: string): TraceSelection {
  const wanted = idOrPrefix.toLowerCase();
  const ids = [...new Set(spans.map((span) => span.traceId))];
  const matching = ids.includes(wanted) ? [wanted] : ids.filter((id) => id.startsWith(wanted));
  if (matching.length === 1) return { traceId: matching[0]! };
  if (matching.length === 0) {
    const listed = ids.slice(0, 5).join(', ') + (ids.length > 5 ? `, … (${ids.length} traces)` : '');
    return { error: `no trace ${wanted}; the traces are: ${listed}` };
  }
  return { error: `${wanted} matches ${matching.length} traces (${matching.join(', ')}); give more digits` };
}

/** The spans of the `count` traces that started last (a backend's "latest" answer may hold more). */
export function latestTraces(spans: readonly TraceSpan[], count: number): TraceSpan[] {
  const trees = buildTraceTrees(spans);
  const kept = new Set(trees.slice(Math.max(0, trees.length - count)).map((tree) => tree.traceId));
  return spans.filter((span) => kept.has(span.traceId));
}
