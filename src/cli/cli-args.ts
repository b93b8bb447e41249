import { MIN_WIDTH } from './waterfall-layout';

/** A tracing backend to fetch traces from instead of reading files. */
export interface BackendSource {
  readonly kind: 'zipkin' | 'jaeger';
  /** The backend's base URL, as given (`http://127.0.0.1:9411`). */
  readonly url: string;
}

/**
 * `tracebridge view [<file>...] [--zipkin URL | --jaeger URL] [--trace id | --latest n] [--fold-links]
 * [--width n] [--timeout seconds] [--color | --no-color]`.
 */
export interface ViewArgs {
  readonly command: 'view';
  /** Paths, `-` for standard input; none to read piped standard input (or to fetch from a backend). */
  readonly files: readonly string[];
  /** Lowercase hex digits: a whole trace id or a prefix of one (a whole id with a backend). */
  readonly traceId: string | undefined;
  readonly width: number | undefined;
  /** `true` for `--color`, `false` for `--no-color`, `undefined` to decide from the environment. */
  readonly color: boolean | undefined;
  /** `--fold-links`: batch traces drawn inside the traces they link. */
  readonly foldLinks: boolean;
  readonly backend: BackendSource | undefined;
  /** `--latest N`: the N most recent traces of the backend. */
  readonly latest: number | undefined;
  /** `--timeout S`, in milliseconds: how long a backend may take to answer. */
  readonly timeoutMs: number | undefined;
}

/** What the command line asks for. */
export type CliArgs =
  | ViewArgs
  | { readonly command: 'help' }
  | { readonly command: 'version' }
  | { readonly command: 'usage-error'; readonly message: string };

const TRACE_ID_PREFIX = /^[0-9a-f]{1,32}$/i;
const DIGITS = /^\d{1,9}$/;
/** The most traces `--latest` asks a backend for: a terminal shows a few, never thousands. */
export const MAX_LATEST = 1000;
/** The longest `--timeout`, in seconds. */
const MAX_TIMEOUT_SECONDS = 3600;

const VALUE_OPTIONS = ['--trace', '--width', '--zipkin', '--jaeger', '--latest', '--timeout'] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

/**
 * Parses the arguments after `tracebridge`. A small hand-written parser, so the CLI needs nothing beyond
 * Node: `--name value` and `--name=value` forms, `--` ends the options, `-` is the standard-input file.
 */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const optionsEnd = argv.indexOf('--');
  const options = optionsEnd === -1 ? argv : argv.slice(0, optionsEnd);
  if (options.includes('-h') || options.includes('--help') || argv[0] === 'help') return { command: 'help' };
  if (options.includes('--version')) return { command: 'version' };
  const [command, ...rest] = argv;
  if (command === undefined) return usageError('missing command');
  if (command !== 'view') return usageError(`unknown command ${JSON.stringify(command)}`);
  return parseView(rest);
}

interface Draft {
  files: string[];
  traceId?: string;
  width?: number;
  color?: boolean;
  foldLinks: boolean;
  backend?: BackendSource;
  latest?: number;
  timeoutMs?: number;
}

function parseView(argv: readonly string[]): CliArgs {
  const draft: Draft = { files: [], foldLinks: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      draft.files.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      draft.files.push(arg);
      continue;
    }
    const [name, inline] = splitOption(arg);
    if (name === '--color' || name === '--no-color' || name === '--fold-links') {
      if (inline !== undefined) return usageError(`${name} takes no value`);
      if (name === '--fold-links') draft.foldLinks = true;
      else draft.color = name === '--color';
      continue;
    }
    if (!(VALUE_OPTIONS as readonly string[]).includes(name)) {
      return usageError(`unknown option ${JSON.stringify(name)}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') return usageError(`${name} needs a value`);
    const error = applyValue(draft, name as ValueOption, value);
    if (error !== undefined) return usageError(error);
  }
  return finish(draft);
}

/** Sets the option `name` to `value`; a message when the value is not one it takes. */
function applyValue(draft: Draft, name: ValueOption, value: string): string | undefined {
  switch (name) {
    case '--trace':
      if (!TRACE_ID_PREFIX.test(value)) return '--trace takes a trace id (up to 32 hex digits)';
      draft.traceId = value.toLowerCase();
      return undefined;
    case '--width':
      if (!DIGITS.test(value) || Number(value) < MIN_WIDTH) {
        return `--width takes a number of columns, at least ${MIN_WIDTH}`;
      }
      draft.width = Number(value);
      return undefined;
    case '--latest':
      if (!DIGITS.test(value) || Number(value) < 1 || Number(value) > MAX_LATEST) {
        return `--latest takes a number of traces, 1 to ${MAX_LATEST}`;
      }
      draft.latest = Number(value);
      return undefined;
    case '--timeout':
      if (!DIGITS.test(value) || Number(value) < 1 || Number(value) > MAX_TIMEOUT_SECONDS) {
        return `--timeout takes a number of seconds, 1 to ${MAX_TIMEOUT_SECONDS}`;
      }
      draft.timeoutMs = Number(value) * 1000;
      return undefined;
    case '--zipkin':
    case '--jaeger': {
      if (draft.backend !== undefined) return 'one backend at a time: --zipkin or --jaeger';
      if (!isHttpUrl(value)) return `${name} takes an http:// or https:// URL`;
      draft.backend = { kind: name === '--zipkin' ? 'zipkin' : 'jaeger', url: value };
      return undefined;
    }
  }
}

/** The combinations: a backend needs a trace or --latest and no files; --latest needs a backend. */
function finish(draft: Draft): CliArgs {
  const { backend, files, traceId, latest } = draft;
  if (backend === undefined) {
    if (latest !== undefined) return usageError('--latest needs --zipkin or --jaeger');
    if (draft.timeoutMs !== undefined) return usageError('--timeout needs --zipkin or --jaeger');
  } else {
    if (files.length > 0) return usageError(`--${backend.kind} reads from the backend, not from files`);
    if ((traceId === undefined) === (latest === undefined)) {
      return usageError(`--${backend.kind} needs either --trace <id> or --latest <n>`);
    }
    if (
      traceId !== undefined &&
      backend.kind === 'zipkin' &&
      traceId.length !== 16 &&
      traceId.length !== 32
    ) {
      return usageError('--trace with --zipkin takes a whole trace id (16 or 32 hex digits)');
    }
  }
  return {
    command: 'view',
    files,
    traceId,
    width: draft.width,
    color: draft.color,
    foldLinks: draft.foldLinks,
    backend,
    latest,
    timeoutMs: draft.timeoutMs,
  };
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'http:' || protocol === 'https:';
}

function splitOption(arg: string): [string, string | undefined] {
  const equals = arg.indexOf('=');
  return equals === -1 ? [arg, undefined] : [arg.slice(0, equals), arg.slice(equals + 1)];
}

function usageError(message: string): CliArgs {
  return { command: 'usage-error', message };
}
