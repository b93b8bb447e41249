import type { OverlongLine } from './json-documents';

/**
 * The lines of a stream of text, without their "\n", holding at most `maxLineChars` characters of one
 * line: the rest of a longer line is dropped as it arrives and the line is reported as overlong, so a
 * file of any size, or one endless line, is read in bounded memory.
 */
export async function* textLines(
  chunks: AsyncIterable<string>,
  maxLineChars: number,
): AsyncGenerator<string | OverlongLine> {
  let pending = '';
  /** Characters of the current line dropped so far; -1 while the line is being kept. */
  let dropped = -1;
  for await (const chunk of chunks) {
    let from = 0;
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', from)) {
      const piece = chunk.slice(from, newline);
      from = newline + 1;
      if (dropped >= 0) {
        yield { overlong: dropped + piece.length };
        dropped = -1;
      } else if (pending.length + piece.length > maxLineChars) {
        yield { overlong: pending.length + piece.length };
      } else {
        yield pending + piece;
      }
      pending = '';
    }
    const rest = chunk.slice(from);
    if (dropped >= 0) dropped += rest.length;
    else if (pending.length + rest.length > maxLineChars) {
      dropped = pending.length + rest.length;
      pending = '';
    } else pending += rest;
  }
  if (dropped >= 0) yield { overlong: dropped };
  else if (pending !== '') yield pending;
}
