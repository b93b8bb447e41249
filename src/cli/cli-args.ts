import { MIN_WIDTH } from './waterfall-layout';

/** `tracebridge view <file> [--trace id] [--width n] [--color | --no-color]`. */
export interface ViewArgs {
  readonly command: 'view';
  /** A path, or `-` for standard input. */
  readonly file: string;
  /** Lowercase hex digits: a whole trace id or a prefix of one. */
  readonly traceId: string | undefined;
  readonly width: number | undefined;
  /** `true` for `--color`, `false` for `--no-color`, `undefined` to decide from the environment. */
  readonly color: boolean | undefined;
}

/** What the command line asks for. */
export type CliArgs =
  | ViewArgs
  | { readonly command: 'help' }
  | { readonly command: 'version' }
  | { readonly command: 'usage-error'; readonly message: string };

const TRACE_ID_PREFIX = /^[0-9a-f]{1,32}$/i;
const DIGITS = /^\d+$/;

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

function parseView(argv: readonly string[]): CliArgs {
  const files: string[] = [];
  let traceId: string | undefined;
  let width: number | undefined;
  let color: boolean | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      files.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      files.push(arg);
      continue;
    }
    const [name, inline] = splitOption(arg);
    if (name === '--color' || name === '--no-color') {
      if (inline !== undefined) return usageError(`${name} takes no value`);
      color = name === '--color';
      continue;
    }
    if (name !== '--trace' && name !== '--width') return usageError(`unknown option ${JSON.stringify(name)}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') return usageError(`${name} needs a value`);
    if (name === '--trace') {
      if (!TRACE_ID_PREFIX.test(value)) return usageError('--trace takes a trace id (up to 32 hex digits)');
      traceId = value.toLowerCase();
    } else {
      if (!DIGITS.test(value) || Number(value) < MIN_WIDTH) {
        return usageError(`--width takes a number of columns, at least ${MIN_WIDTH}`);
      }
      width = Number(value);
    }
  }
  if (files.length === 0) return usageError('missing <file> (or - for standard input)');
  if (files.length > 1) return usageError(`one file at a time, got ${files.length}`);
  return { command: 'view', file: files[0]!, traceId, width, color };
}

function splitOption(arg: string): [string, string | undefined] {
  const equals = arg.indexOf('=');
  return equals === -1 ? [arg, undefined] : [arg.slice(0, equals), arg.slice(equals + 1)];
}

function usageError(message: string): CliArgs {
  return { command: 'usage-error', message };
}
