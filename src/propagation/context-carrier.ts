import { propagation } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { logger } from '../logger';
import { CarrierReading } from './carrier-reading';
import { limitExtractedBaggage } from './extracted-baggage';

/**
 * How trace context travels in one transport's message or call: a getter/setter pair bound to the
 * globally registered OpenTelemetry propagator, so W3C, B3 and Jaeger formats all work by configuration.
 *
 * @typeParam C - the transport's own header holder (Kafka headers, AMQP headers, gRPC `Metadata`, ...),
 * including `undefined` where a message may have none.
 */
export interface ContextCarrier<C> {
  /** A short name for diagnostics, e.g. `'kafka-headers'`. */
  readonly name: string;
  /**
   * Returns a carrier holding `ctx`'s propagation fields in addition to everything `carrier` holds.
   * `carrier` itself is never modified: when the propagator writes anything, a copy is made first; when it
   * writes nothing, `carrier` is returned as it is. Never throws.
   *
   * @param also - a propagator of tracebridge's own (the context signer) run after the global one, with
   *   the same setter. Default: none.
   */
  inject(ctx: Context, carrier: C, also?: TextMapPropagator): C;
  /**
   * Returns `ctx` extended with the span context and baggage found in `carrier`, or `ctx` itself when there
   * is none or it is malformed. The baggage is held to 64 members and 8192 bytes whatever its encoding,
   * and the work spent on fields the propagator discovers among the carrier's keys (Jaeger's
   * `uberctx-*`) is bounded likewise. Never throws.
   *
   * @param also - a propagator of tracebridge's own (the signature reader) run after the global one, on
   *   the context it returned, with the same (bounded) getter. Default: none.
   */
  extract(ctx: Context, carrier: C, also?: TextMapPropagator): Context;
}

/** What a transport supplies to become a {@link ContextCarrier}: how to read it, copy it and write it. */
export interface CarrierAccess<C> {
  readonly name: string;
  /** Reads bounded, validated values; see `selectHeaderValue`. */
  readonly getter: TextMapGetter<NonNullable<C>>;
  /**
   * Whether a field the carrier does not hold under exactly the name asked for may be found under a name
   * that differs only in case (`X-B3-TraceId`, as the OpenTelemetry Java agent and Zipkin JS write it on
   * Kafka and AMQP). The exact name always wins. Default: `false` (exact names only).
   */
  readonly caseInsensitive?: boolean;
  /** A writable copy of `carrier` (or a new, empty one when it is absent); the original is not touched. */
  copyForWrite(carrier: C): NonNullable<C>;
  /** Writes one field into a copy made by `copyForWrite`. */
  set(carrier: NonNullable<C>, key: string, value: string): void;
}

/** The injection target: the caller's carrier stays untouched until the propagator actually writes. */
interface CopyOnWrite<C> {
  readonly source: C;
  written: NonNullable<C> | undefined;
}

/** Builds a {@link ContextCarrier} from a transport's {@link CarrierAccess}. */
export function createContextCarrier<C>(access: CarrierAccess<C>): ContextCarrier<C> {
  const setter: TextMapSetter<CopyOnWrite<C>> = {
    set(target, key, value) {
      target.written ??= access.copyForWrite(target.source);
      access.set(target.written, key, value);
    },
  };

  const caseInsensitive = access.caseInsensitive === true;
  return {
    name: access.name,
    inject(ctx, carrier, also) {
      const target: CopyOnWrite<C> = { source: carrier, written: undefined };
      try {
        propagation.inject(ctx, target, setter);
        also?.inject(ctx, target, setter);
      } catch (error) {
        logger.error(`inject into ${access.name} failed; the message goes out without trace context`, error);
      }
      return target.written ?? carrier;
    },
    extract(ctx, carrier, also) {
      if (carrier === undefined || carrier === null) return ctx;
      try {
        const reading = new CarrierReading(access.getter, caseInsensitive);
        const extracted = limitExtractedBaggage(propagation.extract(ctx, carrier, reading));
        return also === undefined ? extracted : also.extract(extracted, carrier, reading);
      } catch (error) {
        logger.warn(`extract from ${access.name} failed; the message starts a new trace`, error);
        return ctx;
      }
    },
  };
}
