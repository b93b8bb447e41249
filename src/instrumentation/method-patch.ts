/**
 * tracebridge's own patches of a client library's factories (zero-code mode), and the removal of the
 * contrib instrumentations' patches of the same methods.
 *
 * tracebridge does not patch with shimmer, on purpose: `InstrumentationBase._wrap` removes any shimmer
 * wrapper it finds before adding its own, so a contrib instrumentation loading after tracebridge would
 * silently take a shimmer-wrapped zero-code patch off. A private symbol marks tracebridge's wrappers
 * instead, and holds the function each one replaced.
 */

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** What a shimmer wrapper (every `InstrumentationBase._wrap`) carries: `isWrapped` tests the same fields. */
interface ShimmerWrapped {
  readonly __wrapped: true;
  readonly __original: AnyFunction;
}

const REPLACED = Symbol('tracebridge.replaced');

interface TracebridgeWrapper {
  readonly [REPLACED]: AnyFunction;
}

function isShimmerWrapped(value: unknown): value is ShimmerWrapped {
  return (
    typeof value === 'function' &&
    (value as Partial<ShimmerWrapped>).__wrapped === true &&
    typeof (value as Partial<ShimmerWrapped>).__original === 'function'
  );
}

function isOurs(value: unknown): value is AnyFunction & TracebridgeWrapper {
  return typeof value === 'function' && REPLACED in value;
}

/** Redefines `target[name]` as a plain method, keeping its enumerability. */
function redefine(target: object, name: string, value: unknown): void {
  const enumerable = Object.getOwnPropertyDescriptor(target, name)?.enumerable ?? false;
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable });
}

/**
 * Takes the shimmer wrappers (contrib instrumentations' patches) off the top of `target[name]`, down to the
 * original or to tracebridge's own wrapper. Returns whether there were any.
 */
export function removeShimmerWrappers(target: object | undefined, name: string): boolean {
  if (target === undefined || target === null) return false;
  let current: unknown = (target as Record<string, unknown>)[name];
  if (!isShimmerWrapped(current)) return false;
  // A wrapper chain is short; the bound stops a malformed one (a wrapper whose original is itself).
  for (let depth = 0; depth < 16 && isShimmerWrapped(current); depth++) current = current.__original;
  redefine(target, name, current);
  return true;
}

/**
 * Replaces `target[name]` with `wrap(original)`, once: a method that is already tracebridge's is left
 * alone. With `belowContrib`, the contrib wrappers on top are taken off first, so the original
 * tracebridge calls is the library's own.
 */
export function patchMethod(
  target: object | undefined,
  name: string,
  wrap: (original: AnyFunction) => AnyFunction,
  belowContrib: boolean,
): boolean {
  if (target === undefined || target === null) return false;
  if (belowContrib) removeShimmerWrappers(target, name);
  const original = (target as Record<string, unknown>)[name];
  if (typeof original !== 'function' || isOurs(original)) return false;
  const wrapper = wrap(original as AnyFunction);
  Object.defineProperty(wrapper, REPLACED, { value: original });
  redefine(target, name, wrapper);
  return true;
}

/** Puts back what {@link patchMethod} replaced, when tracebridge's wrapper is still the method. */
export function unpatchMethod(target: object | undefined, name: string): void {
  if (target === undefined || target === null) return;
  const current = (target as Record<string, unknown>)[name];
  if (isOurs(current)) redefine(target, name, current[REPLACED]);
}
