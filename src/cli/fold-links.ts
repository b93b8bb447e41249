import type { TraceSpan } from './trace-span';

/**
 * Folds traces that only link into the traces they link: a Kafka batch span (and a Redis multi-entry
 * read) starts a one-span trace of its own that links every message it received, so on its own an order
 * is two pictures. Folded, the batch trace is drawn again inside each trace it links, under the first
 * span it links there (the message's send), so each order reads as one picture.
 *
 * A trace is folded when its root (a span with no parent) links to a span present in another trace;
 * its spans are copied into each linked trace (the root under the linked span, marked with
 * `foldedFromTraceId`) and the trace itself is no longer shown alone. Everything else is unchanged.
 * A folded trace is never folded into a trace that is itself folded away (no chains, no cycles).
 */
export function foldLinkedTraces(spans: readonly TraceSpan[]): TraceSpan[] {
  const byTrace = groupByTrace(spans);
  const known = new Set(spans.map((span) => `${span.traceId}/${span.spanId}`));
  const folds = new Map<string, Map<string, string>>();
  for (const [traceId, group] of byTrace) {
    const targets = linkTargets(group, traceId, known);
    if (targets.size > 0) folds.set(traceId, targets);
  }
  const out: TraceSpan[] = [];
  for (const [traceId, group] of byTrace) {
    const targets = folds.get(traceId);
    if (targets === undefined) {
      out.push(...group);
      continue;
    }
    const into = [...targets].filter(([target]) => !folds.has(target));
    // Every trace it links is folded itself: keep it as it is rather than lose it.
    if (into.length === 0) out.push(...group);
    for (const [target, linkedSpanId] of into)
      out.push(...group.map((span) => moved(span, target, linkedSpanId)));
  }
  return out;
}

function groupByTrace(spans: readonly TraceSpan[]): Map<string, TraceSpan[]> {
  const byTrace = new Map<string, TraceSpan[]>();
  for (const span of spans) {
    const group = byTrace.get(span.traceId);
    if (group === undefined) byTrace.set(span.traceId, [span]);
    else group.push(span);
  }
  return byTrace;
}

/** For a trace with one root, the other traces its root links to, each with the first span linked there. */
function linkTargets(
  group: readonly TraceSpan[],
  traceId: string,
  known: ReadonlySet<string>,
): Map<string, string> {
  const targets = new Map<string, string>();
  const roots = group.filter((span) => span.parentSpanId === undefined);
  if (roots.length !== 1) return targets;
  for (const link of roots[0]!.links) {
    if (link.traceId === traceId || targets.has(link.traceId)) continue;
    if (known.has(`${link.traceId}/${link.spanId}`)) targets.set(link.traceId, link.spanId);
  }
  return targets;
}

function moved(span: TraceSpan, traceId: string, linkedSpanId: string): TraceSpan {
  return {
    ...span,
    traceId,
    parentSpanId: span.parentSpanId ?? linkedSpanId,
    foldedFromTraceId: span.traceId,
  };
}
