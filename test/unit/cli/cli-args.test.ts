import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCliArgs } from '../../../src/cli/cli-args';
import type { ViewArgs } from '../../../src/cli/cli-args';
import { shouldUseColor } from '../../../src/cli/color-support';
import { resolveWidth } from '../../../src/cli/terminal-width';

describe('parseCliArgs', () => {
  it('reads view, its file and options in both --name value and --name=value forms', () => {
    const none = { backend: undefined, latest: undefined, timeoutMs: undefined, foldLinks: false };
    assert.deepEqual(parseCliArgs(['view', 'traces.jsonl']), {
      command: 'view',
      files: ['traces.jsonl'],
      traceId: undefined,
      width: undefined,
      color: undefined,
      ...none,
    });
    assert.deepEqual(
      parseCliArgs(['view', '--trace', '4BF92F35', '--width=120', '--no-color', '-', 'b.json']),
      {
        command: 'view',
        files: ['-', 'b.json'],
        traceId: '4bf92f35',
        width: 120,
        color: false,
        ...none,
      },
    );
    assert.equal((parseCliArgs(['view', 'f', '--no-color', '--color']) as { color: boolean }).color, true);
    assert.deepEqual((parseCliArgs(['view', '--', '--odd-name.jsonl']) as ViewArgs).files, [
      '--odd-name.jsonl',
    ]);
    // No file at all: standard input when it is piped, which only the runner can tell.
    assert.deepEqual((parseCliArgs(['view', '--fold-links']) as ViewArgs).files, []);
    assert.equal((parseCliArgs(['view', '--fold-links']) as ViewArgs).foldLinks, true);
  });

  it('reads a backend with a whole trace id or --latest, and a timeout in seconds', () => {
    const zipkin = parseCliArgs(['view', '--zipkin', 'http://127.0.0.1:9411', '--trace', 'A'.repeat(32)]);
    assert.deepEqual(
      [(zipkin as ViewArgs).backend, (zipkin as ViewArgs).traceId],
      [{ kind: 'zipkin', url: 'http://127.0.0.1:9411' }, 'a'.repeat(32)],
    );
    const jaeger = parseCliArgs([
      'view',
      '--jaeger=https://jaeger.example/q/',
      '--latest',
      '5',
      '--timeout',
      '3',
    ]);
    assert.deepEqual(
      [(jaeger as ViewArgs).backend, (jaeger as ViewArgs).latest, (jaeger as ViewArgs).timeoutMs],
      [{ kind: 'jaeger', url: 'https://jaeger.example/q/' }, 5, 3000],
    );
    // Jaeger writes ids without their leading zeros, so a shorter id is whole there.
    assert.equal(parseCliArgs(['view', '--jaeger', 'http://h', '--trace', 'abc']).command, 'view');
  });

  it('help and version win wherever they appear before --', () => {
    for (const argv of [
      ['--help'],
      ['-h'],
      ['help'],
      ['view', 'f', '--help'],
      ['view', '--width', '3', '-h'],
      [],
    ]) {
      const expected = argv.length === 0 ? 'usage-error' : 'help';
      assert.equal(parseCliArgs(argv).command, expected, argv.join(' '));
    }
    assert.equal(parseCliArgs(['--version']).command, 'version');
    assert.equal(parseCliArgs(['view', '--', '--help']).command, 'view');
  });

  it('reports bad usage with a message', () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [['show', 'f'], /unknown command "show"/],
      [['view', 'f', '--zipkin', 'ftp://h', '--trace', 'a'.repeat(16)], /http:\/\/ or https:\/\/ URL/],
      [['view', '--zipkin', 'not a url', '--latest', '1'], /URL/],
      [['view', 'f', '--zipkin', 'http://h', '--trace', 'a'.repeat(16)], /not from files/],
      [['view', '--zipkin', 'http://h'], /either --trace <id> or --latest <n>/],
      [['view', '--zipkin', 'http://h', '--trace', 'a'.repeat(16), '--latest', '2'], /either --trace/],
      [['view', '--zipkin', 'http://h', '--trace', 'abc'], /whole trace id/],
      [['view', '--zipkin', 'http://h', '--jaeger', 'http://h', '--latest', '1'], /one backend at a time/],
      [['view', 'f', '--latest', '3'], /--latest needs --zipkin or --jaeger/],
      [['view', '--zipkin', 'http://h', '--latest', '0'], /1 to 1000/],
      [['view', '--zipkin', 'http://h', '--latest', '1001'], /1 to 1000/],
      [['view', '--zipkin', 'http://h', '--latest', '1', '--timeout', '0'], /--timeout takes/],
      [['view', 'f', '--timeout', '5'], /--timeout needs/],
      [['view', 'f', '--fold-links=yes'], /takes no value/],
      [['view', 'f', '--wide'], /unknown option "--wide"/],
      [['view', 'f', '--trace'], /--trace needs a value/],
      [['view', 'f', '--trace', 'xyz'], /hex digits/],
      [['view', 'f', '--trace', 'a'.repeat(33)], /hex digits/],
      [['view', 'f', '--width', 'wide'], /at least 50/],
      [['view', 'f', '--width=49'], /at least 50/],
      [['view', 'f', '--color=always'], /takes no value/],
    ];
    for (const [argv, message] of cases) {
      const args = parseCliArgs(argv);
      assert.equal(args.command, 'usage-error', argv.join(' '));
      assert.match((args as { message: string }).message, message);
    }
  });
});

