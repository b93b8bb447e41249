/**
 * Bounds on text read from a foreign file or backend, applied before anything else looks at it: a span
 * name of a million characters is cut here, so that no later step (sanitizing, measuring, a RegExp)
 * ever sees more than {@link MAX_TEXT_CHARS} characters of one field (issue 12: the CLI's readers of
 * foreign files bound their input before any RegExp).
 */

/** The most characters of a name, service name or status message that are kept. */
export const MAX_TEXT_CHARS = 1000;

/** The longest numeric text read as a number: 20 digits hold any unsigned 64-bit value. */
export const MAX_NUMBER_CHARS = 32;

/** `value` when it is a string, cut to {@link MAX_TEXT_CHARS} (ending in `…` when cut); else `undefined`. */
export function boundedText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length <= MAX_TEXT_CHARS ? value : `${value.slice(0, MAX_TEXT_CHARS - 1)}…`;
}

/** `value` when it is a string short enough to be a number's text; else `undefined`. */
export function numberText(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_NUMBER_CHARS ? value : undefined;
}

/** A short, safe rendering of a bad value for a problem message. */
export function preview(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  // A number, a boolean or null: short already.
  return (JSON.stringify(value) ?? typeof value).slice(0, 40);
}

/** Epoch or duration microseconds (Zipkin's and Jaeger's unit: a non-negative integer) as nanoseconds. */
export function microsecondsAsNanos(value: unknown): bigint | undefined {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return undefined;
  return BigInt(value) * 1000n;
}
