/** What decides whether output is coloured. */
export interface ColorContext {
  /** `--color` (true), `--no-color` (false), or neither. */
  readonly flag: boolean | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The output stream: a TTY's `hasColors()` knows the terminal's colour depth (and `TERM=dumb`). */
  readonly stream: { readonly isTTY?: boolean; hasColors?(): boolean };
}

/**
 * Whether to colour the output. In order: the `--color` / `--no-color` flag; `FORCE_COLOR` (on, unless
 * it is `0` or `false`: Node's convention, which lets it override `NO_COLOR`); a non-empty `NO_COLOR`
 * (no-color.org); otherwise colour only on a terminal that reports colour support.
 * @see https://nodejs.org/api/tty.html#writestreamgetcolordepthenv
 * @see https://no-color.org/
 */
export function shouldUseColor({ flag, env, stream }: ColorContext): boolean {
  if (flag !== undefined) return flag;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (stream.isTTY !== true) return false;
  return typeof stream.hasColors === 'function' ? stream.hasColors() : true;
}
