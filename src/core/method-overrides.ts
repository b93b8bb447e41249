import { TRACED_BY_TRACEBRIDGE } from './traced-marker';

/**
 * A stand-in for an object the application owns (a producer, a consumer, a channel) in which a few methods
 * are traced and everything else is the original.
 *
 * Why a Proxy and not a copy or a subclass: the original may be a plain object of closures (kafkajs) or a
 * class instance with private fields (Confluent's client, amqplib), and it may gain properties later. The
 * proxy answers `instanceof` like the original, reads every property through to it at the moment of the
 * read, and calls every method not overridden on the original itself, so `this`-based and `#private`
 * state keep working. The original object is never modified.
 *
 * Functions read through the proxy are bound to the original once and then cached, so `traced.on ===
 * traced.on` holds as it does on the original. The proxy answers {@link TRACED_BY_TRACEBRIDGE}, so the
 * wrappers can tell a stand-in from an original and never trace one object twice.
 */
export function withMethodOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  const bound = new Map<PropertyKey, { readonly original: unknown; readonly bound: unknown }>();
  return new Proxy(target, {
    get(object, property) {
      if (property === TRACED_BY_TRACEBRIDGE) return true;
      if (Object.prototype.hasOwnProperty.call(overrides, property)) {
        return (overrides as Record<PropertyKey, unknown>)[property];
      }
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const cached = bound.get(property);
      // A method replaced on the original after the proxy was made is bound afresh.
      if (cached !== undefined && cached.original === value) return cached.bound;
      const boundMethod = (value as (...args: unknown[]) => unknown).bind(object);
      bound.set(property, { original: value, bound: boundMethod });
      return boundMethod;
    },
  });
}
