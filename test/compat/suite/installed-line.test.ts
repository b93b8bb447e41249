/**
 * The consumer project is what it claims to be: every package pinned in the line's package.json is the
 * version installed, tracebridge comes from the packed tarball, and tracebridge and the SDK share one copy
 * of `@opentelemetry/api` (two copies would silently disable tracing, and the suite would prove nothing).
 */
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { it } from 'node:test';
import { SDK_LINE } from './sdk-line';

const PROJECT = join(__dirname, '..');
const requireHere = createRequire(join(__dirname, 'installed-line.test.ts'));
const installed = (name: string) => join(realpathSync(PROJECT), 'node_modules', name);

interface Manifest {
  version: string;
  dependencies?: Record<string, string>;
}
const manifestOf = (file: string): Manifest => JSON.parse(readFileSync(file, 'utf8')) as Manifest;
/** Where `from` resolves `name`'s entry point (its real path). */
const resolvedBy = (from: NodeJS.Require, name: string) => realpathSync(from.resolve(name));

it(`every pinned package of the ${SDK_LINE} line is installed at its pinned version`, () => {
  const pinned = manifestOf(join(PROJECT, 'package.json')).dependencies ?? {};
  assert.ok(Object.keys(pinned).length >= 8, 'the line pins its packages');
  for (const [name, version] of Object.entries(pinned)) {
    assert.equal(manifestOf(join(installed(name), 'package.json')).version, version, name);
    // Type packages have no entry point to resolve; every other one must load from the line's copy.
    if (name.startsWith('@types/')) continue;
    assert.ok(
      resolvedBy(requireHere, name).startsWith(installed(name)),
      `${name} resolves to the line's copy`,
    );
  }
});

it('tracebridge is the packed tarball, and it sees the same @opentelemetry/api as the SDK', () => {
  const tracebridge = join(installed('tracebridge'), 'package.json');
  assert.equal(
    manifestOf(tracebridge).version,
    process.env['TRACEBRIDGE_PACKED_VERSION'],
    'the version just packed',
  );
  assert.ok(
    resolvedBy(requireHere, 'tracebridge').startsWith(installed('tracebridge')),
    'the installed tarball',
  );
  const fromTracebridge = createRequire(tracebridge);
  const fromSdk = createRequire(join(installed('@opentelemetry/sdk-node'), 'package.json'));
  const api = resolvedBy(requireHere, '@opentelemetry/api');
  assert.ok(api.startsWith(installed('@opentelemetry/api')));
  assert.equal(resolvedBy(fromTracebridge, '@opentelemetry/api'), api, 'tracebridge resolves the line’s API');
  assert.equal(resolvedBy(fromSdk, '@opentelemetry/api'), api, 'sdk-node resolves the same API');
  assert.equal(
    resolvedBy(fromTracebridge, '@opentelemetry/instrumentation'),
    resolvedBy(fromSdk, '@opentelemetry/instrumentation'),
    'tracebridge/instrumentation extends the same @opentelemetry/instrumentation as NodeSDK',
  );
});
