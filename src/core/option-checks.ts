import { TracebridgeConfigError, TracebridgeErrorCode } from './errors';

/** The type an option must have when it is given. */
export type OptionType = 'boolean' | 'function' | 'string' | 'object' | 'positive integer';

/**
 * Checks, at setup, that each option in `expected` is either absent or of its type, so that a typo'd or
 * mistyped option is a named error where the adapter is created, not a surprise on the data path.
 *
 * @param where - the function the options were given to, for the message (`'traceProducer'`).
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) naming the first option that is wrong.
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
  const given = options as Record<string, unknown>;
  for (const [name, type] of Object.entries(expected)) {
    const value = given[name];
    if (value === undefined || matches(value, type)) continue;
    throw invalid(`${where}: option \`${name}\` must be a ${type}, got ${describe(value)}`);
  }
}

function matches(value: unknown, type: OptionType): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null;
    case 'positive integer':
      return Number.isInteger(value) && (value as number) > 0;
    default:
      return typeof value === type;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}

function invalid(message: string): TracebridgeConfigError {
  return new TracebridgeConfigError(TracebridgeErrorCode.InvalidOption, message);
}
