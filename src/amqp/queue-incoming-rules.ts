import type { IncomingOption, IncomingPolicyRule } from '../core/trust-policy';

/**
 * Lets the `incoming` rules of an AMQP channel name a queue. The core matches a string rule against the
 * whole destination, and a consume destination is `{exchange}:{routing key}:{queue}` with empty parts left
 * out, so it always ends with the queue: a string rule becomes "the whole destination, or its last part".
 *
 * Anything malformed is passed on unchanged, for the core to reject with its named error at setup.
 */
export function withQueueRules(option: IncomingOption | undefined): IncomingOption | undefined {
  if (typeof option !== 'object' || option === null || !Array.isArray(option.rules)) return option;
  return { ...option, rules: option.rules.map(toQueueRule) };
}

function toQueueRule(rule: IncomingPolicyRule): IncomingPolicyRule {
  if (typeof rule !== 'object' || rule === null || typeof rule.destination !== 'string') return rule;
  return { policy: rule.policy, destination: new RegExp(`(?:^|:)${escapeRegExp(rule.destination)}$`) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
