// Runs the test files under the given folders (default: test/unit, test/integration and test/package) with Node's own test runner, loading
// TypeScript through tsx. Node 20's runner does not discover *.test.ts by itself, hence this list.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));

function collect(dir) {
  const stat = statSync(dir);
  if (stat.isFile()) return dir.endsWith('.test.ts') ? [dir] : [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => collect(join(dir, name)));
}

// test/confluent needs the Confluent client built from source first: `npm run test:confluent` runs it.
const DEFAULT_ROOTS = ['test/unit', 'test/integration', 'test/package'];
const files = (roots.length > 0 ? roots : DEFAULT_ROOTS)
  .flatMap(collect)
  .map((f) => relative(process.cwd(), f));
if (files.length === 0) {
  console.error('run-tests: no *.test.ts files found');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...passThrough, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
