import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { checkOptionTypes } from '../../../src/core/option-checks';

describe('checkOptionTypes', () => {
  const expected = {
    flag: 'boolean',
    hook: 'function',
    name: 'string',
    provider: 'object',
    max: 'positive integer',
  } as const;

  it('accepts absent options and options of their type', () => {
    checkOptionTypes('setup', undefined, expected);
    checkOptionTypes('setup', {}, expected);
    checkOptionTypes(
      'setup',
      { flag: false, hook: () => undefined, name: 'n', provider: {}, max: 3, extra: 1 },
      expected,
    );
  });

  it('throws a named error for the first option of the wrong type, with what it got', () => {
    const cases: [object, RegExp][] = [
      [{ flag: 'true' }, /option `flag` must be a boolean, got "true"/],
      [{ hook: {} }, /option `hook` must be a function, got object/],
      [{ provider: null }, /option `provider` must be a object, got null/],
      [{ max: 0 }, /option `max` must be a positive integer, got 0/],
      [{ max: 1.5 }, /option `max` must be a positive integer, got 1.5/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => checkOptionTypes('setup', options, expected),
        (error: unknown) =>
          error instanceof TracebridgeConfigError &&
          error.code === TracebridgeErrorCode.InvalidOption &&
          message.test(error.message),
      );
    }
    assert.throws(
      () => checkOptionTypes('setup', 'x' as unknown as object, expected),
      /options must be an object/,
    );
  });
});
