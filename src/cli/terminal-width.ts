import { MIN_WIDTH } from './waterfall-layout';

/** The width used when nothing says how wide the output is (a pipe, a file, no `COLUMNS`). */
export const DEFAULT_WIDTH = 100;

/** What decides the output width. */
export interface WidthContext {
  /** `--width N`. */
  readonly flag: number | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The output stream; a TTY knows its `columns`. */
  readonly stream: { readonly isTTY?: boolean; readonly columns?: number | undefined };
}

/**
 * The columns to fit: `--width`, else the terminal's width, else `COLUMNS`, else {@link DEFAULT_WIDTH};
 * never below the narrowest layout (a narrower terminal wraps, rather than losing the bars).
 */
export function resolveWidth({ flag, env, stream }: WidthContext): number {
  if (flag !== undefined) return Math.max(MIN_WIDTH, flag);
  const candidates = [stream.isTTY === true ? stream.columns : undefined, Number(env['COLUMNS'])];
  const width = candidates.find((value) => value !== undefined && Number.isInteger(value) && value > 0);
  return Math.max(MIN_WIDTH, width ?? DEFAULT_WIDTH);
}
