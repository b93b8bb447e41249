/**
 * Trace and span ids as OTLP/JSON writes them. The OTLP specification encodes them as case-insensitive
 * hex strings, deviating from the standard protobuf JSON mapping (base64); some exporters nonetheless
 * write base64, so both are accepted. The two cannot be confused: the lengths differ.
 * @see https://github.com/open-telemetry/opentelemetry-proto/blob/main/docs/specification.md#json-protobuf-encoding
 */

const HEX_TRACE_ID = /^[0-9a-f]{32}$/i;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/i;
// 16 bytes are 24 base64 characters ending in "=="; 8 bytes are 12 ending in "=".
const BASE64_TRACE_ID = /^[A-Za-z0-9+/]{22}==$/;
const BASE64_SPAN_ID = /^[A-Za-z0-9+/]{11}=$/;
const ALL_ZEROS = /^0+$/;

/** A trace id as 32 lowercase hex digits, or `undefined` when `value` is not a valid (non-zero) trace id. */
export function normalizeTraceId(value: unknown): string | undefined {
  return normalizeId(value, HEX_TRACE_ID, BASE64_TRACE_ID);
}

/** A span id as 16 lowercase hex digits, or `undefined` when `value` is not a valid (non-zero) span id. */
export function normalizeSpanId(value: unknown): string | undefined {
  return normalizeId(value, HEX_SPAN_ID, BASE64_SPAN_ID);
}

function normalizeId(value: unknown, hex: RegExp, base64: RegExp): string | undefined {
  if (typeof value !== 'string') return undefined;
  let id: string | undefined;
  if (hex.test(value)) id = value.toLowerCase();
  else if (base64.test(value)) id = Buffer.from(value, 'base64').toString('hex');
  // The all-zero id is the specification's "invalid" id, never a real span.
  return id === undefined || ALL_ZEROS.test(id) ? undefined : id;
}
