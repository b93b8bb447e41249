/**
 * Values an application may throw or reject with that are hostile to whoever inspects them: tracebridge
 * must hand each back to the host unchanged, with nothing of its own thrown on the way.
 */

/** A Proxy whose every trap throws (the handler is itself a Proxy, so every trap lookup finds a thrower). */
export function proxyThrowingOnEveryTrap(target: object = {}): object {
  const throwingTrap = () => {
    throw new Error('trap');
  };
  return new Proxy(target, new Proxy({}, { get: () => throwingTrap }));
}

/** A Proxy that has been revoked: any operation on it, `instanceof` included, throws a TypeError. */
export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable(new Error('revoked'), {});
  revoke();
  return proxy;
}

/** A real `Error` whose `name`, `message`, `stack`, `code` and `constructor` getters all throw. */
export function errorWithThrowingGetters(): Error {
  const error = new Error('hidden');
  for (const key of ['stack', 'name', 'message', 'code', 'constructor']) {
    Object.defineProperty(error, key, {
      get() {
        throw new Error(`${key} getter`);
      },
    });
  }
  return error;
}

/** Every hostile value, named for test titles. */
export function hostileValues(): [string, unknown][] {
  return [
    ['an Error with throwing getters', errorWithThrowingGetters()],
    ['a Proxy throwing on every trap', proxyThrowingOnEveryTrap()],
    ['a Proxy of an Error throwing on every trap', proxyThrowingOnEveryTrap(new Error('inner'))],
    ['a revoked Proxy', revokedProxy()],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'plain string'],
    ['a symbol', Symbol('thrown')],
    ['a bigint', 7n],
    ['a plain object', { reason: 'not an Error' }],
  ];
}

/**
 * Collects the process's unhandled rejections while it is installed. Uninstall it after the test has let
 * pending callbacks run (`settleTicks`), and assert the list is empty.
 */
export function collectUnhandledRejections(): { readonly reasons: unknown[]; uninstall(): void } {
  const reasons: unknown[] = [];
  const listener = (reason: unknown) => {
    reasons.push(reason);
  };
  process.on('unhandledRejection', listener);
  return { reasons, uninstall: () => process.off('unhandledRejection', listener) };
}

/** Lets every queued promise callback, and Node's unhandled-rejection check that follows them, run. */
export async function settleTicks(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * What `promise` rejects with, boxed: an async function that returned the bare value would read its `then`
 * (a Proxy's trap would throw). Fails when the promise fulfills.
 */
export async function rejectionOf(promise: unknown): Promise<{ readonly error: unknown }> {
  const fulfilled = Symbol('fulfilled');
  const outcome = await (promise as Promise<unknown>).then(
    () => fulfilled,
    (error: unknown) => ({ error }),
  );
  if (outcome === fulfilled) throw new Error('expected a rejection, the promise fulfilled');
  return outcome as { error: unknown };
}
