import { INVALID_SPANID, INVALID_TRACEID } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import { isHexRun } from './hex-digits';

/**
 * The last traceparent value the header rule accepted (see `selectHeaderValue`): its trace id (at 3) and
 * parent id (at 36) are lowercase hex, neither all zeros. Any string equal to it is such a value too, so
 * one string is all the memory this needs: never a collection, whatever the traffic.
 */
let lastAccepted: string | undefined;

/** Notes a traceparent value the header rule has accepted (header-limits.ts alone calls this). */
export function noteAcceptedTraceparent(value: string): void {
  lastAccepted = value;
}

/**
 * Whether `id` is `length` hex digits, either case, and not the all-zero id: what the API's
 * `isValidTraceId` / `isValidSpanId` decide with a regular expression, decided through a table at a
 * fraction of the cost on the random ids every span has (see `hex-digits.ts`).
 */
function isHexId(id: unknown, length: number, invalid: string): boolean {
  return typeof id === 'string' && id.length === length && isHexRun(id, 0, length, 'any') && id !== invalid;
}

/**
 * The API's `isSpanContextValid`, decided at a fraction of its cost: for the span context a W3C extract has
 * just built from the traceparent the header rule checked, by comparing its ids with that value; for any
 * other (a send span's, another propagator's, an ambient span's), by checking the ids with a table rather
 * than the API's two regular expressions. It runs for several span contexts of every message.
 */
export function isValidSpanContext(spanContext: SpanContext): boolean {
  const accepted = lastAccepted;
  const traceId: unknown = spanContext.traceId;
  const spanId: unknown = spanContext.spanId;
  if (
    accepted !== undefined &&
    typeof traceId === 'string' &&
    typeof spanId === 'string' &&
    traceId.length === 32 &&
    spanId.length === 16 &&
    // Slices compared with `===` rather than `startsWith(id, offset)`, which measured three times slower
    // on the ids a regex match returns.
    accepted.slice(3, 35) === traceId &&
    accepted.slice(36, 52) === spanId
  ) {
    return true;
  }
  return isHexId(traceId, 32, INVALID_TRACEID) && isHexId(spanId, 16, INVALID_SPANID);
}
