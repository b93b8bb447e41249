import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import { checkOptionTypes } from '../core/option-checks';
import { ATTR_TRACEBRIDGE_DELAY_MS, ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS } from '../core/semantic-attributes';
import { formatDuration } from './format-duration';
import { columns, fitEnd, fitStart, sanitize, truncate, wrapItems } from './terminal-text';
import type { SpanKindName, TraceSpan } from './trace-span';
import { buildTraceTrees, servicesOf, traceRows } from './trace-tree';
import type { TraceRow, TraceTree } from './trace-tree';
import {
  DURATION_WIDTH,
  MARK_WIDTH,
  MAX_INDENT,
  MIN_WIDTH,
  barCells,
  indentPerLevel,
  indentation,
  indentationText,
  layoutColumns,
} from './waterfall-layout';
import type { WaterfallColumns } from './waterfall-layout';
import { COLOR_STYLE, PLAIN_STYLE } from './waterfall-style';
import type { WaterfallStyle } from './waterfall-style';

/** Options of {@link renderWaterfall}. Every field is optional; defaults are listed with each. */
export interface WaterfallOptions {
  /**
   * Columns every line must fit in (at least 50): long names are cut with `…` and the bar gets the rest.
   * Default: 100.
   */
  readonly width?: number | undefined;
  /**
   * ANSI colours and block bars (`█` working, `░` waiting in a queue) instead of plain ASCII (`=` and
   * `.`). Default: false.
   */
  readonly color?: boolean | undefined;
  /**
   * Only the trace with this id (32 lowercase hex digits); the other spans still name the targets of its
   * links. Default: every trace.
   */
  readonly traceId?: string | undefined;
}

/** The defaults of {@link WaterfallOptions}. */
export const DEFAULT_WATERFALL_OPTIONS: Readonly<{ width: number; color: boolean }> = Object.freeze({
  width: 100,
  color: false,
});

/** Kinds on a narrow line. */
const COMPACT_KINDS: Readonly<Record<SpanKindName, string>> = {
  UNSPECIFIED: '-',
  INTERNAL: 'INTL',
  SERVER: 'SERV',
  CLIENT: 'CLNT',
  PRODUCER: 'PROD',
  CONSUMER: 'CONS',
};

/** What a row shows for a span with an empty name, and for a span of no known service. */
const UNNAMED = '(unnamed)';
const UNKNOWN_SERVICE = '?';

/**
 * Renders spans as one waterfall per trace, traces by start time: a header (trace id, duration, span
 * count, then the services in the order the request reached them), then a row per span in tree order (children under their parents, by start
 * time, indented by depth) with its service, name, kind, duration and a bar on a time axis shared by the
 * whole trace. A span carrying `tracebridge.messaging.time_in_queue_ms` has its queue wait (plus any
 * `tracebridge.messaging.delay_ms` of a delayed job) drawn before
 * its bar; error spans are marked `!`; spans whose parent is missing are shown at the top level, marked
 * `~`; links are noted under their span (and a span `foldLinkedTraces` moved says where from). Names win
 * over bars on wide lines; indentation stops at 16 columns, deeper spans showing their level (`L18`).
 * A legend comes first. Every line fits `width`.
 *
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) when `width` is not an integer ≥ 50.
 */
export function renderWaterfall(spans: readonly TraceSpan[], options?: WaterfallOptions): string {
  checkOptionTypes('renderWaterfall', options, {
    width: 'positive integer',
    color: 'boolean',
    traceId: 'string',
  });
  // Field by field, not by spreading: an option given as `undefined` means its default, not `undefined`.
  const width = options?.width ?? DEFAULT_WATERFALL_OPTIONS.width;
  const color = options?.color ?? DEFAULT_WATERFALL_OPTIONS.color;
  const traceId = options?.traceId;
  if (width < MIN_WIDTH) {
    throw new TracebridgeConfigError(
      TracebridgeErrorCode.InvalidOption,
      `renderWaterfall: option \`width\` must be at least ${MIN_WIDTH}, got ${width}`,
    );
  }
  const style = color ? COLOR_STYLE : PLAIN_STYLE;
  const known = new Map(spans.map((span) => [`${span.traceId}/${span.spanId}`, span]));
  const lines = legend(style, width);
  const shown = traceId === undefined ? spans : spans.filter((span) => span.traceId === traceId);
  for (const tree of buildTraceTrees(shown)) lines.push('', ...renderTrace(tree, style, width, known));
  return `${lines.join('\n')}\n`;
}

function legend(style: WaterfallStyle, width: number): string[] {
  const items = [
    'legend:',
    `${style.work.repeat(2)} working`,
    `${style.wait.repeat(2)} waiting in queue`,
    '! error',
    '~ orphan (parent not found)',
    `${style.link} link`,
  ];
  return wrapItems(items, '  ', width, ' '.repeat('legend: '.length)).map((line) =>
    style.paint(line, 'legend'),
  );
}

function renderTrace(
  tree: TraceTree,
  style: WaterfallStyle,
  width: number,
  known: ReadonlyMap<string, TraceSpan>,
): string[] {
  const rows = traceRows(tree);
  const services = servicesOf(rows);
  const layout = layoutFor(rows, width);
  const total = formatDuration(tree.endTimeUnixNano - tree.startTimeUnixNano);
  const header = [`trace ${tree.traceId}`, total, plural(tree.spanCount, 'span')].join(style.separator);
  const serviceList = wrapItems(
    [
      `${plural(services.length, 'service')}:`,
      ...services.map((service, i) => `${sanitize(service)}${i < services.length - 1 ? ',' : ''}`),
    ],
    ' ',
    width,
    '  ',
  );
  const lines = [
    style.paint(truncate(header, width), 'trace-header'),
    ...serviceList.map((line) => style.paint(line, 'trace-header')),
    columnHeader(layout, total, style),
  ];
  for (const row of rows) {
    lines.push(renderRow(row, layout, tree, services, style));
    for (const note of notesOf(row, known, style)) {
      const indent =
        MARK_WIDTH + 1 + layout.service + 1 + indentation(row.depth, layout.indent, layout.name) + 2;
      lines.push(style.paint(truncate(' '.repeat(indent) + note, width), 'note'));
    }
  }
  return lines;
}

