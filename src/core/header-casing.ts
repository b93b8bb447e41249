/**
 * Header casing for peers that look headers up case-sensitively. HTTP and gRPC metadata ignore case, but
 * Kafka and AMQP headers do not, and a peer that writes and reads `X-B3-TraceId` (the OpenTelemetry Java
 * agent, B3 outside JavaScript) never finds OpenTelemetry JS's `x-b3-traceid`. Wrapping the registered
 * propagator makes tracebridge write the peer's spelling; tracebridge itself reads either spelling (its
 * carriers fall back to a case-insensitive lookup), so both sides of a mixed fleet continue the trace.
 */
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { TracebridgeConfigError, TracebridgeErrorCode } from './errors';

/** For each header a propagator writes (as it names it), the spelling to write instead. */
export type HeaderCasing = Readonly<Record<string, string>>;

/** B3 multi-header names as the OpenTelemetry Java agent (and B3 outside JavaScript) spells them. */
export const JAVA_B3_HEADER_CASING: HeaderCasing = Object.freeze({
  'x-b3-traceid': 'X-B3-TraceId',
  'x-b3-spanid': 'X-B3-SpanId',
  'x-b3-parentspanid': 'X-B3-ParentSpanId',
  'x-b3-sampled': 'X-B3-Sampled',
  'x-b3-flags': 'X-B3-Flags',
});

/**
 * `propagator`, writing the headers `casing` names in the spelling it gives (extract is unchanged). Register
 * the result as the global propagator, e.g.
 * `propagation.setGlobalPropagator(withHeaderCasing(new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }), JAVA_B3_HEADER_CASING))`.
 *
 * Throws `TracebridgeConfigError` (`TRACEBRIDGE_INVALID_OPTION`) when a spelling is not a string or differs
 * from its header in more than letter case: a casing only changes case, so that what it writes is still
 * the header every case-insensitive reader knows.
 */
export function withHeaderCasing(propagator: TextMapPropagator, casing: HeaderCasing): TextMapPropagator {
  const spellings = checkedCasing(casing);
  const respell = (key: string): string => spellings.get(key) ?? key;
  return {
    inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
      propagator.inject(ctx, carrier, {
        set: (target, key, value) => setter.set(target, respell(key), value),
      });
    },
    extract: (ctx: Context, carrier: unknown, getter: TextMapGetter): Context =>
      propagator.extract(ctx, carrier, getter),
    fields: () => propagator.fields().map(respell),
  };
}

function checkedCasing(casing: HeaderCasing): ReadonlyMap<string, string> {
  if (typeof casing !== 'object' || casing === null)
    throw new TracebridgeConfigError(
      TracebridgeErrorCode.InvalidOption,
      'withHeaderCasing: the casing must be an object of header name -> spelling',
    );
  const spellings = new Map<string, string>();
  for (const [header, spelling] of Object.entries(casing)) {
    if (typeof spelling !== 'string' || spelling.toLowerCase() !== header.toLowerCase())
      throw new TracebridgeConfigError(
        TracebridgeErrorCode.InvalidOption,
        `withHeaderCasing: ${JSON.stringify(header)} may only be respelled in another letter case, not as ${JSON.stringify(spelling)}`,
      );
    spellings.set(header, spelling);
  }
  return spellings;
}
