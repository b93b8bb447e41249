/**
 * Trace and span ids, as each format writes them, normalized to OTLP's form (32 and 16 lowercase hex
 * digits). Every check looks at the length first, so a hostile id of any size costs a comparison.
 *
 * - OTLP/JSON: case-insensitive hex strings, deviating from the standard protobuf JSON mapping (base64);
 *   some exporters (and Jaeger's v3 API, through grpc-gateway) nonetheless write base64, so both are
 *   accepted. The two cannot be confused: the lengths differ.
 * - Zipkin v2: a trace id of 16 or 32 hex digits (a 64-bit id is the low half of a 128-bit one), span
 *   ids of 16.
 * - Jaeger's JSON: hex without leading zeros (its model prints ids with `%x`), up to 32 and 16 digits.
 *
 * @see https://github.com/open-telemetry/opentelemetry-proto/blob/main/docs/specification.md#json-protobuf-encoding
 * @see https://zipkin.io/zipkin-api/#/default/post_spans
 */

const HEX = /^[0-9a-f]+$/i;
// 16 bytes are 24 base64 characters ending in "=="; 8 bytes are 12 ending in "=".
interface Base64Form {
  readonly length: number;
  readonly pattern: RegExp;
}
const BASE64_TRACE_ID: Base64Form = { length: 24, pattern: /^[A-Za-z0-9+/]{22}==$/ };
const BASE64_SPAN_ID: Base64Form = { length: 12, pattern: /^[A-Za-z0-9+/]{11}=$/ };
const ALL_ZEROS = /^0+$/;

const TRACE_ID_DIGITS = 32;
const SPAN_ID_DIGITS = 16;

/** A trace id as 32 lowercase hex digits, or `undefined` when `value` is not a valid (non-zero) trace id. */
export function normalizeTraceId(value: unknown): string | undefined {
  return otlpId(value, TRACE_ID_DIGITS, BASE64_TRACE_ID);
}

/** A span id as 16 lowercase hex digits, or `undefined` when `value` is not a valid (non-zero) span id. */
export function normalizeSpanId(value: unknown): string | undefined {
  return otlpId(value, SPAN_ID_DIGITS, BASE64_SPAN_ID);
}

/** A Zipkin trace id (16 or 32 hex digits) as 32 digits, the 64-bit form zero-padded on the left. */
export function normalizeZipkinTraceId(value: unknown): string | undefined {
  if (typeof value !== 'string' || (value.length !== 16 && value.length !== 32)) return undefined;
  return hexId(value, TRACE_ID_DIGITS);
}

/** A Jaeger id of 1 to `digits` hex digits (leading zeros dropped, as Jaeger writes them), padded back. */
export function normalizeJaegerId(value: unknown, kind: 'trace' | 'span'): string | undefined {
  const digits = kind === 'trace' ? TRACE_ID_DIGITS : SPAN_ID_DIGITS;
  if (typeof value !== 'string' || value.length === 0 || value.length > digits) return undefined;
  return hexId(value, digits);
}

function otlpId(value: unknown, digits: number, base64: Base64Form): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length === digits) return hexId(value, digits);
  if (value.length !== base64.length || !base64.pattern.test(value)) return undefined;
  return hexId(Buffer.from(value, 'base64').toString('hex'), digits);
}

/** `value` (at most `digits` characters) as `digits` lowercase hex digits; the all-zero id is invalid. */
function hexId(value: string, digits: number): string | undefined {
  if (!HEX.test(value)) return undefined;
  const id = value.toLowerCase().padStart(digits, '0');
  // The all-zero id is the specification's "invalid" id, never a real span.
  return ALL_ZEROS.test(id) ? undefined : id;
}