/** Column widths for `rows`, and the indentation per level of depth. */
function layoutFor(rows: readonly TraceRow[], width: number): WaterfallColumns & { indent: number } {
  // A loop, not Math.max(...rows): a spread of a very large trace would overflow the argument stack.
  let service = 0;
  let name = 0;
  let depth = 0;
  for (const row of rows) {
    service = Math.max(service, columns(serviceLabel(row.node.span)));
    name = Math.max(name, columns(nameLabel(row.node.span)));
    depth = Math.max(depth, row.depth);
  }
  const flat = layoutColumns(width, { service, name });
  const indent = indentPerLevel(depth, flat.name);
  let widestIndented = 0;
  for (const row of rows) {
    widestIndented = Math.max(
      widestIndented,
      Math.min(row.depth * indent, MAX_INDENT) + columns(nameLabel(row.node.span)),
    );
  }
  return { ...layoutColumns(width, { service, name: widestIndented }), indent };
}

function columnHeader(layout: WaterfallColumns, total: string, style: WaterfallStyle): string {
  const axis =
    layout.bar >= columns(total) + 2 ? `0${fitStart(total, layout.bar - 1)}` : fitStart(total, layout.bar);
  const text = [
    ' '.repeat(MARK_WIDTH),
    fitEnd('SERVICE', layout.service),
    fitEnd('SPAN', layout.name),
    fitEnd('KIND', layout.kind),
    fitStart('DURATION', DURATION_WIDTH),
    `|${axis}|`,
  ].join(' ');
  return style.paint(text, 'column-header');
}

function renderRow(
  { node, depth }: TraceRow,
  layout: WaterfallColumns & { indent: number },
  tree: TraceTree,
  services: readonly string[],
  style: WaterfallStyle,
): string {
  const { span } = node;
  const error = span.status === 'ERROR';
  const serviceIndex = span.serviceName === undefined ? 0 : services.indexOf(span.serviceName);
  const indent = indentationText(depth, layout.indent, layout.name);
  const name = indent + fitEnd(nameLabel(span), layout.name - indent.length);
  const cells = barCells(
    span,
    { start: tree.startTimeUnixNano, end: tree.endTimeUnixNano },
    layout.bar,
    queueMs(span),
  );
  const bar = [
    ' '.repeat(cells.waitStart),
    style.paint(style.wait.repeat(cells.workStart - cells.waitStart), 'wait'),
    style.paint(style.work.repeat(cells.workEnd - cells.workStart), error ? 'error' : 'work', serviceIndex),
    ' '.repeat(layout.bar - cells.workEnd),
  ].join('');
  return [
    (error ? style.paint('!', 'error') : ' ') + (node.orphan ? style.paint('~', 'orphan') : ' '),
    style.paint(fitEnd(serviceLabel(span), layout.service), 'service', serviceIndex),
    error ? style.paint(name, 'error') : name,
    fitEnd(layout.kind < span.kind.length ? COMPACT_KINDS[span.kind] : span.kind, layout.kind),
    fitStart(formatDuration(span.endTimeUnixNano - span.startTimeUnixNano), DURATION_WIDTH),
    `|${bar}|`,
  ].join(' ');
}

function notesOf({ node }: TraceRow, known: ReadonlyMap<string, TraceSpan>, style: WaterfallStyle): string[] {
  const notes: string[] = [];
  if (node.orphan) notes.push(`~ parent ${node.span.parentSpanId ?? '?'} not found`);
  const folded = node.span.foldedFromTraceId;
  if (folded !== undefined && node.span.links.length > 0) {
    notes.push(`${style.link} folded in from its own trace ${shortId(folded)}: linked, not a child`);
  }
  const [first, ...others] = node.span.links;
  if (first !== undefined) {
    const target = known.get(`${first.traceId}/${first.spanId}`);
    const what =
      target === undefined
        ? `span ${first.spanId}`
        : `${sanitize(nameLabel(target))} (${sanitize(serviceLabel(target))})`;
    const where =
      first.traceId === node.span.traceId ? 'in this trace' : `in trace ${shortId(first.traceId)}`;
    const more = others.length > 0 ? ` (+${others.length} more)` : '';
    notes.push(`${style.link} link to ${what} ${where}${more}`);
  }
  return notes;
}

/**
 * How long the span's message waited before its consumer got it: its time in queue, plus, for a delayed
 * job, the delay it was scheduled with (spent in the delayed set before it reached the queue at all).
 */
function queueMs(span: TraceSpan): number | undefined {
  const inQueue = span.attributes[ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS];
  if (typeof inQueue !== 'number') return undefined;
  const delay = span.attributes[ATTR_TRACEBRIDGE_DELAY_MS];
  return typeof delay === 'number' && delay > 0 ? inQueue + delay : inQueue;
}

function nameLabel(span: TraceSpan): string {
  return span.name === '' ? UNNAMED : sanitize(span.name);
}

function serviceLabel(span: TraceSpan): string {
  return span.serviceName === undefined || span.serviceName === ''
    ? UNKNOWN_SERVICE
    : sanitize(span.serviceName);
}

/** Enough of an id to find it (and to pass to `--trace`), short enough for a note. */
function shortId(id: string): string {
  return `${id.slice(0, 8)}…`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
