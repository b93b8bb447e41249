import { createContextKey } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { SIGNATURE_HEADER } from './context-signing';
import { ORIGIN_HEADER, originWriter } from './origin-time';

/**
 * The headers (metadata keys, stream fields, envelope headers) of tracebridge's own, beside the
 * registered propagator's: what a re-sent message drops, as its new send writes them afresh, and what a
 * job's fields hide.
 */
export const OWN_FIELDS: readonly string[] = [SIGNATURE_HEADER, ORIGIN_HEADER];

/**
 * What one extract found in tracebridge's own fields, as raw text, neither parsed nor trusted yet: the
 * pipeline origin and, where signing is configured, the signature. One value in the extracted context
 * for both, so a message costs one context copy for them (none when it carries neither).
 */
export class InboundOwnFields {
  /** The first `tracebridge-origin` value, unparsed (see `parseOrigin`). */
  readonly origin: string | undefined;
  /** The first `tracebridge-signature` value, unparsed (see `parseSignature`); read only when verifying. */
  readonly signature: string | undefined;

  constructor(origin: string | undefined, signature: string | undefined) {
    this.origin = origin;
    this.signature = signature;
  }
}

const INBOUND_OWN_FIELDS_KEY = createContextKey('tracebridge inbound own fields');

/** The own fields an extract found in a message or call; `undefined` when it carried none. */
export function inboundOwnFields(extracted: Context): InboundOwnFields | undefined {
  const found = extracted.getValue(INBOUND_OWN_FIELDS_KEY);
  return found instanceof InboundOwnFields ? found : undefined;
}

/**
 * The one reader of tracebridge's own fields, run by a carrier after the global propagator with the same
 * bounded getter (see `CarrierReading`: each value within its size bound, the first usable one of a
 * repeated field). It reads the origin and, with `signatures`, the signature, and sets both on the
 * extracted context as one {@link InboundOwnFields}; nothing is parsed here: the origin only when a span,
 * a metric or a downstream send wants it, the signature only where a policy would continue the context.
 *
 * @param signatures - whether the signature is read: only where a verifier is configured.
 */
export function ownFieldsReader(signatures: boolean): TextMapPropagator {
  return signatures ? READ_BOTH : READ_ORIGIN;
}

function readerOf(signatures: boolean): TextMapPropagator {
  return {
    inject() {},
    extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
      const origin = firstString(getter.get(carrier, ORIGIN_HEADER));
      const signature = signatures ? firstString(getter.get(carrier, SIGNATURE_HEADER)) : undefined;
      if (origin === undefined && signature === undefined) return ctx;
      return ctx.setValue(INBOUND_OWN_FIELDS_KEY, new InboundOwnFields(origin, signature));
    },
    fields: () => (signatures ? [...OWN_FIELDS] : [ORIGIN_HEADER]),
  };
}

const READ_ORIGIN = readerOf(false);
const READ_BOTH = readerOf(true);

/** A getter's answer as one string: the first of an array (carriers' getters already pick the first valid). */
function firstString(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/**
 * The one writer of tracebridge's own fields, run by a carrier after the global propagator with the same
 * setter: the signature (when `signer` is given) and the origin, each written only for a context with a
 * valid span context.
 */
export function ownFieldsWriter(signer: TextMapPropagator | undefined): TextMapPropagator {
  if (signer === undefined) return originWriter;
  return {
    inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
      signer.inject(ctx, carrier, setter);
      originWriter.inject(ctx, carrier, setter);
    },
    extract: (ctx: Context) => ctx,
    fields: () => [...OWN_FIELDS],
  };
}
