import type { JsonDocument, OtlpParseProblem } from './json-documents';
import type { TraceSpan } from './trace-span';
import type { FoundSpan, TraceFormat } from './trace-documents';

/**
 * Gathers the spans of a reader's documents: each span once (a span repeated, same trace and span id,
 * keeps its first copy and is reported), problems with the line they are on, and the formats seen.
 */
export class SpanCollector {
  readonly spans: TraceSpan[] = [];
  readonly problems: OtlpParseProblem[] = [];
  readonly formats = new Set<TraceFormat>();
  readonly #seen = new Set<string>();

  /** The spans `decode` finds in `document`. */
  add(
    { line, value }: JsonDocument,
    decode: (value: unknown) => { format: TraceFormat | undefined; found: Iterable<FoundSpan> },
  ): void {
    const { format, found } = decode(value);
    if (format !== undefined) this.formats.add(format);
    for (const item of found) {
      if ('problem' in item) {
        this.problems.push({ line, message: item.problem });
        continue;
      }
      const key = `${item.span.traceId}/${item.span.spanId}`;
      if (this.#seen.has(key)) {
        this.problems.push({
          line,
          message: `span ${item.span.spanId} appears again; the first copy is kept`,
        });
        continue;
      }
      this.#seen.add(key);
      this.spans.push(item.span);
      if (item.warning !== undefined) this.problems.push({ line, message: item.warning });
    }
  }

  /** Problems by line (those of no one line first), as a reader reports them. */
  sortedProblems(): OtlpParseProblem[] {
    return [...this.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  }
}
