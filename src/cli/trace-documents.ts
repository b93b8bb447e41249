import { boundedText } from './foreign-text';
import { decodeJaegerSpan } from './jaeger-span';
import { decodeAttributes, isRecord } from './otlp-any-value';
import { decodeOtlpSpan } from './otlp-span';
import type { DecodedSpan } from './otlp-span';
import type { TraceSpan } from './trace-span';
import { decodeZipkinSpan } from './zipkin-span';

/**
 * Which format a JSON document is in, told from its shape (nothing else says it: files have no media
 * type, and backends all answer `application/json`):
 *
 * | shape                                   | format                                                 |
 * |-----------------------------------------|--------------------------------------------------------|
 * | `{ "resourceSpans": [...] }`            | OTLP/JSON (`otlp`)                                     |
 * | `{ "result": { "resourceSpans": ... } }`| Jaeger's v3 API, OTLP inside (`jaeger`)                |
 * | `{ "data": [ { "spans", "processes" } ] }` | Jaeger's query API (`jaeger`)                        |
 * | `{ "traceID", "spans", "processes" }`   | one trace of it (`jaeger`)                             |
 * | `[ { "traceId", "id", ... }, ... ]`     | Zipkin v2 spans, `/api/v2/trace/{id}` (`zipkin`)       |
 * | `[ [ ...spans ], ... ]`                 | Zipkin v2 traces, `/api/v2/traces` (`zipkin`)          |
 */
export type TraceFormat = 'otlp' | 'zipkin' | 'jaeger';

/** A span found in a document, or why one was skipped. */
export type FoundSpan =
  { readonly span: TraceSpan; readonly warning?: string } | { readonly problem: string };

/** A document's format (when it is a trace format at all) and the spans in it. */
export interface TraceDocument {
  readonly format: TraceFormat | undefined;
  readonly found: Iterable<FoundSpan>;
}

/** The format of `value` and its spans; a document in no known format yields one problem. */
export function decodeTraceDocument(value: unknown): TraceDocument {
  if (Array.isArray(value)) return { format: 'zipkin', found: zipkinSpansOf(value) };
  if (isRecord(value)) {
    if (Array.isArray(value['resourceSpans'])) return { format: 'otlp', found: otlpSpansOf(value) };
    const result = value['result'];
    if (isRecord(result) && 'resourceSpans' in result) {
      return { format: 'jaeger', found: otlpSpansOf(result, 'result.') };
    }
    if (Array.isArray(value['data'])) return { format: 'jaeger', found: jaegerSpansOf(value) };
    if (Array.isArray(value['spans']) && 'traceID' in value) {
      return { format: 'jaeger', found: jaegerTraceSpans(value, '') };
    }
  }
  const problem = notTraces(
    value,
    'is not a trace document (no OTLP "resourceSpans", no Jaeger "data", not an array of Zipkin spans); skipped',
  );
  return { format: undefined, found: [{ problem }] };
}

/** The resource attribute that names the service. */
const SERVICE_NAME = 'service.name';

/** The spans of an OTLP `ExportTraceServiceRequest` (or anything with its `resourceSpans`). */
export function* otlpSpansOf(request: unknown, prefix = ''): Generator<FoundSpan> {
  if (!isRecord(request) || !Array.isArray(request['resourceSpans'])) {
    yield { problem: notTraces(request, 'is not an OTLP trace export (no "resourceSpans" array); skipped') };
    return;
  }
  for (const [r, resourceSpans] of (request['resourceSpans'] as unknown[]).entries()) {
    const where = `${prefix}resourceSpans[${r}]`;
    if (!isRecord(resourceSpans)) {
      yield { problem: `${where} is not an object; skipped` };
      continue;
    }
    const resource = isRecord(resourceSpans['resource']) ? resourceSpans['resource'] : {};
    const serviceName = boundedText(decodeAttributes(resource['attributes'])[SERVICE_NAME]);
    // proto3 JSON omits an empty repeated field: absent is empty, anything else but an array is wrong.
    const scopes = repeated(resourceSpans['scopeSpans']);
    if (scopes === undefined) yield { problem: `${where}.scopeSpans is not an array; skipped` };
    for (const [s, scopeSpans] of (scopes ?? []).entries()) {
      const spans = isRecord(scopeSpans) ? repeated(scopeSpans['spans']) : undefined;
      if (spans === undefined) {
        yield { problem: `${where}.scopeSpans[${s}] has no array of spans; skipped` };
        continue;
      }
      for (const [p, value] of spans.entries()) {
        yield found(decodeOtlpSpan(value, serviceName), `${where}.scopeSpans[${s}].spans[${p}]`);
      }
    }
  }
}

function repeated(value: unknown): readonly unknown[] | undefined {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}

function* zipkinSpansOf(list: readonly unknown[]): Generator<FoundSpan> {
  for (const [i, item] of list.entries()) {
    if (!Array.isArray(item)) {
      yield found(decodeZipkinSpan(item), `[${i}]`);
      continue;
    }
    for (const [j, span] of (item as unknown[]).entries())
      yield found(decodeZipkinSpan(span), `[${i}][${j}]`);
  }
}

function* jaegerSpansOf(response: Record<string, unknown>): Generator<FoundSpan> {
  // The query API reports a trace it could not load in `errors`, next to the traces it could.
  if (Array.isArray(response['errors'])) {
    for (const error of (response['errors'] as unknown[]).slice(0, 10)) {
      const message = isRecord(error) ? boundedText(error['msg']) : undefined;
      yield { problem: `Jaeger reports an error: ${message ?? 'no message'}` };
    }
  }
  for (const [t, trace] of (response['data'] as unknown[]).entries()) {
    if (isRecord(trace)) yield* jaegerTraceSpans(trace, `data[${t}].`);
  }
}

function* jaegerTraceSpans(trace: Record<string, unknown>, prefix: string): Generator<FoundSpan> {
  const processes = isRecord(trace['processes']) ? trace['processes'] : {};
  const spans = Array.isArray(trace['spans']) ? (trace['spans'] as unknown[]) : [];
  for (const [s, span] of spans.entries())
    yield found(decodeJaegerSpan(span, processes), `${prefix}spans[${s}]`);
}

function found(decoded: DecodedSpan, where: string): FoundSpan {
  if (decoded.span === undefined) return { problem: `${where} ${decoded.error}; skipped` };
  if (decoded.warning !== undefined) return { span: decoded.span, warning: `${where} ${decoded.warning}` };
  return { span: decoded.span };
}

function notTraces(document: unknown, otherwise: string): string {
  if (isRecord(document)) {
    if ('resourceMetrics' in document) return 'holds metrics, not traces; skipped';
    if ('resourceLogs' in document) return 'holds logs, not traces; skipped';
    if (isRecord(document['error'])) {
      return `is an error response (${boundedText(document['error']['message']) ?? 'no message'}); skipped`;
    }
  }
  return otherwise;
}
