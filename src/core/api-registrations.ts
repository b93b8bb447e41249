/**
 * Whether the OpenTelemetry API has anything registered that tracebridge's per-message work could reach.
 *
 * A wrapper created before an SDK registers (or in a service that never registers one) must notice an SDK
 * that registers later, so this is asked per message, not once: it reads the API's global registry, the
 * one object every copy of `@opentelemetry/api` 1.x shares (the slot `Symbol.for('opentelemetry.js.api.1')`,
 * which is how two copies of the API find each other's registrations), in three property reads and no
 * allocation. The API has no public getter that answers without allocating or delegating: a tracer from
 * the global provider is a proxy that always answers, and `propagation.fields()` builds an array.
 *
 * `test/unit/core/api-registrations.test.ts` registers and unregisters each global through the API itself, so
 * an API release that moved the registry would fail there, not silently make every wrapper dormant.
 */
const API_REGISTRY = Symbol.for('opentelemetry.js.api.1');

/** The registrations tracebridge's work depends on; the context manager and `diag` alone do not count. */
interface ApiRegistry {
  readonly trace?: unknown;
  readonly propagation?: unknown;
  readonly metrics?: unknown;
}

/**
 * `true` when no tracer provider, no propagator and no meter provider is registered globally: spans would
 * be the API's no-op spans, inject and extract would do nothing, and no metric could be recorded, so a
 * wrapper that was given no provider of its own has nothing to do for a message but hand it on.
 */
export function nothingRegistered(): boolean {
  const registry = (globalThis as { [API_REGISTRY]?: ApiRegistry })[API_REGISTRY];
  return (
    registry === undefined ||
    (registry.trace === undefined && registry.propagation === undefined && registry.metrics === undefined)
  );
}
