import { DEFAULT_JSON_LIMITS, JsonDocumentSplitter, splitJsonDocuments } from './json-documents';
import type { JsonLimits, OtlpParseProblem } from './json-documents';
import { SpanCollector } from './span-collector';
import { textLines } from './text-lines';
import { decodeTraceDocument } from './trace-documents';
import type { TraceFormat } from './trace-documents';
import type { TraceSpan } from './trace-span';

/** What {@link parseTraceJson} and {@link readTraceJson} found. */
export interface TraceParseResult {
  /** Every valid span, in input order; a span repeated (same trace and span id) is kept once. */
  readonly spans: readonly TraceSpan[];
  /** Lines that are not JSON, documents in no trace format, spans that are malformed. */
  readonly problems: readonly OtlpParseProblem[];
  /** The formats of the documents read, in the order first seen. */
  readonly formats: readonly TraceFormat[];
}

/**
 * Reads trace JSON in any of the formats backends and exporters write, told apart by each document's
 * shape: OTLP/JSON (one document or JSON lines), Zipkin v2 (`/api/v2/trace/{id}`, `/api/v2/traces`),
 * Jaeger's query API (`{ "data": [...] }`) and its v3 API (`{ "result": { "resourceSpans": ... } }`).
 * Every format maps onto the same {@link TraceSpan}s, so a trace renders the same whichever it came
 * in, within what the format carries (Zipkin: no links, four kinds; see the README). Never throws.
 */
export function parseTraceJson(text: string): TraceParseResult {
  const { documents, problems } = splitJsonDocuments(text);
  const collector = new SpanCollector();
  collector.problems.push(...problems);
  for (const document of documents) collector.add(document, decodeTraceDocument);
  return resultOf(collector);
}

/**
 * {@link parseTraceJson} over a stream of text (a file, standard input), read line by line: a JSON
 * lines file of any size is never held whole, and a line or a document beyond `limits` (64 Mi
 * characters each by default) is reported and skipped. Rejects only when the stream itself fails.
 */
export async function readTraceJson(
  chunks: AsyncIterable<string>,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): Promise<TraceParseResult> {
  const collector = new SpanCollector();
  const splitter = new JsonDocumentSplitter(
    {
      document: (document) => collector.add(document, decodeTraceDocument),
      problem: (problem) => collector.problems.push(problem),
    },
    limits,
  );
  for await (const line of textLines(chunks, limits.maxLineChars)) splitter.push(line);
  splitter.end();
  return resultOf(collector);
}

function resultOf(collector: SpanCollector): TraceParseResult {
  return { spans: collector.spans, problems: collector.sortedProblems(), formats: [...collector.formats] };
}
