import { VERSION } from '../version';
import { parseCliArgs } from './cli-args';
import type { ViewArgs } from './cli-args';
import { shouldUseColor } from './color-support';
import { DEFAULT_FETCH_LIMITS, fetchTraces } from './fetch-traces';
import { foldLinkedTraces } from './fold-links';
import type { OtlpParseProblem } from './json-documents';
import { parseTraceJson, readTraceJson } from './parse-trace-json';
import type { TraceParseResult } from './parse-trace-json';
import { renderWaterfall } from './render-waterfall';
import { latestTraces, selectTrace } from './select-trace';
import { sanitize } from './terminal-text';
import { resolveWidth } from './terminal-width';
import type { TraceSpan } from './trace-span';
import { USAGE } from './usage';

/** Exit statuses of the CLI. */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2 } as const;

/** Problems in the input printed at most, per source; the rest are counted. */
const MAX_PROBLEMS_SHOWN = 20;

/** Everything the CLI touches outside itself, so that it runs the same in tests as under `main.ts`. */
export interface CliIo {
  /** The arguments after the program name. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: {
    write(text: string): unknown;
    readonly isTTY?: boolean;
    readonly columns?: number | undefined;
    hasColors?(): boolean;
  };
  readonly stderr: { write(text: string): unknown };
  /** A file's text as UTF-8 chunks; iterating rejects when the file cannot be read. */
  readFile(path: string): AsyncIterable<string>;
  /** Standard input's text as UTF-8 chunks. */
  readStdin(): AsyncIterable<string>;
  /** Whether standard input is a pipe or a file (not a terminal): then no file argument reads it. */
  readonly stdinPiped?: boolean;
  /** The fetch for `--zipkin` and `--jaeger`; default: Node's built-in fetch. */
  readonly fetch?: typeof fetch;
}

/** Runs `tracebridge <argv>` and resolves to the exit status. Never rejects. */
export async function runCli(io: CliIo): Promise<number> {
  const args = parseCliArgs(io.argv);
  switch (args.command) {
    case 'help':
      io.stdout.write(USAGE);
      return ExitCode.Ok;
    case 'version':
      io.stdout.write(`${VERSION}\n`);
      return ExitCode.Ok;
    case 'usage-error':
      return usageError(args.message, io);
    case 'view':
      return view(args, io);
  }
}

function usageError(message: string, io: CliIo): number {
  io.stderr.write(`tracebridge: ${message}\n\n${USAGE}`);
  return ExitCode.Usage;
}

/** The spans of one source, under the name its problems are reported with. */
interface SourceResult {
  readonly name: string;
  readonly result: TraceParseResult;
}

async function view(args: ViewArgs, io: CliIo): Promise<number> {
  if (args.backend === undefined && args.files.length === 0 && io.stdinPiped !== true) {
    return usageError('missing <file> (or - for standard input, or --zipkin / --jaeger)', io);
  }
  const read = args.backend === undefined ? await readFiles(args, io) : await readBackend(args, io);
  if (read === undefined) return ExitCode.Failed;
  for (const { name, result } of read) reportProblems(name, result.problems, io);
  // Several files repeating a span is worth a word; a backend's answers overlap by design (Jaeger's
  // latest traces are asked for service by service).
  let spans = mergeSpans(read, args.backend === undefined ? io : undefined);
  if (spans.length === 0) {
    io.stderr.write(`tracebridge: no spans in ${read.map(({ name }) => sanitize(name)).join(', ')}\n`);
    return ExitCode.Failed;
  }
  if (args.foldLinks) spans = foldLinkedTraces(spans);
  if (args.latest !== undefined) spans = latestTraces(spans, args.latest);
  // A backend was asked for the one trace already, under its own spelling of the id.
  const wanted = args.backend === undefined ? args.traceId : undefined;
  const selected = wanted === undefined ? { traceId: undefined } : selectTrace(spans, wanted);
  if ('error' in selected) {
    io.stderr.write(`tracebridge: ${selected.error}\n`);
    return ExitCode.Failed;
  }
  const width = resolveWidth({ flag: args.width, env: io.env, stream: io.stdout });
  const color = shouldUseColor({ flag: args.color, env: io.env, stream: io.stdout });
  // Every span goes in, so that links from the selected trace still name their targets.
  io.stdout.write(renderWaterfall(spans, { width, color, traceId: selected.traceId }));
  return ExitCode.Ok;
}

/** Each file (standard input for `-`, or for none when it is piped), streamed line by line. */
async function readFiles(args: ViewArgs, io: CliIo): Promise<SourceResult[] | undefined> {
  const files = args.files.length === 0 ? ['-'] : args.files;
  const results: SourceResult[] = [];
  for (const file of files) {
    const name = file === '-' ? '<stdin>' : file;
    try {
      results.push({ name, result: await readTraceJson(file === '-' ? io.readStdin() : io.readFile(file)) });
    } catch (error) {
      io.stderr.write(`tracebridge: cannot read ${sanitize(name)}: ${sanitize(reason(error))}\n`);
      return undefined;
    }
  }
  return results;
}

async function readBackend(args: ViewArgs, io: CliIo): Promise<SourceResult[] | undefined> {
  const backend = args.backend!;
  const fetched = await fetchTraces(backend, {
    traceId: args.traceId,
    latest: args.latest,
    timeoutMs: args.timeoutMs ?? DEFAULT_FETCH_LIMITS.timeoutMs,
    maxBytes: DEFAULT_FETCH_LIMITS.maxBytes,
    fetch: io.fetch ?? fetch,
  });
  if ('error' in fetched) {
    io.stderr.write(`tracebridge: ${backend.kind}: ${sanitize(fetched.error)}\n`);
    return undefined;
  }
  const name = `${backend.kind} ${backend.url}`;
  return fetched.bodies.map((body) => ({ name, result: parseTraceJson(body) }));
}

/** The spans of every source; a span already read from an earlier source keeps that first copy. */
function mergeSpans(read: readonly SourceResult[], reportTo: CliIo | undefined): TraceSpan[] {
  if (read.length === 1) return [...read[0]!.result.spans];
  const seen = new Set<string>();
  const spans: TraceSpan[] = [];
  let repeated = 0;
  for (const { result } of read) {
    for (const span of result.spans) {
      const key = `${span.traceId}/${span.spanId}`;
      if (seen.has(key)) repeated++;
      else {
        seen.add(key);
        spans.push(span);
      }
    }
  }
  if (repeated > 0) {
    reportTo?.stderr.write(
      `tracebridge: ${repeated} spans appear in more than one file; the first copy is kept\n`,
    );
  }
  return spans;
}

function reportProblems(name: string, problems: readonly OtlpParseProblem[], io: CliIo): void {
  for (const { line, message } of problems.slice(0, MAX_PROBLEMS_SHOWN)) {
    const where = line === undefined ? name : `${name}:${line}`;
    io.stderr.write(`tracebridge: ${sanitize(where)}: ${sanitize(message)}\n`);
  }
  if (problems.length > MAX_PROBLEMS_SHOWN) {
    io.stderr.write(`tracebridge: … and ${problems.length - MAX_PROBLEMS_SHOWN} more problems\n`);
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
