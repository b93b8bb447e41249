import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import type { ContextCarrier } from '../propagation/context-carrier';
import { SIGNATURE_HEADER } from './context-signing';
import { extractMessageContext } from './extract-message-context';
import { ORIGIN_HEADER, originWriterFor } from './origin-time';

/**
 * The headers (metadata keys, stream fields, envelope headers) of tracebridge's own, beside the
 * registered propagator's: what a re-sent message drops, as its new send writes them afresh, and what a
 * job's fields hide.
 */
export const OWN_FIELDS: readonly string[] = [SIGNATURE_HEADER, ORIGIN_HEADER];

/**
 * What one extract found in tracebridge's own fields, as raw text, neither parsed nor trusted yet: the
 * pipeline origin and, where signing is configured, the signature. Handed from the extract to the code
 * that decides on the context beside it, not set on the extracted context: a context value costs a copy
 * of the whole context per message, this one small object only when a message carries such a field.
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

/**
 * The one reader of tracebridge's own fields, run by a carrier after the global propagator with the same
 * bounded getter (see `CarrierReading`: each value within its size bound, the first usable one of a
 * repeated field): one read of the origin and, with `signatures`, one of the signature, nothing parsed
 * (the origin only when a span, a metric or a downstream send wants it, the signature only where a policy
 * would continue the context).
 *
 * Use {@link extract} through `read`, then {@link take} what it found: extraction is synchronous, so what
 * one read found is taken before any other read can start. The extracted context itself is returned
 * unchanged by this reader.
 */
export class OwnFieldsReader implements TextMapPropagator {
  readonly #signatures: boolean;
  readonly #origins: boolean;
  #found: InboundOwnFields | undefined;

  /**
   * @param signatures - whether the signature is read: only where a verifier is configured.
   * @param origins - whether the origin is read: not with `endToEndLatency: false`.
   */
  constructor(signatures: boolean, origins: boolean) {
    this.#signatures = signatures;
    this.#origins = origins;
  }

  /**
   * Extracts `headers` through `carrier` onto the root context with this reader (see
   * `extractMessageContext`); what the own fields held is then {@link take}n.
   */
  read<C>(carrier: ContextCarrier<C>, headers: C): Context {
    this.#found = undefined;
    return extractMessageContext(carrier, headers, this);
  }

  /** What the last {@link read} found in the own fields, once; `undefined` when it found neither field. */
  take(): InboundOwnFields | undefined {
    const found = this.#found;
    this.#found = undefined;
    return found;
  }

  inject(): void {}

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const origin = this.#origins ? firstString(getter.get(carrier, ORIGIN_HEADER)) : undefined;
    const signature = this.#signatures ? firstString(getter.get(carrier, SIGNATURE_HEADER)) : undefined;
    this.#found =
      origin === undefined && signature === undefined ? undefined : new InboundOwnFields(origin, signature);
    return ctx;
  }

  fields(): string[] {
    return [...(this.#signatures ? [SIGNATURE_HEADER] : []), ...(this.#origins ? [ORIGIN_HEADER] : [])];
  }
}

/**
 * The reader of the own fields a consumer or server wants, or `undefined` when it wants neither (no
 * verifier, `endToEndLatency: false`): the extract then runs without one, with no per-message work for it.
 */
export function ownFieldsReader(signatures: boolean, origins: boolean): OwnFieldsReader | undefined {
  return signatures || origins ? new OwnFieldsReader(signatures, origins) : undefined;
}

/**
 * Extracts `headers` through `carrier` onto the root context: with `reader` when there is one (then
 * {@link OwnFieldsReader.take} what it found), else through the carrier alone.
 */
export function readMessageContext<C>(
  reader: OwnFieldsReader | undefined,
  carrier: ContextCarrier<C>,
  headers: C,
): Context {
  return reader === undefined ? extractMessageContext(carrier, headers) : reader.read(carrier, headers);
}

/** A getter's answer as one string: the first of an array (carriers' getters already pick the first valid). */
function firstString(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/**
 * The one writer of tracebridge's own fields, run by a carrier after the global propagator with the same
 * setter: the signature (when `signer` is given) and the origin (unless `origins` is `false`, from
 * `endToEndLatency: false`), each written only for a context with a valid span context, and the origin,
 * without a live meter (`metered` `false`), only for a recording span (see `originWriterFor`).
 * `undefined` when it would write neither.
 *
 * @param metered - whether the sender has a live meter. Default `true`: the origin goes with every valid
 *   span context.
 */
export function ownFieldsWriter(
  signer: TextMapPropagator | undefined,
  origins: boolean,
  metered = true,
): TextMapPropagator | undefined {
  if (!origins) return signer;
  const origin = originWriterFor(metered);
  if (signer === undefined) return origin;
  return {
    inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
      signer.inject(ctx, carrier, setter);
      origin.inject(ctx, carrier, setter);
    },
    extract: (ctx: Context) => ctx,
    fields: () => [...OWN_FIELDS],
  };
}
