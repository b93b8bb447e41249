import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import { createIncomingPolicyResolver } from '../../../src/core/trust-policy';
import type { IncomingOption } from '../../../src/core/trust-policy';

const isPolicyError = (e: unknown) =>
  e instanceof TracebridgeConfigError &&
  e.code === TracebridgeErrorCode.InvalidIncomingPolicy &&
  e.name === 'TracebridgeConfigError';

describe('incoming trust policy', () => {
  it("defaults to 'parent'", () => {
    assert.equal(createIncomingPolicyResolver(undefined)('anything'), 'parent');
    assert.equal(createIncomingPolicyResolver({})('anything'), 'parent');
  });

  it('takes the first matching rule, strings matching exactly', () => {
    const resolve = createIncomingPolicyResolver({
      default: 'ignore',
      rules: [
        { destination: 'orders', policy: 'parent' },
        { destination: /^orders/, policy: 'link' },
      ],
    });
    assert.equal(resolve('orders'), 'parent');
    assert.equal(resolve('orders.dlq'), 'link');
    assert.equal(resolve('xorders'), 'ignore');
  });

  it('throws a named, coded error at setup for malformed options', () => {
    const bad: unknown[] = [
      'trust',
      42,
      null,
      { default: 'maybe' },
      { rules: [{ destination: 'a', policy: 'yes' }] },
      { rules: [{ destination: 7, policy: 'link' }] },
      { rules: [{ destination: /a/g, policy: 'link' }] },
      { rules: [null] },
    ];
    for (const option of bad) {
      assert.throws(
        () => createIncomingPolicyResolver(option as IncomingOption),
        isPolicyError,
        JSON.stringify(option),
      );
      assert.throws(
        () => new MessagingTelemetry({ system: 'kafka', incoming: option as IncomingOption }),
        isPolicyError,
      );
    }
  });

  it('never mutates the options it is given', () => {
    const option = Object.freeze({
      default: 'link' as const,
      rules: Object.freeze([Object.freeze({ destination: 'a', policy: 'parent' as const })]),
    });
    assert.equal(createIncomingPolicyResolver(option)('a'), 'parent');
  });

  it('refuses an unknown key of incoming or of a rule, naming the closest one', () => {
    const cases: [unknown, string][] = [
      [{ defaults: 'link' }, 'incoming: unknown key `defaults`; did you mean `default`?'],
      [
        { rules: [{ destination: 'orders', policy: 'link', polcy: 'parent' }] },
        'incoming.rules[0]: unknown key `polcy`; did you mean `policy`?',
      ],
    ];
    for (const [option, message] of cases) {
      assert.throws(
        () => createIncomingPolicyResolver(option as IncomingOption),
        (e: unknown) => isPolicyError(e) && (e as Error).message === message,
      );
    }
  });
});
