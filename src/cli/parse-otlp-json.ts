import { splitJsonDocuments } from './json-documents';
import type { OtlpParseProblem } from './json-documents';
import { decodeAttributes, isRecord } from './otlp-any-value';
import { decodeOtlpSpan } from './otlp-span';
import type { TraceSpan } from './trace-span';

export type { OtlpParseProblem } from './json-documents';

/** What {@link parseOtlpJson} found: the spans it could read, and what it had to skip. */
export interface OtlpParseResult {
  /** Every valid span, in file order; a span repeated (same trace and span id) is kept once. */
  readonly spans: readonly TraceSpan[];
  /** Lines that are not JSON, documents that are not trace exports, spans that are malformed. */
  readonly problems: readonly OtlpParseProblem[];
}

/** The resource attribute that names the service. */
const SERVICE_NAME = 'service.name';

/**
 * Reads OTLP/JSON trace data: JSON lines of `ExportTraceServiceRequest`s (`{"resourceSpans":[…]}`), as
 * the OpenTelemetry collector's file exporter writes them, or a single such document. Malformed lines,
 * documents and spans are reported in `problems` and skipped; everything else is still returned.
 * Never throws.
 *
 * @see https://github.com/open-telemetry/opentelemetry-proto/blob/main/docs/specification.md#json-protobuf-encoding
 */
export function parseOtlpJson(text: string): OtlpParseResult {
  const { documents, problems } = splitJsonDocuments(text);
  const spans: TraceSpan[] = [];
  const seen = new Set<string>();
  for (const { line, value } of documents) {
    for (const found of spansOfRequest(value)) {
      if ('problem' in found) {
        problems.push({ line, message: found.problem });
        continue;
      }
      const key = `${found.span.traceId}/${found.span.spanId}`;
      if (seen.has(key)) {
        problems.push({ line, message: `span ${found.span.spanId} appears again; the first copy is kept` });
        continue;
      }
      seen.add(key);
      spans.push(found.span);
      if (found.warning !== undefined) problems.push({ line, message: found.warning });
    }
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { spans, problems };
}

type Found = { span: TraceSpan; warning?: string } | { problem: string };

function* spansOfRequest(request: unknown): Generator<Found> {
  if (!isRecord(request) || !Array.isArray(request['resourceSpans'])) {
    yield { problem: notTraces(request) };
    return;
  }
  for (const [r, resourceSpans] of (request['resourceSpans'] as unknown[]).entries()) {
    if (!isRecord(resourceSpans)) continue;
    const resource = isRecord(resourceSpans['resource']) ? resourceSpans['resource'] : {};
    const service = decodeAttributes(resource['attributes'])[SERVICE_NAME];
    const serviceName = typeof service === 'string' ? service : undefined;
    const scopes = Array.isArray(resourceSpans['scopeSpans'])
      ? (resourceSpans['scopeSpans'] as unknown[])
      : [];
    for (const [s, scopeSpans] of scopes.entries()) {
      if (!isRecord(scopeSpans) || !Array.isArray(scopeSpans['spans'])) continue;
      for (const [p, value] of (scopeSpans['spans'] as unknown[]).entries()) {
        const decoded = decodeOtlpSpan(value, serviceName);
        const where = `resourceSpans[${r}].scopeSpans[${s}].spans[${p}]`;
        if (decoded.span === undefined) yield { problem: `${where} ${decoded.error}; skipped` };
        else if (decoded.warning !== undefined)
          yield { span: decoded.span, warning: `${where} ${decoded.warning}` };
        else yield { span: decoded.span };
      }
    }
  }
}

function notTraces(document: unknown): string {
  if (isRecord(document)) {
    if ('resourceMetrics' in document) return 'holds metrics, not traces; skipped';
    if ('resourceLogs' in document) return 'holds logs, not traces; skipped';
  }
  return 'is not an OTLP trace export (no "resourceSpans" array); skipped';
}
