/**
 * `incoming` rules of an AMQP channel name a consume destination or just its queue; malformed options still
 * reach the core's validation unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withQueueRules } from '../../../src/amqp/queue-incoming-rules';
import { TracebridgeConfigError } from '../../../src/core/errors';
import { createIncomingPolicyResolver } from '../../../src/core/trust-policy';
import type { IncomingOption } from '../../../src/core/trust-policy';

const resolve = (option: IncomingOption) => createIncomingPolicyResolver(withQueueRules(option));

describe('withQueueRules', () => {
  const policyFor = resolve({
    default: 'parent',
    rules: [
      { destination: 'public.orders', policy: 'link' },
      { destination: 'partners:in:inbox', policy: 'ignore' },
      { destination: /^audit:/, policy: 'ignore' },
    ],
  });

  it('a string rule matches the queue of a consume destination', () => {
    assert.equal(policyFor('public.orders'), 'link');
    assert.equal(policyFor('shop:public.orders'), 'link');
    assert.equal(policyFor('shop:order.created:public.orders'), 'link');
  });

  it('a string rule matches a whole destination', () => {
    assert.equal(policyFor('partners:in:inbox'), 'ignore');
  });

  it('a string rule does not match a queue that merely ends the same, nor a routing key', () => {
    assert.equal(policyFor('shop:xpublic.orders'), 'parent');
    assert.equal(policyFor('shop:public.orders:mine'), 'parent');
    assert.equal(policyFor('public_orders'), 'parent', 'the dot is not a wildcard');
  });

  it('a RegExp rule is tested against the whole destination', () => {
    assert.equal(policyFor('audit:x:q'), 'ignore');
    assert.equal(policyFor('shop:audit:q'), 'parent');
  });

  it('leaves a plain policy and an absent option as they are', () => {
    assert.equal(withQueueRules('link'), 'link');
    assert.equal(withQueueRules(undefined), undefined);
  });

  it('does not modify the caller’s option', () => {
    const option = { rules: [{ destination: 'q', policy: 'link' as const }] };
    const frozen = JSON.stringify(option);
    withQueueRules(option);
    assert.equal(JSON.stringify(option), frozen);
  });

  it('passes malformed rules on for the core to reject with its named error', () => {
    assert.throws(
      () => resolve({ rules: [{ destination: 'q', policy: 'trust' as 'link' }] }),
      TracebridgeConfigError,
    );
    assert.throws(
      () => resolve({ rules: [{ destination: 42 as unknown as string, policy: 'link' }] }),
      TracebridgeConfigError,
    );
    assert.throws(
      () => resolve({ rules: [null as unknown as { destination: string; policy: 'link' }] }),
      TracebridgeConfigError,
    );
  });
});
