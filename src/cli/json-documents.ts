/**
 * Splits input into JSON documents, line by line, so that a large file is never held whole: either the
 * input is one document (an OTLP/JSON export request as an HTTP body, a backend's response, a
 * pretty-printed file), or it is JSON lines, one document per line, as the OpenTelemetry collector's
 * file exporter writes (UTF-8, lines separated by "\n").
 *
 * The first non-blank line decides: when it is a JSON document by itself, the input is JSON lines and
 * each line is parsed alone; otherwise lines are gathered into one document, up to
 * {@link JsonLimits.maxDocumentChars}. A document that grows beyond that is not read; the reader then
 * skips to the next line that is a JSON document by itself.
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

/** How much of the input is held at once. */
export interface JsonLimits {
  /** The longest line kept; a longer one is skipped and reported without being parsed. */
  readonly maxLineChars: number;
  /** The largest document gathered from several lines. */
  readonly maxDocumentChars: number;
}

/**
 * 64 Mi characters for a line and a document: far above any export batch or backend response a person
 * reads in a terminal, and well below V8's string limit, so a hostile file cannot exhaust memory.
 */
export const DEFAULT_JSON_LIMITS: JsonLimits = Object.freeze({
  maxLineChars: 64 * 1024 * 1024,
  maxDocumentChars: 64 * 1024 * 1024,
});

/** A line too long to keep: only its length (at least) is known. */
export interface OverlongLine {
  readonly overlong: number;
}

/** Where the splitter puts what it finds. */
export interface JsonDocumentSink {
  document(document: JsonDocument): void;
  problem(problem: OtlpParseProblem): void;
}

type Mode = 'undecided' | 'lines' | 'gathering' | 'skipping';

/** The line-by-line splitter; feed it every line with {@link push}, then call {@link end}. */
export class JsonDocumentSplitter {
  readonly #sink: JsonDocumentSink;
  readonly #limits: JsonLimits;
  #mode: Mode = 'undecided';
  #line = 0;
  #filled = 0;
  /** The lines of a document being gathered, with their numbers. */
  #gathered: { line: number; text: string }[] = [];
  #gatheredChars = 0;
  #skipped = { from: 0, lines: 0 };

  constructor(sink: JsonDocumentSink, limits: JsonLimits = DEFAULT_JSON_LIMITS) {
    this.#sink = sink;
    this.#limits = limits;
  }

  /** The next line, without its "\n" (a trailing "\r" is dropped here). */
  push(input: string | OverlongLine): void {
    const line = ++this.#line;
    if (typeof input !== 'string') {
      this.#filled++;
      this.#overlong(line, input.overlong);
      return;
    }
    let text = line === 1 && input.startsWith('\uFEFF') ? input.slice(1) : input;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return;
    this.#filled++;
    switch (this.#mode) {
      case 'undecided':
      case 'skipping':
        this.#decide(line, text);
        return;
      case 'lines':
        this.#parseLine(line, text);
        return;
      case 'gathering':
        this.#gather(line, text);
    }
  }

  /** The input has ended: a gathered document is parsed now. */
  end(): void {
    if (this.#filled === 0) this.#sink.problem({ line: undefined, message: 'the input is empty' });
    this.#reportSkipped();
    if (this.#mode !== 'gathering') return;
    const whole = tryParse(this.#gathered.map((entry) => entry.text).join('\n'));
    if (whole.ok) {
      this.#sink.document({ line: undefined, value: whole.value });
      return;
    }
    const problems: OtlpParseProblem[] = [];
    const documents: JsonDocument[] = [];
    for (const { line, text } of this.#gathered) {
      const parsed = tryParse(text);
      if (parsed.ok) documents.push({ line, value: parsed.value });
      else problems.push({ line, message: `not valid JSON (${parsed.reason})` });
    }
    if (documents.length === 0 && this.#gathered.length > 1) {
      // Not one line parses: most likely one multi-line document with a syntax error, which is better
      // reported once than as an error on each of its lines.
      this.#sink.problem({
        line: undefined,
        message: `not valid JSON, neither one document nor JSON lines (${whole.reason})`,
      });
      return;
    }
    for (const problem of problems) this.#sink.problem(problem);
    for (const document of documents) this.#sink.document(document);
  }

  #decide(line: number, text: string): void {
    const parsed = tryParse(text);
    // Skipping the rest of a document too large to read, a line of it that parses alone (a string,
    // a number) does not start JSON lines: only an object or an array does.
    const starts =
      parsed.ok && (this.#mode !== 'skipping' || (typeof parsed.value === 'object' && parsed.value !== null));
    if (parsed.ok && starts) {
      this.#reportSkipped();
      this.#mode = 'lines';
      this.#sink.document({ line, value: parsed.value });
    } else if (this.#mode === 'skipping') {
      this.#skip(line);
    } else {
      this.#mode = 'gathering';
      this.#gather(line, text);
    }
  }

  #parseLine(line: number, text: string): void {
    const parsed = tryParse(text);
    if (parsed.ok) this.#sink.document({ line, value: parsed.value });
    else this.#sink.problem({ line, message: `not valid JSON (${parsed.reason})` });
  }

  #gather(line: number, text: string): void {
    this.#gathered.push({ line, text });
    this.#gatheredChars += text.length + 1;
    if (this.#gatheredChars > this.#limits.maxDocumentChars) this.#giveUpGathering();
  }

  /** Too large to be read as one document: read the gathered lines as JSON lines, or skip them. */
  #giveUpGathering(): void {
    const gathered = this.#gathered;
    this.#gathered = [];
    this.#gatheredChars = 0;
    this.#mode = 'skipping';
    for (const { line, text } of gathered) {
      if ((this.#mode as Mode) === 'lines') this.#parseLine(line, text);
      else this.#decide(line, text);
    }
  }

  #overlong(line: number, length: number): void {
    if (this.#mode === 'gathering') this.#giveUpGathering();
    this.#sink.problem({
      line,
      message: `a line of more than ${this.#limits.maxLineChars} characters (${length} read); skipped`,
    });
  }

  #skip(line: number): void {
    if (this.#skipped.lines === 0) this.#skipped.from = line;
    this.#skipped.lines++;
  }

  #reportSkipped(): void {
    const { from, lines } = this.#skipped;
    if (lines === 0) return;
    this.#sink.problem({
      line: from,
      message:
        `a document of more than ${this.#limits.maxDocumentChars} characters, or not JSON: ` +
        `${lines} lines from here skipped`,
    });
    this.#skipped = { from: 0, lines: 0 };
  }
}

/** The documents in `text`; a line that is not valid JSON is a problem and is skipped. Never throws. */
export function splitJsonDocuments(
  text: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): { documents: JsonDocument[]; problems: OtlpParseProblem[] } {
  const documents: JsonDocument[] = [];
  const problems: OtlpParseProblem[] = [];
  const splitter = new JsonDocumentSplitter(
    { document: (d) => documents.push(d), problem: (p) => problems.push(p) },
    limits,
  );
  for (const line of text.split('\n')) {
    splitter.push(line.length > limits.maxLineChars ? { overlong: line.length } : line);
  }
  splitter.end();
  return { documents, problems };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
