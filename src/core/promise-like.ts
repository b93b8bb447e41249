/**
 * Whether `value` is a thenable: a handler's result whose settling a span must wait for. Checked the way
 * the Promises/A+ resolution procedure does, so promises from any library or realm count.
 */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
