import { numberText } from './foreign-text';
import type { TraceAttributeValue } from './trace-span';

/**
 * Decodes OTLP/JSON `AnyValue`s and `KeyValue` lists. Protobuf's JSON mapping writes 64-bit integers as
 * decimal strings (readers accept numbers too) and non-finite doubles as "NaN" / "Infinity" / "-Infinity".
 * @see https://protobuf.dev/programming-guides/json/
 */

/** Nested arrays and maps deeper than this are dropped: a hostile file must not exhaust the stack. */
const MAX_DEPTH = 8;
const INTEGER = /^-?\d+$/;

/** The attributes of a `KeyValue` list; malformed entries are skipped. */
export function decodeAttributes(list: unknown, depth = 0): Record<string, TraceAttributeValue> {
  // A null prototype, so that a key named "__proto__" is an attribute like any other.
  const attributes = Object.create(null) as Record<string, TraceAttributeValue>;
  if (!Array.isArray(list) || depth > MAX_DEPTH) return attributes;
  for (const entry of list as unknown[]) {
    if (!isRecord(entry) || typeof entry['key'] !== 'string') continue;
    const value = decodeAnyValue(entry['value'], depth);
    if (value !== undefined) attributes[entry['key']] = value;
  }
  return attributes;
}

/** The value of an `AnyValue`, or `undefined` when it has none of the known fields in a usable form. */
export function decodeAnyValue(value: unknown, depth = 0): TraceAttributeValue | undefined {
  if (!isRecord(value) || depth > MAX_DEPTH) return undefined;
  if (typeof value['stringValue'] === 'string') return value['stringValue'];
  if (typeof value['boolValue'] === 'boolean') return value['boolValue'];
  if ('intValue' in value) return decodeInt(value['intValue']);
  if ('doubleValue' in value) return decodeDouble(value['doubleValue']);
  if (isRecord(value['arrayValue'])) return decodeArray(value['arrayValue']['values'], depth + 1);
  if (isRecord(value['kvlistValue'])) return decodeAttributes(value['kvlistValue']['values'], depth + 1);
  // bytes are base64 in protobuf JSON; kept as that text.
  if (typeof value['bytesValue'] === 'string') return value['bytesValue'];
  return undefined;
}

function decodeInt(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  // Beyond 2^53 the number is approximate; attributes are for display and simple checks here.
  const text = numberText(value);
  return text !== undefined && INTEGER.test(text) ? Number(text) : undefined;
}

function decodeDouble(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isNaN(parsed) && value !== 'NaN' ? undefined : parsed;
}

function decodeArray(values: unknown, depth: number): readonly TraceAttributeValue[] {
  if (!Array.isArray(values)) return [];
  return (values as unknown[]).map((item) => decodeAnyValue(item, depth) ?? null);
}

/** A plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
