import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as semconv from '@opentelemetry/semantic-conventions/incubating';
import * as ours from '../../../src/core/semantic-attributes';
import { VERSION } from '../../../src/version';

describe('semantic convention names', () => {
  it('match @opentelemetry/semantic-conventions for every name the conventions define', () => {
    const conventions = semconv as unknown as Record<string, string>;
    const checked: string[] = [];
    for (const [name, value] of Object.entries(ours)) {
      if (name.includes('TRACEBRIDGE')) {
        assert.match(value, /^tracebridge\./, `${name} is namespaced`);
        continue;
      }
      assert.equal(value, conventions[name], `${name}`);
      checked.push(name);
    }
    assert.ok(checked.length >= 20, `checked ${checked.length} names`);
  });

  it('the version constant matches package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(VERSION, pkg.version);
  });
});
