import { sanitize } from './terminal-text';
import type { TraceSpan } from './trace-span';
import { buildTraceTrees, traceRows } from './trace-tree';

/** How many span lines an outline shows at most, so that an assertion message stays readable. */
const DEFAULT_MAX_LINES = 60;

/**
 * A compact text tree of spans, one line per span, indented under its parent, for messages such as a
 * failed trace assertion (no time axis: it has to read well in any test runner's output):
 *
 *     trace 4bf92f3577b34da6a3ce929d0e0e4736 (3 spans)
 *       POST /checkout  SERVER  gateway
 *         send orders  PRODUCER  orders
 *       process orders  CONSUMER  billing  [orphan: parent 53995c3f42cd8ad8 not found]
 */
export function renderTraceOutline(spans: readonly TraceSpan[], maxLines = DEFAULT_MAX_LINES): string {
  const lines: string[] = [];
  let omitted = 0;
  for (const tree of buildTraceTrees(spans)) {
    const rows = traceRows(tree);
    const room = maxLines - lines.length - 1;
    if (room <= 0) {
      omitted += rows.length;
      continue;
    }
    lines.push(`trace ${tree.traceId} (${tree.spanCount} ${tree.spanCount === 1 ? 'span' : 'spans'})`);
    for (const { node, depth } of rows.slice(0, room)) {
      const { span } = node;
      const marks = [
        span.status === 'ERROR'
          ? `ERROR${span.statusMessage === undefined ? '' : `: ${span.statusMessage}`}`
          : '',
        node.orphan ? `orphan: parent ${span.parentSpanId ?? '?'} not found` : '',
      ].filter((mark) => mark !== '');
      const text = [span.name || '(unnamed)', span.kind, span.serviceName ?? '?'].join('  ');
      lines.push(
        `${'  '.repeat(depth + 1)}${sanitize(text)}${marks.length > 0 ? `  [${sanitize(marks.join('; '))}]` : ''}`,
      );
    }
    omitted += Math.max(0, rows.length - room);
  }
  if (omitted > 0) lines.push(`… ${omitted} more ${omitted === 1 ? 'span' : 'spans'}`);
  return lines.join('\n');
}
