import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { SemconvStability } from './semconv-stability';
import type { IncomingOption } from './trust-policy';

/**
 * Which tracebridge wrappers a set of defaults is for: the `messaging.system` of the messaging adapters
 * (`'kafka'`, `'rabbitmq'`, `'redis'`), and `'grpc'` for the interceptors.
 */
export type DefaultsScope = 'kafka' | 'rabbitmq' | 'redis' | 'grpc';

/**
 * What a wrapper created without the corresponding option uses instead of the globally registered
 * provider, the `'parent'` policy, the `'stable'` names or end-to-end latency on. Set by the
 * `tracebridge/instrumentation` classes (their `setTracerProvider`, `setMeterProvider`, `setConfig`); an
 * option given to a wrapper always wins.
 */
export interface InstrumentationDefaults {
  readonly tracerProvider?: TracerProvider | undefined;
  readonly meterProvider?: MeterProvider | undefined;
  readonly incoming?: IncomingOption | undefined;
  /** The `semconvStability` of wrappers created without one. */
  readonly semconvStability?: SemconvStability | undefined;
  /** The `endToEndLatency` of wrappers created without one. */
  readonly endToEndLatency?: boolean | undefined;
}

const NONE: InstrumentationDefaults = Object.freeze({});

/**
 * One registry per process, shared by every copy of tracebridge that is loaded (as the OpenTelemetry API
 * shares its globals), so an instrumentation registered through one copy configures the wrappers of
 * another.
 */
const REGISTRY_KEY = Symbol.for('tracebridge.instrumentation-defaults');

type Registry = Map<DefaultsScope, InstrumentationDefaults>;

function registry(): Registry {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry };
  return (holder[REGISTRY_KEY] ??= new Map<DefaultsScope, InstrumentationDefaults>());
}

/**
 * The defaults in force for `scope` (a {@link DefaultsScope}; any other `messaging.system` has none): an
 * empty object when no instrumentation set any.
 */
export function instrumentationDefaults(scope: string): InstrumentationDefaults {
  return registry().get(scope as DefaultsScope) ?? NONE;
}

/** Replaces the defaults of `scope`; `undefined` removes them. The object is kept as given: freeze it. */
export function setInstrumentationDefaults(
  scope: DefaultsScope,
  defaults: InstrumentationDefaults | undefined,
): void {
  if (defaults === undefined) registry().delete(scope);
  else registry().set(scope, defaults);
}

/**
 * The `incoming` option a wrapper was given or, when it was not given at all, the instrumentation's.
 * Only `undefined` means "not given": a malformed value such as `null` must still reach the resolver and
 * fail there, at setup.
 */
export function incomingOrDefault(
  given: IncomingOption | undefined,
  scope: string,
): IncomingOption | undefined {
  return given !== undefined ? given : instrumentationDefaults(scope).incoming;
}
