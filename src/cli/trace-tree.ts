import type { TraceSpan } from './trace-span';

/** A span in its trace's tree. */
export interface TraceNode {
  readonly span: TraceSpan;
  /** Its children, by start time. */
  readonly children: readonly TraceNode[];
  /**
   * `true` for a span whose parent is not among the spans (not exported, lost, or in another file):
   * it is shown at the top level of its trace.
   */
  readonly orphan: boolean;
}

/** The spans of one trace, as a forest: the root span and any orphans at the top. */
export interface TraceTree {
  readonly traceId: string;
  /** Top-level spans (the root, then orphans), by start time. */
  readonly roots: readonly TraceNode[];
  readonly spanCount: number;
  /** The earliest start and the latest end of the trace's spans, unix nanoseconds. */
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
}

/** A node and its depth in the tree (0 at the top). */
export interface TraceRow {
  readonly node: TraceNode;
  readonly depth: number;
}

interface MutableNode {
  readonly span: TraceSpan;
  readonly children: MutableNode[];
  orphan: boolean;
}

/**
 * Groups spans into one tree per trace. Children sort by start time (then end time, name and id, so the
 * order is deterministic). A span whose parent is missing is an orphan at the top level; a repeated span
 * id keeps its first copy; spans whose parents form a cycle (malformed input) are broken out as orphans,
 * so every span is shown exactly once.
 *
 * Traces are ordered by {@link compareTraces}: by start time, and a tie (SDKs stamp span starts in
 * milliseconds, so two traces of one test often start together) goes to the trace that entered through a
 * request, then to the larger trace, then to the lower trace id. The order never depends on input order.
 */
export function buildTraceTrees(spans: readonly TraceSpan[]): TraceTree[] {
  const byTrace = new Map<string, TraceSpan[]>();
  for (const span of spans) {
    const group = byTrace.get(span.traceId);
    if (group === undefined) byTrace.set(span.traceId, [span]);
    else group.push(span);
  }
  return [...byTrace.entries()].map(([traceId, group]) => buildTree(traceId, group)).sort(compareTraces);
}

/**
 * The order traces are listed in, by the waterfall, the outline of a failed trace assertion and the
 * problems `describeTraceProblems` reports. Earlier start first; on a tie:
 * 1. a trace with an entry root first: a top-level span that has no parent and is not a CONSUMER without
 *    links (such a CONSUMER is where a message that lost its context started a trace of its own, and a
 *    reader looks for the request that came in before the work that went astray);
 * 2. then the trace with more spans;
 * 3. then the lower trace id, so no two distinct traces ever compare equal.
 */
export function compareTraces(a: TraceTree, b: TraceTree): number {
  return (
    compareBigInt(a.startTimeUnixNano, b.startTimeUnixNano) ||
    Number(hasEntryRoot(b)) - Number(hasEntryRoot(a)) ||
    b.spanCount - a.spanCount ||
    (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0)
  );
}

function hasEntryRoot(tree: TraceTree): boolean {
  return tree.roots.some(
    ({ span, orphan }) =>
      !orphan && span.parentSpanId === undefined && !(span.kind === 'CONSUMER' && span.links.length === 0),
  );
}

function buildTree(traceId: string, spans: readonly TraceSpan[]): TraceTree {
  const nodes = new Map<string, MutableNode>();
  for (const span of spans) {
    if (!nodes.has(span.spanId)) nodes.set(span.spanId, { span, children: [], orphan: false });
  }
  const roots: MutableNode[] = [];
  for (const node of nodes.values()) {
    const parentId = node.span.parentSpanId;
    const parent = parentId === undefined ? undefined : nodes.get(parentId);
    if (parent !== undefined && parent !== node) parent.children.push(node);
    else {
      node.orphan = parentId !== undefined;
      roots.push(node);
    }
  }
  breakCycles(nodes, roots);
  sortTree(roots);
  let start: bigint | undefined;
  let end: bigint | undefined;
  for (const { span } of nodes.values()) {
    if (start === undefined || span.startTimeUnixNano < start) start = span.startTimeUnixNano;
    if (end === undefined || span.endTimeUnixNano > end) end = span.endTimeUnixNano;
  }
  return {
    traceId,
    roots,
    spanCount: nodes.size,
    startTimeUnixNano: start ?? 0n,
    endTimeUnixNano: end ?? 0n,
  };
}

/** Nodes not reachable from a root sit on a parent cycle; each cycle is cut at its earliest span. */
function breakCycles(nodes: ReadonlyMap<string, MutableNode>, roots: MutableNode[]): void {
  const reached = new Set<MutableNode>();
  const visit = (from: MutableNode): void => {
    const stack = [from];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (reached.has(node)) continue;
      reached.add(node);
      stack.push(...node.children);
    }
  };
  roots.forEach(visit);
  if (reached.size === nodes.size) return;
  const stranded = [...nodes.values()].filter((node) => !reached.has(node)).sort(compareNodes);
  for (const node of stranded) {
    if (reached.has(node)) continue;
    // Cut the edge that closes the cycle: detach the node from its parent and make it an orphan root.
    const parent = node.span.parentSpanId === undefined ? undefined : nodes.get(node.span.parentSpanId);
    if (parent !== undefined) parent.children.splice(parent.children.indexOf(node), 1);
    node.orphan = true;
    roots.push(node);
    visit(node);
  }
}

function sortTree(roots: MutableNode[]): void {
  const stack = [roots];
  for (let siblings = stack.pop(); siblings !== undefined; siblings = stack.pop()) {
    siblings.sort(compareNodes);
    for (const node of siblings) if (node.children.length > 0) stack.push(node.children);
  }
}

function compareNodes(a: MutableNode, b: MutableNode): number {
  return (
    compareBigInt(a.span.startTimeUnixNano, b.span.startTimeUnixNano) ||
    compareBigInt(a.span.endTimeUnixNano, b.span.endTimeUnixNano) ||
    a.span.name.localeCompare(b.span.name) ||
    a.span.spanId.localeCompare(b.span.spanId)
  );
}

function compareBigInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The tree's nodes in display order: each node followed by its children, depth first. */
export function traceRows(tree: TraceTree): TraceRow[] {
  const rows: TraceRow[] = [];
  // An explicit stack rather than recursion: a hostile file may nest spans thousands deep.
  const stack: TraceRow[] = [...tree.roots].reverse().map((node) => ({ node, depth: 0 }));
  for (let row = stack.pop(); row !== undefined; row = stack.pop()) {
    rows.push(row);
    for (let i = row.node.children.length - 1; i >= 0; i--) {
      stack.push({ node: row.node.children[i]!, depth: row.depth + 1 });
    }
  }
  return rows;
}

/** The services of a trace, in the order their first span appears in the rows. */
export function servicesOf(rows: readonly TraceRow[]): string[] {
  const services = new Set<string>();
  for (const { node } of rows) if (node.span.serviceName !== undefined) services.add(node.span.serviceName);
  return [...services];
}
