import { TracebridgeConfigError, TracebridgeErrorCode } from './errors';
import { checkKnownKeys } from './option-checks';

/**
 * What an inbound trace context (from a message or an incoming call) may do:
 * - `'parent'`: the processing span continues the sender's trace as its child, and the sender's baggage is
 *   kept (the source is trusted);
 * - `'link'`: the processing span starts a new trace and links to the sender's span; baggage is dropped
 *   (for public ingress topics and queues fed by parties you do not control);
 * - `'ignore'`: the inbound context is neither followed nor linked; baggage is dropped.
 */
export type IncomingPolicy = 'parent' | 'link' | 'ignore';

/** One per-destination exception to the default policy. */
export interface IncomingPolicyRule {
  /** A destination name (exact match) or a pattern tested against it. */
  readonly destination: string | RegExp;
  readonly policy: IncomingPolicy;
}

/**
 * The `incoming` option of every adapter: one policy for all destinations, or a default plus rules, the
 * first matching rule winning.
 *
 * @example `{ default: 'parent', rules: [{ destination: /^public\./, policy: 'link' }] }`
 */
export type IncomingOption =
  IncomingPolicy | { readonly default?: IncomingPolicy; readonly rules?: readonly IncomingPolicyRule[] };

/** The default when an adapter is given no `incoming` option: trust inbound context. */
export const DEFAULT_INCOMING_POLICY: IncomingPolicy = 'parent';

/** The keys of an `incoming` object and of each of its rules: a misspelt one is an error, not ignored. */
const INCOMING_KEYS = ['default', 'rules'];
const RULE_KEYS = ['destination', 'policy'];
const NESTED_KEY_CHECK = { code: TracebridgeErrorCode.InvalidIncomingPolicy, noun: 'key' } as const;

const POLICIES: ReadonlySet<unknown> = new Set<IncomingPolicy>(['parent', 'link', 'ignore']);

function checkPolicy(value: unknown, where: string): IncomingPolicy {
  if (!POLICIES.has(value)) {
    throw new TracebridgeConfigError(
      TracebridgeErrorCode.InvalidIncomingPolicy,
      `${where} must be 'parent', 'link' or 'ignore', got ${JSON.stringify(value)}`,
    );
  }
  return value as IncomingPolicy;
}

/**
 * Validates an `incoming` option once, at setup, and returns the function that answers "what policy for
 * this destination?". Throws {@link TracebridgeConfigError} on anything malformed.
 */
export function createIncomingPolicyResolver(
  option: IncomingOption | undefined,
): (destination: string) => IncomingPolicy {
  if (option === undefined) return () => DEFAULT_INCOMING_POLICY;
  if (typeof option === 'string') {
    const policy = checkPolicy(option, 'incoming');
    return () => policy;
  }
  if (typeof option !== 'object' || option === null) {
    checkPolicy(option, 'incoming');
  }
  checkKnownKeys('incoming', option, INCOMING_KEYS, NESTED_KEY_CHECK);
  const fallback = checkPolicy(option.default ?? DEFAULT_INCOMING_POLICY, 'incoming.default');
  const rules = (option.rules ?? []).map((rule, i) => checkRule(rule, i));
  if (rules.length === 0) return () => fallback;
  return (destination) => rules.find((rule) => rule.matches(destination))?.policy ?? fallback;
}

function checkRule(
  rule: IncomingPolicyRule,
  index: number,
): { matches: (d: string) => boolean; policy: IncomingPolicy } {
  const where = `incoming.rules[${index}]`;
  const policy = checkPolicy(rule?.policy, `${where}.policy`);
  checkKnownKeys(where, rule, RULE_KEYS, NESTED_KEY_CHECK);
  const { destination } = rule;
  if (typeof destination === 'string') return { matches: (d) => d === destination, policy };
  if (destination instanceof RegExp) {
    // A global or sticky RegExp keeps state between `test` calls and would match every other time.
    if (destination.global || destination.sticky) {
      throw new TracebridgeConfigError(
        TracebridgeErrorCode.InvalidIncomingPolicy,
        `${where}.destination must not use the g or y flag (${String(destination)})`,
      );
    }
    return { matches: (d) => destination.test(d), policy };
  }
  throw new TracebridgeConfigError(
    TracebridgeErrorCode.InvalidIncomingPolicy,
    `${where}.destination must be a string or a RegExp`,
  );
}
