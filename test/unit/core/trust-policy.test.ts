import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import { createIncomingPolicyResolver } from '../../../src/core/trust-policy';
import type { IncomingOption } from '../../../src/core/trust-policy';

const policyOf = (option: IncomingOption | undefined, name: string, exchange?: string) =>
  createIncomingPolicyResolver(option, exchange === undefined ? 'named' : 'amqp')({ name, exchange }).policy;

const isPolicyError = (e: unknown) =>
  e instanceof TracebridgeConfigError &&
  e.code === TracebridgeErrorCode.InvalidIncomingPolicy &&
  e.name === 'TracebridgeConfigError';

describe('incoming trust policy', () => {
  it("defaults to 'parent'", () => {
    assert.equal(policyOf(undefined, 'anything'), 'parent');
    assert.equal(policyOf({}, 'anything'), 'parent');
  });

  it('takes the first matching rule, strings matching exactly', () => {
    const resolve = createIncomingPolicyResolver({
      default: 'ignore',
      rules: [
        { destination: 'orders', policy: 'parent' },
        { destination: /^orders/, policy: 'link' },
      ],
    });
    assert.equal(resolve({ name: 'orders' }).policy, 'parent');
    assert.equal(resolve({ name: 'orders.dlq' }).policy, 'link');
    assert.equal(resolve({ name: 'xorders' }).policy, 'ignore');
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
      { rules: [{ policy: 'link' }] },
      { rules: [{ destinaton: 'a', policy: 'link' }] },
      { rules: [{ queue: 'a', policy: 'link' }] },
      { rules: [{ exchange: 'a', policy: 'link' }] },
      { rules: [{ destination: 'a', policy: 'link', sampleRatio: 0.5 }] },
      { rules: [{ destination: 'a', policy: 'continue', sampleRatio: 2 }] },
      { rules: [{ destination: 'a', policy: 'continue', sampleRatio: '0.5' }] },
      { default: 'parent', sampleRatio: 0 },
      { defualt: 'link' },
      { rules: { destination: 'a', policy: 'link' } },
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
    assert.equal(policyOf(option, 'a'), 'parent');
  });
});

describe("incoming rules of AMQP ('amqp' shape)", () => {
  const resolve = createIncomingPolicyResolver(
    {
      default: 'parent',
      rules: [
        { destination: 'public.orders', policy: 'link' },
        { queue: /^partner\./, policy: 'continue', sampleRatio: 0 },
        { queue: 'audit', exchange: 'external', policy: 'ignore' },
        { exchange: /^ingress\./, policy: 'link' },
      ],
    },
    'amqp',
  );

  it('a string destination names the queue, whatever the exchange', () => {
    assert.equal(resolve({ name: 'public.orders', exchange: 'shop' }).policy, 'link');
    assert.equal(resolve({ name: 'public.orders', exchange: '' }).policy, 'link');
    assert.equal(resolve({ name: 'xpublic.orders', exchange: 'shop' }).policy, 'parent');
  });

  it('a RegExp queue rule is tested against the queue alone, anchors included', () => {
    const resolved = resolve({ name: 'partner.acme', exchange: 'shop' });
    assert.deepEqual(resolved, { policy: 'continue', sampleRatio: 0 });
    assert.equal(resolve({ name: 'internal.partner.acme', exchange: 'shop' }).policy, 'parent');
  });

  it('queue and exchange must both match; an exchange rule alone matches any queue', () => {
    assert.equal(resolve({ name: 'audit', exchange: 'external' }).policy, 'ignore');
    assert.equal(resolve({ name: 'audit', exchange: 'internal' }).policy, 'parent');
    assert.equal(resolve({ name: 'orders', exchange: 'ingress.web' }).policy, 'link');
  });

  it('refuses a RegExp destination (it used to see the routing key) and ambiguous rules', () => {
    const bad: IncomingOption[] = [
      { rules: [{ destination: /^public/, policy: 'link' }] },
      { rules: [{ destination: 'a', queue: 'a', policy: 'link' }] },
      { rules: [{ routingKey: 'a', policy: 'link' } as never] },
    ];
    for (const option of bad) {
      assert.throws(
        () => createIncomingPolicyResolver(option, 'amqp'),
        isPolicyError,
        JSON.stringify(option),
      );
    }
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
