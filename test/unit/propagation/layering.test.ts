/**
 * The propagation layer sits below the messaging core: carriers and header limits must not depend on
 * it (the core depends on them). Checked on the sources, import by import.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const PROPAGATION = join(__dirname, '..', '..', '..', 'src', 'propagation');

describe('layering', () => {
  it('nothing in src/propagation imports from src/core', () => {
    const files = readdirSync(PROPAGATION).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 5, 'the folder was found');
    const upward = files.flatMap((file) =>
      [...readFileSync(join(PROPAGATION, file), 'utf8').matchAll(/\bfrom\s+'([^']+)'/g)]
        .map((match) => match[1]!)
        .filter((specifier) => /^\.\.\/core(\/|$)/.test(specifier))
        .map((specifier) => `${file} imports ${specifier}`),
    );
    assert.deepEqual(upward, []);
  });
});
