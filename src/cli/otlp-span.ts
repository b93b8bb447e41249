import { boundedText, numberText, preview } from './foreign-text';
import { decodeAttributes, isRecord } from './otlp-any-value';
import { normalizeSpanId, normalizeTraceId } from './otlp-ids';
import { SPAN_KIND_NAMES } from './trace-span';
import type { SpanKindName, SpanLinkTarget, SpanStatusName, TraceSpan } from './trace-span';

/**
 * Decodes one OTLP/JSON `Span` message. Field names are lowerCamelCase, enums are integers (the enum
 * names are accepted too, as protobuf's own JSON mapping allows them), unknown fields are ignored.
 * @see https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/trace/v1/trace.proto
 */

/** A decoded span, or why the span cannot be shown. */
export type DecodedSpan =
  | { readonly span: TraceSpan; readonly warning?: string }
  | { readonly span?: undefined; readonly error: string };

const UNSIGNED_INTEGER = /^\d+$/;
const STATUS_NAMES: readonly SpanStatusName[] = ['UNSET', 'OK', 'ERROR'];

/** Decodes `value` as a span of the service `serviceName`. */
export function decodeOtlpSpan(value: unknown, serviceName: string | undefined): DecodedSpan {
  if (!isRecord(value)) return { error: 'is not an object' };
  const traceId = normalizeTraceId(value['traceId']);
  if (traceId === undefined) return { error: `has no valid traceId (${preview(value['traceId'])})` };
  const spanId = normalizeSpanId(value['spanId']);
  if (spanId === undefined) return { error: `has no valid spanId (${preview(value['spanId'])})` };
  const parent = decodeParentSpanId(value['parentSpanId']);
  if (parent === null) return { error: `has an invalid parentSpanId (${preview(value['parentSpanId'])})` };
  const start = decodeUnixNano(value['startTimeUnixNano']);
  const end = decodeUnixNano(value['endTimeUnixNano']);
  if (start === undefined || end === undefined) return { error: 'has no valid start or end time' };

  const status = isRecord(value['status']) ? value['status'] : {};
  const span: TraceSpan = {
    traceId,
    spanId,
    parentSpanId: parent,
    name: boundedText(value['name']) ?? '',
    kind: decodeKind(value['kind']),
    serviceName,
    startTimeUnixNano: start,
    // A span cannot end before it starts; such a span is drawn with no duration (and reported).
    endTimeUnixNano: end < start ? start : end,
    status: decodeStatus(status['code']),
    statusMessage: boundedText(status['message']) || undefined,
    attributes: decodeAttributes(value['attributes']),
    links: decodeLinks(value['links']),
  };
  return end < start ? { span, warning: 'ends before it starts; shown with no duration' } : { span };
}

/** `undefined` for a root span (absent or empty, as proto3 writes the default), `null` when malformed. */
function decodeParentSpanId(value: unknown): string | undefined | null {
  if (value === undefined || value === null || value === '') return undefined;
  return normalizeSpanId(value) ?? null;
}

/** fixed64 nanoseconds: a decimal string, or a JSON number (which readers must also accept). */
function decodeUnixNano(value: unknown): bigint | undefined {
  const text = numberText(value);
  if (text !== undefined && UNSIGNED_INTEGER.test(text)) return BigInt(text);
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.trunc(value));
  return undefined;
}

function decodeKind(value: unknown): SpanKindName {
  if (typeof value === 'number') return SPAN_KIND_NAMES[value] ?? 'UNSPECIFIED';
  const text = numberText(value);
  if (text !== undefined) {
    const name = text.replace(/^SPAN_KIND_/, '') as SpanKindName;
    if (SPAN_KIND_NAMES.includes(name)) return name;
  }
  return 'UNSPECIFIED';
}

function decodeStatus(value: unknown): SpanStatusName {
  if (typeof value === 'number') return STATUS_NAMES[value] ?? 'UNSET';
  const text = numberText(value);
  if (text !== undefined) {
    const name = text.replace(/^STATUS_CODE_/, '') as SpanStatusName;
    if (STATUS_NAMES.includes(name)) return name;
  }
  return 'UNSET';
}

/** Links with a valid trace and span id; others are dropped (a link is only ever shown as a note). */
function decodeLinks(value: unknown): SpanLinkTarget[] {
  if (!Array.isArray(value)) return [];
  const links: SpanLinkTarget[] = [];
  for (const link of value as unknown[]) {
    if (!isRecord(link)) continue;
    const traceId = normalizeTraceId(link['traceId']);
    const spanId = normalizeSpanId(link['spanId']);
    if (traceId !== undefined && spanId !== undefined) links.push({ traceId, spanId });
  }
  return links;
}
