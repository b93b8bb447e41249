import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCliArgs } from '../../../src/cli/cli-args';
import { shouldUseColor } from '../../../src/cli/color-support';
import { resolveWidth } from '../../../src/cli/terminal-width';

describe('parseCliArgs', () => {
  it('reads view, its file and options in both --name value and --name=value forms', () => {
    assert.deepEqual(parseCliArgs(['view', 'traces.jsonl']), {
      command: 'view',
      file: 'traces.jsonl',
      traceId: undefined,
      width: undefined,
      color: undefined,
    });
    assert.deepEqual(parseCliArgs(['view', '--trace', '4BF92F35', '--width=120', '--no-color', '-']), {
      command: 'view',
      file: '-',
      traceId: '4bf92f35',
      width: 120,
      color: false,
    });
    assert.equal((parseCliArgs(['view', 'f', '--no-color', '--color']) as { color: boolean }).color, true);
    assert.equal(
      (parseCliArgs(['view', '--', '--odd-name.jsonl']) as { file: string }).file,
      '--odd-name.jsonl',
    );
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
      [['view'], /missing <file>/],
      [['view', 'a', 'b'], /one file at a time/],
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
