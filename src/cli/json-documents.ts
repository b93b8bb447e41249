/**
 * Splits input text into JSON documents: either the whole text is one document (an OTLP/JSON export
 * request as an HTTP body or a pretty-printed file), or it is JSON lines, one document per line, as the
 * OpenTelemetry collector's file exporter writes (UTF-8, lines separated by "\n").
 * @see https://opentelemetry.io/docs/specs/otel/protocol/file-exporter/
 */

/** Something wrong with the input, and the (1-based) line it is on when it is on one line. */
export interface OtlpParseProblem {
  readonly line: number | undefined;
  readonly message: string;
}

/** One parsed JSON document and the line it was on (`undefined` for a document spanning several lines). */
export interface JsonDocument {
  readonly line: number | undefined;
  readonly value: unknown;
}

/** The documents in `text`; a line that is not valid JSON is a problem and is skipped. Never throws. */
export function splitJsonDocuments(text: string): {
  documents: JsonDocument[];
  problems: OtlpParseProblem[];
} {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = input.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  const filled = lines.flatMap((line, index) => (line.trim() === '' ? [] : [index + 1]));
  if (filled.length === 0)
    return { documents: [], problems: [{ line: undefined, message: 'the input is empty' }] };

  const whole = tryParse(input);
  if (whole.ok) {
    return {
      documents: [{ line: filled.length === 1 ? filled[0] : undefined, value: whole.value }],
      problems: [],
    };
  }
  const documents: JsonDocument[] = [];
  const problems: OtlpParseProblem[] = [];
  for (const line of filled) {
    const parsed = tryParse(lines[line - 1] ?? '');
    if (parsed.ok) documents.push({ line, value: parsed.value });
    else problems.push({ line, message: `not valid JSON (${parsed.reason})` });
  }
  if (documents.length === 0 && filled.length > 1) {
    // Not one line parses: most likely one multi-line document with a syntax error, which is better
    // reported once than as an error on each of its lines.
    return {
      documents,
      problems: [
        { line: undefined, message: `not valid JSON, neither one document nor JSON lines (${whole.reason})` },
      ],
    };
  }
  return { documents, problems };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
