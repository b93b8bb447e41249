/**
 * Hex checks of propagation ids, read character by character through a table with no branch on each
 * character's class: a `0-9` / `a-f` range test mispredicts on random hex (ids are random), which made such
 * a check cost more than the whole regular expression a propagator runs on the same value.
 */

/** Which digits a check accepts: lowercase only (W3C traceparent), or either case (the API's id check). */
export type HexCase = 'lower' | 'any';

/** Per character code below 128: 1 for what is not a digit of that case, 0 for a digit. */
function notDigitTable(digits: string): Uint8Array {
  const table = new Uint8Array(128).fill(1);
  for (const digit of digits) table[digit.charCodeAt(0)] = 0;
  return table;
}

const NOT_DIGIT: Readonly<Record<HexCase, Uint8Array>> = {
  lower: notDigitTable('0123456789abcdef'),
  any: notDigitTable('0123456789abcdefABCDEF'),
};

/** Whether `value[from, to)` is hex digits of that case: an OR of table entries, no early exit to mispredict. */
export function isHexRun(value: string, from: number, to: number, hexCase: HexCase): boolean {
  const notDigit = NOT_DIGIT[hexCase];
  let bad = 0;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    // `c >> 7` is non-zero for any code above ASCII, which the table (indexed by the low 7 bits) cannot tell.
    bad |= (c >> 7) | (notDigit[c & 0x7f] ?? 1);
  }
  return bad === 0;
}
