import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { closestNames } from '../../../src/core/closest-name';
import { checkKnownKeys, checkOptionTypes } from '../../../src/core/option-checks';

describe('checkOptionTypes', () => {
  const expected = {
    flag: 'boolean',
    hook: 'function',
    name: 'string',
    provider: 'object',
    max: 'positive integer',
  } as const;

  /** `options` are refused with `TRACEBRIDGE_INVALID_OPTION` and `message` (exactly, or matching). */
  function assertRefused(options: object, message: string | RegExp): void {
    assert.throws(
      () => checkOptionTypes('setup', options, expected),
      (error: unknown) =>
        error instanceof TracebridgeConfigError &&
        error.code === TracebridgeErrorCode.InvalidOption &&
        (typeof message === 'string' ? error.message === message : message.test(error.message)),
    );
  }

  it('accepts absent options and options of their type', () => {
    checkOptionTypes('setup', undefined, expected);
    checkOptionTypes('setup', {}, expected);
    checkOptionTypes(
      'setup',
      { flag: false, hook: () => undefined, name: 'n', provider: {}, max: 3 },
      expected,
    );
  });

  it('throws a named error for the first option of the wrong type, with what it got', () => {
    const cases: [object, string | RegExp][] = [
      [{ flag: 'true' }, /option `flag` must be a boolean, got "true"/],
      [{ hook: {} }, /option `hook` must be a function, got object/],
      [{ provider: null }, /option `provider` must be an object, got null/],
      [{ max: 0 }, /option `max` must be a positive integer, got 0/],
      [{ max: 1.5 }, /option `max` must be a positive integer, got 1.5/],
    ];
    for (const [options, message] of cases) assertRefused(options, message);
    assert.throws(
      () => checkOptionTypes('setup', 'x' as unknown as object, expected),
      /options must be an object/,
    );
  });

  it('rejects an unknown option, naming the closest valid one', () => {
    const cases: [object, string | RegExp][] = [
      [{ flga: true }, 'setup: unknown option `flga`; did you mean `flag`?'],
      [{ Max: 3 }, 'setup: unknown option `Max`; did you mean `max`?'],
      [
        { colour: 'red' },
        'setup: unknown option `colour`; the options are `flag`, `hook`, `name`, `provider`, `max`',
      ],
    ];
    for (const [options, message] of cases) assertRefused(options, message);
  });

  it('checks unknown keys before types, and escapes a hostile key in the message', () => {
    assert.throws(
      () => checkOptionTypes('setup', { flag: 'no', 'x\n\u001b[31m': 1 }, expected),
      (error: unknown) =>
        error instanceof TracebridgeConfigError && error.message.includes('`x\\n\\u001b[31m`'),
    );
  });
});

describe('checkKnownKeys', () => {
  it('words nested keys as keys, with the code given', () => {
    assert.throws(
      () =>
        checkKnownKeys('incoming', { defualt: 'link' }, ['default', 'rules'], {
          code: TracebridgeErrorCode.InvalidIncomingPolicy,
          noun: 'key',
        }),
      (error: unknown) =>
        error instanceof TracebridgeConfigError &&
        error.code === TracebridgeErrorCode.InvalidIncomingPolicy &&
        error.message === 'incoming: unknown key `defualt`; did you mean `default`?',
    );
    checkKnownKeys('incoming', { default: 'link' }, ['default', 'rules']);
  });
});

describe('closestNames', () => {
  const kafkaConsumer = ['tracerProvider', 'meterProvider', 'recordMessageKeys', 'incoming', 'groupId'];

  it('suggests names within a few edits, ignoring case', () => {
    assert.deepEqual(closestNames('incomming', kafkaConsumer), ['incoming']);
    assert.deepEqual(closestNames('groupID', kafkaConsumer), ['groupId']);
    assert.deepEqual(closestNames('meterProvder', kafkaConsumer), ['meterProvider']);
  });

  it('suggests a name that has every word of the given one', () => {
    assert.deepEqual(closestNames('recordKeys', kafkaConsumer), ['recordMessageKeys']);
    assert.deepEqual(closestNames('tracer', kafkaConsumer), ['tracerProvider']);
    assert.deepEqual(closestNames('record_keys', kafkaConsumer), ['recordMessageKeys']);
  });

  it('names at most two, closest first, and nothing when none is close', () => {
    assert.deepEqual(closestNames('recordKeys', ['recordMessageKeys', 'recordBinaryKeys', 'recordAllKeys']), [
      'recordAllKeys',
      'recordBinaryKeys',
    ]);
    assert.deepEqual(closestNames('colour', kafkaConsumer), []);
    assert.deepEqual(closestNames('x'.repeat(10_000), kafkaConsumer), []);
  });
});
