import { splitJsonDocuments } from './json-documents';
import type { OtlpParseProblem } from './json-documents';
import { SpanCollector } from './span-collector';
import { otlpSpansOf } from './trace-documents';
import type { TraceSpan } from './trace-span';

export type { OtlpParseProblem } from './json-documents';

/** What {@link parseOtlpJson} found: the spans it could read, and what it had to skip. */
export interface OtlpParseResult {
  /** Every valid span, in file order; a span repeated (same trace and span id) is kept once. */
  readonly spans: readonly TraceSpan[];
  /** Lines that are not JSON, documents that are not trace exports, spans that are malformed. */
  readonly problems: readonly OtlpParseProblem[];
}

/**
 * Reads OTLP/JSON trace data: JSON lines of `ExportTraceServiceRequest`s (`{"resourceSpans":[…]}`), as
 * the OpenTelemetry collector's file exporter writes them, or a single such document. Malformed lines,
 * documents and spans are reported in `problems` and skipped; everything else is still returned.
 * Never throws. {@link parseTraceJson} also reads Zipkin's and Jaeger's JSON.
 *
 * @see https://github.com/open-telemetry/opentelemetry-proto/blob/main/docs/specification.md#json-protobuf-encoding
 */
export function parseOtlpJson(text: string): OtlpParseResult {
  const { documents, problems } = splitJsonDocuments(text);
  const collector = new SpanCollector();
  collector.problems.push(...problems);
  for (const document of documents) {
    collector.add(document, (value) => ({ format: 'otlp', found: otlpSpansOf(value) }));
  }
  return { spans: collector.spans, problems: collector.sortedProblems() };
}
