import { VERSION } from '../version';
import { parseCliArgs } from './cli-args';
import type { ViewArgs } from './cli-args';
import { shouldUseColor } from './color-support';
import type { OtlpParseProblem } from './json-documents';
import { parseOtlpJson } from './parse-otlp-json';
import { renderWaterfall } from './render-waterfall';
import { selectTrace } from './select-trace';
import { sanitize } from './terminal-text';
import { resolveWidth } from './terminal-width';
import { USAGE } from './usage';

/** Exit statuses of the CLI. */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2 } as const;

/** Problems in the input printed at most; the rest are counted. */
const MAX_PROBLEMS_SHOWN = 20;

/** Everything the CLI touches outside itself, so that it runs the same in tests as under `main.ts`. */
export interface CliIo {
  /** The arguments after the program name. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: {
    write(text: string): unknown;
    readonly isTTY?: boolean;
    readonly columns?: number;
    hasColors?(): boolean;
  };
  readonly stderr: { write(text: string): unknown };
  /** Reads a file as UTF-8; rejects when it cannot. */
  readFile(path: string): Promise<string>;
  /** Reads standard input to its end as UTF-8. */
  readStdin(): Promise<string>;
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
      io.stderr.write(`tracebridge: ${args.message}\n\n${USAGE}`);
      return ExitCode.Usage;
    case 'view':
      return view(args, io);
  }
}

async function view(args: ViewArgs, io: CliIo): Promise<number> {
  const name = args.file === '-' ? '<stdin>' : args.file;
  let text: string;
  try {
    text = args.file === '-' ? await io.readStdin() : await io.readFile(args.file);
  } catch (error) {
    io.stderr.write(`tracebridge: cannot read ${sanitize(name)}: ${sanitize(reason(error))}\n`);
    return ExitCode.Failed;
  }
  const { spans, problems } = parseOtlpJson(text);
  reportProblems(name, problems, io);
  if (spans.length === 0) {
    io.stderr.write(`tracebridge: no spans in ${sanitize(name)}\n`);
    return ExitCode.Failed;
  }
  const selected = args.traceId === undefined ? { traceId: undefined } : selectTrace(spans, args.traceId);
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
