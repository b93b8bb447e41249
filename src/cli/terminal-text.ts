/**
 * Text measured and cut in terminal columns. A column is taken to be one code point: names in traces
 * are overwhelmingly ASCII, and East Asian wide characters or emoji (two columns) only misalign a row,
 * never break it.
 */

/** The ellipsis that marks cut text. */
export const ELLIPSIS = '…';

// C0 and C1 control characters and DEL. A span name from a file is data, not terminal commands: an
// escape sequence in it must not recolour, move the cursor or retitle the user's terminal.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with control characters replaced by `?`, safe to print. */
export function sanitize(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '?');
}

/** The width of `text` in columns. */
export function columns(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** `text` cut to at most `width` columns, ending in `…` when it was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  const points = [...text];
  if (points.length <= width) return text;
  return points.slice(0, width - 1).join('') + ELLIPSIS;
}

/** `text` cut or padded with spaces on the right to exactly `width` columns. */
export function fitEnd(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut + ' '.repeat(Math.max(0, width - columns(cut)));
}

/** `text` cut, or padded with spaces on the left, to exactly `width` columns. */
export function fitStart(text: string, width: number): string {
  const cut = truncate(text, width);
  return ' '.repeat(Math.max(0, width - columns(cut))) + cut;
}

/**
 * Joins `items` with `separator` into lines of at most `width` columns, an item never split unless it
 * alone is wider than a line (then it is cut).
 */
export function wrapItems(items: readonly string[], separator: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const candidate = line === '' ? item : `${line}${separator}${item}`;
    if (line !== '' && columns(candidate) > width) {
      lines.push(line);
      line = `${indent}${item}`;
    } else {
      line = candidate;
    }
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => truncate(l, width));
}
