import { logger } from './diagnostics';

/**
 * Whether `value` is a thenable: a handler's result whose settling a span must wait for. Checked the way
 * the Promises/A+ resolution procedure does, so promises from any library or realm count.
 *
 * Never throws: the value is the host's, and reading `then` runs a getter or a Proxy trap (a revoked Proxy
 * throws on any access). A value whose `then` cannot be read is not treated as a thenable; the host gets it
 * back as it is, and meets the same throw where it reads `then` itself.
 */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}

/**
 * Calls `onSettled` with the outcome of `thenable` once it settles, without changing what the host sees of
 * it. Returns `false` when its `then` throws instead of subscribing (a host thenable may do anything): the
 * caller must then finish its bookkeeping itself, since `onSettled` will never run.
 *
 * The derived promise `then` returns is dropped; `onSettled` must not throw, or it would reject unhandled.
 */
export function whenSettled(
  thenable: PromiseLike<unknown>,
  onSettled: (
    outcome: { readonly rejected: false } | { readonly rejected: true; readonly error: unknown },
  ) => void,
): boolean {
  try {
    thenable.then(
      () => onSettled({ rejected: false }),
      (error: unknown) => onSettled({ rejected: true, error }),
    );
    return true;
  } catch (error) {
    logger.error('subscribing to a thenable the application returned failed; tracing ends without it', error);
    return false;
  }
}
