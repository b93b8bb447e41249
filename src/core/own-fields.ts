import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { SIGNATURE_HEADER } from './context-signing';
import { ORIGIN_HEADER } from './origin-time';

/**
 * The headers (metadata keys, stream fields, envelope headers) of tracebridge's own, beside the
 * registered propagator's: what a re-sent message drops, as its new send writes them afresh, and what a
 * job's fields hide.
 */
export const OWN_FIELDS: readonly string[] = [SIGNATURE_HEADER, ORIGIN_HEADER];

/**
 * One propagator running each of tracebridge's own (the signer or signature reader, the origin) after
 * the global one, in order, with the carrier's getter and setter: carriers take one such `also`.
 */
export function ownPropagator(...members: readonly (TextMapPropagator | undefined)[]): TextMapPropagator {
  const present = members.filter((m): m is TextMapPropagator => m !== undefined);
  if (present.length === 1) return present[0]!;
  return {
    inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
      for (const member of present) member.inject(ctx, carrier, setter);
    },
    extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
      return present.reduce((extracted, member) => member.extract(extracted, carrier, getter), ctx);
    },
    fields: () => present.flatMap((member) => member.fields()),
  };
}
