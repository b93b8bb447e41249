/**
 * How a waterfall looks: the glyphs of its bars and the colours of its parts. Layout is computed on
 * plain text first and painted afterwards, so a style never changes a column.
 */

/** The parts of a waterfall a style may paint. */
export type WaterfallPart =
  'legend' | 'trace-header' | 'column-header' | 'service' | 'work' | 'wait' | 'error' | 'orphan' | 'note';

/** Glyphs and paint. */
export interface WaterfallStyle {
  /** Fills the part of a bar when the span was working. */
  readonly work: string;
  /** Fills the part of a bar before a consumer span, while its message waited in the queue. */
  readonly wait: string;
  /** Precedes a note about a span's links. */
  readonly link: string;
  /** Separates the parts of a trace's header line. */
  readonly separator: string;
  /** `text` painted as `part`; `service` is the index of the row's service, for its colour. */
  paint(text: string, part: WaterfallPart, service?: number): string;
}

/** No colour, ASCII bars: for files, pipes, and terminals without colour. */
export const PLAIN_STYLE: WaterfallStyle = {
  work: '=',
  wait: '.',
  link: '->',
  separator: '  ',
  paint: (text) => text,
};

const RESET = '\u001b[0m';
// Distinct, readable foreground colours on dark and light backgrounds, one per service in row order.
const SERVICE_COLOURS = ['36', '35', '33', '32', '34', '96', '95', '93', '92', '94'];
const PART_COLOURS: Readonly<Record<Exclude<WaterfallPart, 'service' | 'work'>, string>> = {
  legend: '2',
  'trace-header': '1',
  'column-header': '2',
  wait: '2',
  error: '1;31',
  orphan: '1;33',
  note: '2',
};

/** ANSI colours and block bars: for terminals that support colour. */
export const COLOR_STYLE: WaterfallStyle = {
  work: '█',
  wait: '░',
  link: '↳',
  separator: '  ·  ',
  paint(text, part, service = 0) {
    if (text === '') return text;
    const code =
      part === 'service' || part === 'work'
        ? SERVICE_COLOURS[service % SERVICE_COLOURS.length]!
        : PART_COLOURS[part];
    return `\u001b[${code}m${text}${RESET}`;
  },
};
