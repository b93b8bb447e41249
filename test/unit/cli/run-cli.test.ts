import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExitCode, runCli } from '../../../src/cli/run-cli';
import type { CliIo } from '../../../src/cli/run-cli';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
const CHECKOUT = join(FIXTURES, 'otlp', 'checkout-trace.jsonl');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with `argv`, the given environment and terminal, and optional stdin. */
async function run(
  argv: string[],
  options: { env?: Record<string, string>; tty?: boolean; columns?: number; stdin?: string } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    argv,
    env: options.env ?? {},
    stdout: {
      write: (text: string) => (stdout += text),
      isTTY: options.tty ?? false,
      columns: options.columns,
      hasColors: () => true,
    },
    stderr: { write: (text: string) => (stderr += text) },
    readFile: (path) => createReadStream(path, { encoding: 'utf8' }),
    readStdin: () => chunksOf(options.stdin ?? ''),
    stdinPiped: options.stdin !== undefined,
  };
  const code = await runCli(io);
  return { code, stdout, stderr };
}

/** `text` in small chunks, as a pipe delivers it: lines arrive split across chunks. */
async function* chunksOf(text: string): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += 7) yield text.slice(i, i + 7);
}

describe('tracebridge view (in process)', () => {
  it('prints every trace of a file, plain when the output is not a terminal, at width 100', async () => {
    const result = await run(['view', CHECKOUT]);
    assert.equal(result.code, ExitCode.Ok);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, await readFile(CHECKOUT.replace('.jsonl', '.waterfall-100.txt'), 'utf8'));
  });

  it('colours a colour terminal and fits its width; NO_COLOR turns colour off there', async () => {
    const coloured = await run(['view', CHECKOUT], { tty: true, columns: 72 });
    assert.ok(coloured.stdout.includes('\u001b['));
    // eslint-disable-next-line no-control-regex
    for (const line of coloured.stdout.replace(/\u001b\[[0-9;]*m/g, '').split('\n')) {
      assert.ok([...line].length <= 72, line);
    }
    const noColor = await run(['view', CHECKOUT], { tty: true, columns: 72, env: { NO_COLOR: '1' } });
    assert.equal(noColor.stdout.includes('\u001b'), false);
  });

  it('--trace prints the one trace a prefix names; a prefix that names none fails with exit 1', async () => {
    const one = await run(['view', CHECKOUT, '--trace', '9a1c']);
    assert.equal(one.code, ExitCode.Ok);
    assert.match(one.stdout, /^trace 9a1c4e2f0b7d46c8a53e6f1d2c3b4a59 /m);
    assert.doesNotMatch(one.stdout, /^trace 4bf92f35/m);
    // The link still names its target, a span of the trace not shown.
    assert.match(one.stdout, /-> link to send order\.created \(orders\) in trace 4bf92f35… \(\+1 more\)/);
    const none = await run(['view', CHECKOUT, '--trace', 'ffff']);
    assert.equal(none.code, ExitCode.Failed);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /no trace ffff; the traces are: 4bf92f35\w+, 9a1c4e2f\w+/);
  });

  it('reports malformed lines on stderr with their numbers and prints the rest', async () => {
    const good = (await readFile(CHECKOUT, 'utf8')).split('\n');
    const stdin = [good[0], '{"resourceSpans": [', good[1], 'garbage \u001b[2J', ''].join('\n');
    const result = await run(['view', '-'], { stdin });
    assert.equal(result.code, ExitCode.Ok);
    const problems = result.stderr.trimEnd().split('\n');
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^tracebridge: <stdin>:2: not valid JSON/);
    assert.match(problems[1]!, /^tracebridge: <stdin>:4: not valid JSON/);
    assert.equal(result.stderr.includes('\u001b'), false, 'input echoed in errors is sanitized');
    // Lines 1 and 3: the orders and gateway spans, one trace of 5 spans.
    assert.match(result.stdout, /trace 4bf92f3577b34da6a3ce929d0e0e4736 {2}52\.4 ms {2}5 spans/);
  });

  it('caps the problems it lists', async () => {
    const stdin = `${Array.from({ length: 30 }, () => 'x').join('\n')}\n${(await readFile(CHECKOUT, 'utf8')).split('\n')[0]}`;
    const result = await run(['view', '-'], { stdin });
    assert.equal(result.code, ExitCode.Ok);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 21);
    assert.equal(lines[20], 'tracebridge: … and 10 more problems');
  });

  it('exit 1 for a file that cannot be read or holds no spans; 2 for bad usage; 0 for help', async () => {
    const missing = await run(['view', join(__dirname, 'no-such-file.jsonl')]);
    assert.deepEqual([missing.code, missing.stdout], [ExitCode.Failed, '']);
    assert.match(missing.stderr, /cannot read .*no-such-file\.jsonl: no such file/);
    const directory = await run(['view', __dirname]);
    assert.equal(directory.code, ExitCode.Failed);
    const empty = await run(['view', '-'], { stdin: '{"resourceSpans":[]}\n' });
    assert.equal(empty.code, ExitCode.Failed);
    assert.match(empty.stderr, /no spans in <stdin>/);
    const usage = await run(['view']);
    assert.equal(usage.code, ExitCode.Usage);
    assert.match(usage.stderr, /^tracebridge: missing <file>[^]*Usage: tracebridge view/);
    const help = await run(['view', '--help']);
    assert.deepEqual([help.code, help.stderr], [ExitCode.Ok, '']);
    assert.match(help.stdout, /^Usage: tracebridge view <file> \[options\]/);
    assert.match((await run(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('reads several files of different formats as one set of spans, each span once', async () => {
    const zipkin = join(FIXTURES, 'zipkin', 'checkout-traces.json');
    const jaeger = join(FIXTURES, 'jaeger', 'checkout-traces.json');
    const result = await run(['view', jaeger, zipkin]);
    assert.equal(result.code, ExitCode.Ok);
    // Jaeger's copy of each span came first and is kept: its names keep their case.
    assert.equal(result.stdout, await readFile(CHECKOUT.replace('.jsonl', '.waterfall-100.txt'), 'utf8'));
    assert.equal(
      result.stderr,
      'tracebridge: 16 spans appear in more than one file; the first copy is kept\n',
    );
  });

  it('reads piped standard input when no file is given', async () => {
    const piped = await run(['view'], {
      stdin: await readFile(join(FIXTURES, 'zipkin', 'checkout-traces.json'), 'utf8'),
    });
    assert.equal(piped.code, ExitCode.Ok);
    assert.equal(
      piped.stdout,
      await readFile(join(FIXTURES, 'zipkin', 'checkout-traces.waterfall-100.txt'), 'utf8'),
    );
  });

  it('--fold-links prints the batch trace inside the order it links (the golden fold-links output)', async () => {
    const folded = await run(['view', CHECKOUT, '--fold-links']);
    assert.equal(folded.code, ExitCode.Ok);
    assert.equal(folded.stdout, await readFile(CHECKOUT.replace('.jsonl', '.fold-links-100.txt'), 'utf8'));
    // The folded trace is no longer a trace of its own to select.
    const gone = await run(['view', CHECKOUT, '--fold-links', '--trace', '9a1c']);
    assert.equal(gone.code, ExitCode.Failed);
  });
});
