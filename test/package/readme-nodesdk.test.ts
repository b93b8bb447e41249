/**
 * The README's "With NodeSDK" code, type-checked as a strict consumer project would compile it: against
 * tracebridge's built declarations (dist/, as published) and the real `@opentelemetry/sdk-node` and
 * `auto-instrumentations-node` types. A block whose first line names
 * a `.mts` file is compiled as an ES module, as its name says.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..');

function sectionBlocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `the README has a "${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('README: With NodeSDK', () => {
  it('every TypeScript block type-checks under strict settings', { timeout: 120_000 }, () => {
    assert.ok(existsSync(join(ROOT, 'dist', 'instrumentation', 'index.d.ts')), 'dist/ is built');
    const blocks = sectionBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'With NodeSDK');
    assert.ok(blocks.length >= 2, 'the explicit and the zero-code setups');
    mkdirSync(join(ROOT, '.cache'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.cache', 'readme-nodesdk-'));
    try {
      const files = blocks.map((code, i) => {
        const file = join(dir, /^\/\/ \S+\.mts\b/.test(code) ? `block-${i}.mts` : `block-${i}.ts`);
        // Each block is a module of its own: a file without imports would otherwise be a global script.
        writeFileSync(file, `${code}\nexport {};\n`);
        return file;
      });
      const compilerOptions = {
        noEmit: true,
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        types: ['node'],
        skipLibCheck: true,
        baseUrl: ROOT,
        paths: { 'tracebridge/*': ['./dist/*/index.d.ts'], tracebridge: ['./dist/index.d.ts'] },
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
      try {
        execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        assert.fail(`tsc failed:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
