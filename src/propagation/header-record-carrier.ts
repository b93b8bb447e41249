import type { TextMapGetter } from '@opentelemetry/api';
import { createContextCarrier } from './context-carrier';
import type { ContextCarrier } from './context-carrier';
import { selectHeaderValue } from './header-limits';
import { assignOwnFields } from './own-fields';

/**
 * A plain object of headers, as Kafka and AMQP messages and the envelope carry them. Values may be of any
 * type; only strings, byte buffers and arrays of them are read as propagation fields.
 */
export type HeaderRecord = Readonly<Record<string, unknown>>;

const headerRecordGetter: TextMapGetter<HeaderRecord> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) =>
    Object.prototype.hasOwnProperty.call(carrier, key) ? selectHeaderValue(key, carrier[key]) : undefined,
};

/**
 * A carrier over an optional header object whose injected values are strings. Kafka headers, AMQP headers
 * and the envelope's header map are all of this shape; each gets its own typed instance.
 */
export function createHeaderRecordCarrier<H extends HeaderRecord>(
  name: string,
): ContextCarrier<H | undefined> {
  return createContextCarrier<H | undefined>({
    name,
    getter: headerRecordGetter,
    // Peers write B3 as `X-B3-TraceId` on Kafka and AMQP, where names are not case-normalised.
    caseInsensitive: true,
    // Object.assign (inside assignOwnFields), not spread: V8 copies a spread object with non-identifier
    // keys (`x-request-id`) into a shape that makes the next added key an order of magnitude slower.
    copyForWrite: (headers) => assignOwnFields({}, headers) as NonNullable<H | undefined>,
    set: (headers, key, value) => {
      (headers as Record<string, unknown>)[key] = value;
    },
  });
}
