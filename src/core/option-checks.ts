import { closestNames } from './closest-name';
import { TracebridgeConfigError, TracebridgeErrorCode } from './errors';

/**
 * The type an option must have when it is given. `'string or object'` is for options such as `incoming`,
 * which take either form and whose content the adapter checks itself.
 */
export type OptionType =
  | 'boolean'
  | 'function'
  | 'string'
  | 'object'
  | 'array'
  | 'string or object'
  | 'positive integer'
  | 'non-negative integer';

/**
 * Checks, at setup, that `options` holds only the options in `expected`, each either absent or of its
 * type, so that a typo'd or mistyped option is a named error where the adapter is created, not an option
 * silently ignored (`recordKeys: false` recording keys all the same) or a surprise on the data path.
 *
 * Every option an adapter accepts must therefore be listed in its `expected` map.
 *
 * @param where - the function the options were given to, for the message (`'traceProducer'`).
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) naming the first option that is unknown
 *   (with the closest valid names, when some are close) or of the wrong type.
 */
export function checkOptionTypes(
  where: string,
  options: object | undefined,
  expected: Readonly<Record<string, OptionType>>,
): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw invalid(`${where}: options must be an object, got ${describe(options)}`);
  }
  checkKnownKeys(where, options, Object.keys(expected));
  const given = options as Record<string, unknown>;
  for (const [name, type] of Object.entries(expected)) {
    const value = given[name];
    if (value === undefined || matches(value, type)) continue;
    throw invalid(
      `${where}: option \`${name}\` must be ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}, got ${describe(value)}`,
    );
  }
}

/** How {@link checkKnownKeys} words and codes its error. */
export interface KnownKeysCheck {
  /** The error's code. Default: `TRACEBRIDGE_INVALID_OPTION`. */
  readonly code?: TracebridgeErrorCode;
  /** What a key is called in the message. Default: `'option'`; `'key'` for objects nested in options. */
  readonly noun?: string;
}

/**
 * Checks that every own key of `object` is one of `known`: for options and for the objects nested in them
 * (`incoming: { default, rules }`).
 *
 * @param where - what `object` is, for the message (`'traceConsumer'`, `'incoming'`).
 * @throws TracebridgeConfigError naming the first unknown key and the closest known ones, or listing the
 *   known ones when none is close.
 */
export function checkKnownKeys(
  where: string,
  object: object,
  known: readonly string[],
  { code = TracebridgeErrorCode.InvalidOption, noun = 'option' }: KnownKeysCheck = {},
): void {
  const unknown = Object.keys(object).find((key) => !known.includes(key));
  if (unknown === undefined) return;
  const close = closestNames(unknown, known);
  const hint =
    close.length > 0
      ? `did you mean ${close.map((name) => `\`${name}\``).join(' or ')}?`
      : `the ${noun}s are ${known.map((name) => `\`${name}\``).join(', ')}`;
  throw new TracebridgeConfigError(code, `${where}: unknown ${noun} ${quoted(unknown)}; ${hint}`);
}

function matches(value: unknown, type: OptionType): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null;
    case 'array':
      return Array.isArray(value);
    case 'string or object':
      return typeof value === 'string' || (typeof value === 'object' && value !== null);
    case 'positive integer':
      return Number.isInteger(value) && (value as number) > 0;
    case 'non-negative integer':
      return Number.isInteger(value) && (value as number) >= 0;
    default:
      return typeof value === type;
  }
}

/** A key for a message: backquoted, shortened, control characters escaped. */
function quoted(key: string): string {
  const short = key.length > 40 ? `${key.slice(0, 40)}…` : key;
  const escaped = JSON.stringify(short).slice(1, -1);
  return `\`${escaped}\``;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}

function invalid(message: string): TracebridgeConfigError {
  return new TracebridgeConfigError(TracebridgeErrorCode.InvalidOption, message);
}
