/**
 * `tracebridge/testing` goes into users' test suites, whatever their framework: it must load nothing
 * at run time but `@opentelemetry/api` (a peer dependency): not the SDK, not `node:assert`, no test
 * framework. Checked on the built files, as users load them (`npm test` builds first).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';

const DIST = join(__dirname, '..', '..', '..', 'dist');

/** Every module specifier `entry` requires, directly or through the package's own files. */
function externalRequires(entry: string): Set<string> {
  assert.ok(
    existsSync(entry),
    `${entry} is missing: run \`npm run build\` first (\`npm test\` builds first)`,
  );
  const external = new Set<string>();
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) {
      if (specifier!.startsWith('.')) queue.push(resolve(dirname(file), `${specifier}.js`));
      else external.add(specifier!);
    }
  }
  return external;
}

describe('what the entry points load', () => {
  it('tracebridge/testing requires only @opentelemetry/api', () => {
    assert.deepEqual([...externalRequires(join(DIST, 'testing', 'index.js'))], ['@opentelemetry/api']);
  });

  it('tracebridge/testing, loaded, brings in no other package (no SDK)', () => {
    const script = [
      `require(${JSON.stringify(join(DIST, 'testing', 'index.js'))});`,
      'const packages = Object.keys(require.cache)',
      '  .map((file) => /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(file)?.[1])',
      '  .filter(Boolean);',
      'console.log(JSON.stringify([...new Set(packages)]));',
    ].join('\n');
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }),
    ) as string[];
    assert.deepEqual(loaded, ['@opentelemetry/api']);
  });

  it('the viewer (tracebridge/cli, the tracebridge command) needs nothing beyond Node', () => {
    assert.deepEqual([...externalRequires(join(DIST, 'cli', 'index.js'))], []);
    assert.deepEqual([...externalRequires(join(DIST, 'cli', 'main.js'))].sort(), ['node:fs/promises']);
  });
});
