/**
 * The geometry of a waterfall row:
 *
 *     MM SERVICE NAME KIND DURATION |BAR|
 *
 * `MM` holds the marks (`!` error, `~` orphan); the kind and duration columns have fixed widths; the
 * service and name columns take what their longest entries need; the bar takes the rest. Names win over
 * bars: the bar is only guaranteed {@link MIN_BAR_SHARE} of the variable columns up to
 * {@link MAX_RESERVED_BAR} cells, so on a wide line the name column grows with the width, and the
 * indentation is capped at {@link MAX_INDENT} so a deep span still shows its name.
 */

/** Columns of the marks (`!` error, `~` orphan). */
export const MARK_WIDTH = 2;
/** Columns of the kind: the longest kinds (`CONSUMER`, `PRODUCER`, `INTERNAL`) have 8 letters. */
export const KIND_WIDTH = 8;
/** Below this width kinds are abbreviated to 4 letters (`CONS`), leaving the names 4 more columns. */
export const COMPACT_KIND_BELOW = 80;
const COMPACT_KIND_WIDTH = 4;
/** Columns of the duration: {@link formatDuration} never needs more than 8. */
export const DURATION_WIDTH = 8;
/** The narrowest line a waterfall is laid out for. */
export const MIN_WIDTH = 50;

// Marks and duration, the single spaces between the six columns, and the bar's two frame `|`.
const FIXED_WIDTH = MARK_WIDTH + DURATION_WIDTH + 5 + 2;
const MAX_SERVICE_WIDTH = 16;
const MIN_SERVICE_WIDTH = 6;
const MIN_NAME_WIDTH = 8;
/** Names are cut to this before services are cut at all: a service name is short and says the most. */
const READABLE_NAME_WIDTH = 12;
const MIN_BAR_WIDTH = 10;
/** The share of the variable columns the bar gets at least, however long the names... */
const MIN_BAR_SHARE = 0.45;
/** ...but never more than this many cells are kept from the names: 40 cells show a trace's shape. */
const MAX_RESERVED_BAR = 40;
/** The most columns of indentation, however deep a span (8 levels of two, 16 of one). */
export const MAX_INDENT = 16;
/** However deep a span, at least this much of its name shows after the indentation. */
const MIN_VISIBLE_NAME = 6;

/** The widths of the variable columns. */
export interface WaterfallColumns {
  /** {@link KIND_WIDTH}, or 4 on a narrow line (kinds abbreviated). */
  readonly kind: number;
  readonly service: number;
  readonly name: number;
  /** Cells of the bar, between its two frame characters. */
  readonly bar: number;
}

/**
 * Column widths for a line of `width` columns (at least {@link MIN_WIDTH}), given the widest service
 * name and the widest indented span name.
 */
export function layoutColumns(width: number, widest: { service: number; name: number }): WaterfallColumns {
  const kind = width < COMPACT_KIND_BELOW ? COMPACT_KIND_WIDTH : KIND_WIDTH;
  const available = Math.max(MIN_WIDTH, width) - FIXED_WIDTH - kind;
  const minBar = Math.max(MIN_BAR_WIDTH, Math.min(MAX_RESERVED_BAR, Math.floor(available * MIN_BAR_SHARE)));
  let service = clamp(widest.service, MIN_SERVICE_WIDTH, MAX_SERVICE_WIDTH);
  let name = Math.max(widest.name, MIN_NAME_WIDTH);
  // Over budget: cut names first (to a readable minimum), then services, then names to their minimum.
  let excess = service + name + minBar - available;
  const cutName = Math.min(Math.max(0, excess), Math.max(0, name - READABLE_NAME_WIDTH));
  name -= cutName;
  excess -= cutName;
  const cutService = Math.min(Math.max(0, excess), service - MIN_SERVICE_WIDTH);
  service -= cutService;
  excess -= cutService;
  name -= Math.min(Math.max(0, excess), name - MIN_NAME_WIDTH);
  return { kind, service, name, bar: Math.max(1, available - service - name) };
}

/**
 * Columns of indentation per level: two, or one when the deepest span would otherwise spend more than a
 * third of the name column on indentation (a five-service pipeline easily nests ten deep).
 */
export function indentPerLevel(maxDepth: number, nameWidth: number): number {
  return maxDepth * 2 <= nameWidth / 3 ? 2 : 1;
}

/**
 * The indentation of a span at `depth`: at most {@link MAX_INDENT} columns, and capped so that some of
 * its name always shows.
 */
export function indentation(depth: number, perLevel: number, nameWidth: number): number {
  return Math.min(depth * perLevel, MAX_INDENT, Math.max(0, nameWidth - MIN_VISIBLE_NAME));
}

/**
 * The indentation of a span as text: spaces, ending in the span's level (`L18 `) when the cap keeps the
 * indentation from showing how deep the span is.
 */
export function indentationText(depth: number, perLevel: number, nameWidth: number): string {
  const columns = indentation(depth, perLevel, nameWidth);
  const level = `L${depth} `;
  if (columns >= depth * perLevel || columns <= level.length) return ' '.repeat(columns);
  return ' '.repeat(columns - level.length) + level;
}

/** The cells of one bar: `[waitStart, workStart)` waiting in a queue, `[workStart, workEnd)` working. */
export interface BarCells {
  readonly waitStart: number;
  readonly workStart: number;
  readonly workEnd: number;
}

/** The time axis of a trace, unix nanoseconds. */
export interface TimeAxis {
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * Where a span's bar lies on `cells` cells spanning `axis`. Every span gets at least one cell, however
 * short. `queueMs`, the time its message waited before the span started, is drawn in the cells before
 * the bar, clipped at the start of the axis.
 */
export function barCells(
  span: { readonly startTimeUnixNano: bigint; readonly endTimeUnixNano: bigint },
  axis: TimeAxis,
  cells: number,
  queueMs = 0,
): BarCells {
  const total = Number(axis.end - axis.start) || 1;
  const cellOf = (offsetNs: number): number => clamp(Math.round((offsetNs / total) * cells), 0, cells);
  const startNs = Number(span.startTimeUnixNano - axis.start);
  const workStart = Math.min(cellOf(startNs), cells - 1);
  const workEnd = Math.max(workStart + 1, cellOf(Number(span.endTimeUnixNano - axis.start)));
  const waitNs = Number.isFinite(queueMs) && queueMs > 0 ? queueMs * 1e6 : 0;
  const waitStart = Math.min(workStart, cellOf(startNs - waitNs));
  return { waitStart, workStart, workEnd };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
