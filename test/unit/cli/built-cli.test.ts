/**
 * The command as users run it: the built `dist/cli/main.js` in a child process. `npm test` builds
 * before it tests; run `npm run build` first when running this file alone.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'otlp');
const CHECKOUT = join(FIXTURES, 'checkout-trace.jsonl');

function tracebridge(
  args: string[],
  input?: string,
): { status: number | null; stdout: string; stderr: string } {
  // A clean environment: the parent's FORCE_COLOR or NO_COLOR must not decide the output.
  const env = { PATH: process.env['PATH'] ?? '' };
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    input,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the built tracebridge command', () => {
  before(() => {
    assert.ok(
      existsSync(MAIN),
      `${MAIN} is missing: run \`npm run build\` first (\`npm test\` builds before it runs the tests)`,
    );
  });

  it('starts with a shebang, so the package.json bin entry runs it', () => {
    assert.match(readFileSync(MAIN, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });

  it('view <fixture> --no-color --width 100 prints the golden waterfall', () => {
    const result = tracebridge(['view', CHECKOUT, '--no-color', '--width', '100']);
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
    assert.equal(result.stdout, readFileSync(join(FIXTURES, 'checkout-trace.waterfall-100.txt'), 'utf8'));
  });

  it('reads standard input from -, honours FORCE_COLOR through the environment, exits 2 on bad usage', () => {
    const piped = tracebridge(['view', '-', '--width=100'], readFileSync(CHECKOUT, 'utf8'));
    assert.equal(piped.status, 0);
    assert.equal(piped.stdout, readFileSync(join(FIXTURES, 'checkout-trace.waterfall-100.txt'), 'utf8'));
    const usage = tracebridge(['view', CHECKOUT, '--width', 'ten']);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--width takes a number of columns/);
    const missing = tracebridge(['view', join(FIXTURES, 'absent.jsonl')]);
    assert.equal(missing.status, 1);
  });

  it('reads piped input with no file argument, in any format (here what Zipkin returned)', () => {
    const zipkin = join(ROOT, 'test', 'fixtures', 'zipkin', 'checkout-traces.json');
    const piped = tracebridge(['view', '--width', '100'], readFileSync(zipkin, 'utf8'));
    assert.equal(piped.stderr, '');
    assert.equal(piped.status, 0);
    assert.equal(piped.stdout, readFileSync(zipkin.replace('.json', '.waterfall-100.txt'), 'utf8'));
  });
});
