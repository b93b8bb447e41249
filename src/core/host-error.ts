import type { Exception } from '@opentelemetry/api';

/**
 * What a span records about a value the application threw or rejected with, read once and defensively.
 *
 * The value is the host's and may be anything: an `Error` whose `name` or `stack` getter throws, a Proxy
 * whose every trap throws, a revoked Proxy (on which even `instanceof` throws), `null`, a number. Nothing
 * here may throw, because a throw would reach the host in place of its own error. So each property is read
 * once inside its own guard, and the SDK is handed a plain {@link Exception} made of those reads, never the
 * host's value itself (the SDK's `recordException` reads `code`, `name`, `message` and `stack` again).
 */
export interface HostErrorDescription {
  /** `error.type` per the conventions: the error's class name, or `_OTHER`. */
  readonly type: string;
  /** The span status description. */
  readonly message: string;
  /** What to pass to `recordException`, or `undefined` when the value is no exception to record. */
  readonly exception: Exception | undefined;
}

/** The `error.type` of a value that names no class, per the conventions. */
const OTHER = '_OTHER';

/** Status descriptions and recorded messages are capped: a host's error message can be megabytes. */
const MAX_MESSAGE_CHARS = 4096;

/** Stacks are capped for the same reason, at the size of a deep stack trace. */
const MAX_STACK_CHARS = 16_384;

/**
 * `error.type` per the conventions for what the application threw: the error's class name, or `_OTHER`.
 * Cheap (no stack is read), for metrics that are recorded whether or not the span is. Never throws.
 */
export function hostErrorType(error: unknown): string {
  if (typeof error === 'string' || !isError(error)) return OTHER;
  return stringProperty(error, 'name') || className(error) || OTHER;
}

/** Describes what the application threw (or rejected with), for a recording span. Never throws. */
export function describeHostError(error: unknown): HostErrorDescription {
  if (typeof error === 'string') {
    const message = capped(error, MAX_MESSAGE_CHARS);
    return { type: OTHER, message, exception: message };
  }
  if (!isError(error)) return { type: OTHER, message: describeValue(error), exception: undefined };
  const name = stringProperty(error, 'name');
  const message = stringProperty(error, 'message') ?? '';
  const type = name || className(error) || OTHER;
  const exception: Exception = { name: name ?? type, message };
  const stack = stringProperty(error, 'stack', MAX_STACK_CHARS);
  if (stack !== undefined) exception.stack = stack;
  const code = readProperty(error, 'code');
  if (typeof code === 'string') exception.code = capped(code, MAX_MESSAGE_CHARS);
  else if (typeof code === 'number') exception.code = code;
  return { type, message, exception };
}

/** `instanceof Error`, which runs a Proxy's `getPrototypeOf` trap and throws on a revoked Proxy. */
function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** `value[key]`, or `undefined` when reading it throws (a getter, a Proxy trap). */
function readProperty(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function stringProperty(value: object, key: string, max = MAX_MESSAGE_CHARS): string | undefined {
  const read = readProperty(value, key);
  return typeof read === 'string' ? capped(read, max) : undefined;
}

/** The constructor's name, as the conventions suggest when the error has no `name`. */
function className(error: Error): string | undefined {
  const constructor = readProperty(error, 'constructor');
  if (typeof constructor !== 'function') return undefined;
  const name = readProperty(constructor, 'name');
  return typeof name === 'string' ? capped(name, MAX_MESSAGE_CHARS) : undefined;
}

/**
 * A description of a thrown value that is not an `Error`: primitives as `String` gives them, objects by
 * their type only. Calling an object's `toString` would run the host's code (or a Proxy trap) again.
 */
function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'symbol':
      return value.toString();
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return value === null ? 'thrown null' : `thrown ${typeof value}`;
  }
}

function capped(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