describe('shouldUseColor', () => {
  const tty = { isTTY: true, hasColors: () => true };
  const pipe = { isTTY: false };

  it('colours a colour terminal, not a pipe or a terminal without colours', () => {
    assert.equal(shouldUseColor({ flag: undefined, env: {}, stream: tty }), true);
    assert.equal(shouldUseColor({ flag: undefined, env: {}, stream: pipe }), false);
    assert.equal(
      shouldUseColor({ flag: undefined, env: {}, stream: { isTTY: true, hasColors: () => false } }),
      false,
    );
  });

  it('flags beat FORCE_COLOR, which beats NO_COLOR, which beats the terminal', () => {
    assert.equal(shouldUseColor({ flag: false, env: { FORCE_COLOR: '1' }, stream: tty }), false);
    assert.equal(shouldUseColor({ flag: true, env: { NO_COLOR: '1' }, stream: pipe }), true);
    assert.equal(
      shouldUseColor({ flag: undefined, env: { FORCE_COLOR: '1', NO_COLOR: '1' }, stream: pipe }),
      true,
    );
    assert.equal(shouldUseColor({ flag: undefined, env: { FORCE_COLOR: '' }, stream: pipe }), true);
    assert.equal(shouldUseColor({ flag: undefined, env: { FORCE_COLOR: '0' }, stream: tty }), false);
    assert.equal(shouldUseColor({ flag: undefined, env: { FORCE_COLOR: 'false' }, stream: tty }), false);
    assert.equal(shouldUseColor({ flag: undefined, env: { NO_COLOR: '1' }, stream: tty }), false);
    // no-color.org: an empty NO_COLOR does not count.
    assert.equal(shouldUseColor({ flag: undefined, env: { NO_COLOR: '' }, stream: tty }), true);
  });
});

describe('resolveWidth', () => {
  it('--width, else the terminal, else COLUMNS, else 100; never below 50', () => {
    const env = { COLUMNS: '132' };
    assert.equal(resolveWidth({ flag: 90, env, stream: { isTTY: true, columns: 70 } }), 90);
    assert.equal(resolveWidth({ flag: undefined, env, stream: { isTTY: true, columns: 70 } }), 70);
    assert.equal(resolveWidth({ flag: undefined, env, stream: { isTTY: false } }), 132);
    assert.equal(resolveWidth({ flag: undefined, env: {}, stream: { isTTY: false } }), 100);
    assert.equal(resolveWidth({ flag: undefined, env: { COLUMNS: 'abc' }, stream: {} }), 100);
    assert.equal(resolveWidth({ flag: undefined, env: {}, stream: { isTTY: true, columns: 30 } }), 50);
  });
});
