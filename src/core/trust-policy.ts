import { TracebridgeConfigError, TracebridgeErrorCode } from './errors';
import { checkKnownKeys } from './option-checks';

/**
 * What an inbound trace context (from a message or an incoming call) may do, from most to least trusting:
 * - `'parent'`: the processing span continues the sender's trace as its child; the sender's baggage,
 *   tracestate and sampled flag are kept (the source is trusted);
 * - `'continue'`: the processing span continues the sender's trace as its child (same trace id, parent =
 *   the sender's span), but inbound baggage and tracestate are dropped, and with `sampleRatio` the sampled
 *   flag is decided here instead of by the sender (for partners you want in your traces but not steering
 *   them);
 * - `'link'`: the processing span starts a new trace and links to the sender's span; baggage is dropped
 *   (for public ingress topics and queues fed by parties you do not control);
 * - `'ignore'`: the inbound context is neither followed nor linked; baggage is dropped.
 */
export type IncomingPolicy = 'parent' | 'continue' | 'link' | 'ignore';

/**
 * The names an operator controls that a rule is matched against, for one inbound message or call. Never a
 * string the sender picks (a routing key, a header): a rule the sender could steer is no trust boundary.
 */
export interface IncomingSubject {
  /** The Kafka topic, the AMQP queue, the Redis stream, list or channel, the gRPC method path. */
  readonly name: string;
  /** AMQP only: the exchange the message was published to (`''` for the default exchange). */
  readonly exchange?: string | undefined;
}

/**
 * One per-destination exception to the default policy. Name exactly one of `destination` and `queue`, or
 * an `exchange`, or both `queue` and `exchange` (AMQP: both must match).
 */
export interface IncomingPolicyRule {
  /**
   * The operator's name of the destination, exactly or by a RegExp: the Kafka topic, the Redis stream, list
   * or channel, the gRPC method path (`/pkg.Service/Method`). For AMQP a string names the queue; a RegExp is
   * refused there (use `queue`), as it used to be matched against a string holding the routing key.
   */
  readonly destination?: string | RegExp;
  /** AMQP only: the queue consumed from. */
  readonly queue?: string | RegExp;
  /** AMQP only: the exchange the message was published to (`''` is the default exchange). */
  readonly exchange?: string | RegExp;
  readonly policy: IncomingPolicy;
  /** With `'continue'` only: see {@link ResolvedIncomingPolicy.sampleRatio}. Default: none. */
  readonly sampleRatio?: number;
}

/**
 * The `incoming` option of every adapter: one policy for all destinations, or a default plus rules, the
 * first matching rule winning. `sampleRatio` beside `default` applies to the default policy.
 *
 * @example `{ default: 'parent', rules: [{ destination: /^public\./, policy: 'link' }] }`
 */
export type IncomingOption =
  | IncomingPolicy
  | {
      readonly default?: IncomingPolicy;
      readonly sampleRatio?: number;
      readonly rules?: readonly IncomingPolicyRule[];
    };

/** A policy as it applies to one message or call. */
export interface ResolvedIncomingPolicy {
  readonly policy: IncomingPolicy;
  /**
   * Under `'continue'`: when set, the sender's sampled flag is not honoured; tracebridge samples the
   * message with this probability (0 to 1, from `Math.random`, never from the sender's trace id, which the
   * sender chooses) and hands the SDK a parent flagged accordingly. `undefined`: the sender's flag is kept.
   */
  readonly sampleRatio: number | undefined;
}

/** Which rule fields a transport's rules may use: AMQP rules name a queue and an exchange. */
export type IncomingRuleShape = 'named' | 'amqp';

/** Answers "what policy for this message or call?", after the option was validated at setup. */
export type IncomingPolicyResolver = (subject: IncomingSubject) => ResolvedIncomingPolicy;

/** The default when an adapter is given no `incoming` option: trust inbound context. */
export const DEFAULT_INCOMING_POLICY: IncomingPolicy = 'parent';

/** From most to least trusting; the stricter of two policies is the later one. */
const POLICY_ORDER: readonly IncomingPolicy[] = ['parent', 'continue', 'link', 'ignore'];

/** The less trusting of two policies. */
export function stricterPolicy(a: IncomingPolicy, b: IncomingPolicy): IncomingPolicy {
  return POLICY_ORDER.indexOf(a) >= POLICY_ORDER.indexOf(b) ? a : b;
}

const RULE_KEYS: Readonly<Record<IncomingRuleShape, ReadonlySet<string>>> = {
  named: new Set(['destination', 'policy', 'sampleRatio']),
  amqp: new Set(['destination', 'queue', 'exchange', 'policy', 'sampleRatio']),
};
const OPTION_KEYS: ReadonlySet<string> = new Set(['default', 'sampleRatio', 'rules']);

/**
 * Validates an `incoming` option once, at setup, and returns the function that answers "what policy for
 * this message?". Throws {@link TracebridgeConfigError} on anything malformed or ambiguous.
 *
 * @param shape - `'amqp'` lets rules name `queue` and `exchange`; other transports name `destination` only.
 */
export function createIncomingPolicyResolver(
  option: IncomingOption | undefined,
  shape: IncomingRuleShape = 'named',
): IncomingPolicyResolver {
  if (option === undefined) return constant(DEFAULT_INCOMING_POLICY, undefined);
  if (typeof option === 'string') return constant(checkPolicy(option, 'incoming'), undefined);
  if (typeof option !== 'object' || option === null) checkPolicy(option, 'incoming');
  checkKeys(option, OPTION_KEYS, 'incoming');
  const fallback = resolved(
    checkPolicy(option.default ?? DEFAULT_INCOMING_POLICY, 'incoming.default'),
    option.sampleRatio,
    'incoming',
  );
  if (option.rules !== undefined && !Array.isArray(option.rules))
    throw invalid('incoming.rules must be an array');
  const rules = (option.rules ?? []).map((rule: IncomingPolicyRule, i) => checkRule(rule, i, shape));
  if (rules.length === 0) return () => fallback;
  return (subject) => {
    for (const rule of rules) if (rule.matches(subject)) return rule.resolved;
    return fallback;
  };
}

function constant(policy: IncomingPolicy, sampleRatio: number | undefined): IncomingPolicyResolver {
  const value = Object.freeze({ policy, sampleRatio });
  return () => value;
}

interface CheckedRule {
  readonly matches: (subject: IncomingSubject) => boolean;
  readonly resolved: ResolvedIncomingPolicy;
}

function checkRule(rule: IncomingPolicyRule, index: number, shape: IncomingRuleShape): CheckedRule {
  const where = `incoming.rules[${index}]`;
  if (typeof rule !== 'object' || rule === null) throw invalid(`${where} must be an object`);
  checkKeys(rule, RULE_KEYS[shape], where);
  const policy = checkPolicy(rule.policy, `${where}.policy`);
  const value = resolved(policy, rule.sampleRatio, where);
  const { destination, queue, exchange } = rule;
  if (destination !== undefined && queue !== undefined)
    throw invalid(`${where} names both destination and queue; for AMQP they are the same name, give one`);
  if (shape === 'amqp' && destination instanceof RegExp)
    throw invalid(
      `${where}.destination: an AMQP RegExp rule must say what it matches: use queue: ${String(destination)} (or exchange)`,
    );
  const name = destination ?? queue;
  if (name === undefined && exchange === undefined)
    throw invalid(`${where} must name a ${shape === 'amqp' ? 'queue or exchange' : 'destination'}`);
  const matchName =
    name === undefined
      ? undefined
      : matcher(name, `${where}.${destination === undefined ? 'queue' : 'destination'}`);
  const matchExchange = exchange === undefined ? undefined : matcher(exchange, `${where}.exchange`);
  return {
    matches: (subject) =>
      (matchName === undefined || matchName(subject.name)) &&
      (matchExchange === undefined || (subject.exchange !== undefined && matchExchange(subject.exchange))),
    resolved: value,
  };
}

function matcher(pattern: unknown, where: string): (name: string) => boolean {
  if (typeof pattern === 'string') return (name) => name === pattern;
  if (pattern instanceof RegExp) {
    // A global or sticky RegExp keeps state between `test` calls and would match every other time.
    if (pattern.global || pattern.sticky)
      throw invalid(`${where} must not use the g or y flag (${String(pattern)})`);
    return (name) => pattern.test(name);
  }
  throw invalid(`${where} must be a string or a RegExp`);
}

function resolved(policy: IncomingPolicy, sampleRatio: unknown, where: string): ResolvedIncomingPolicy {
  if (sampleRatio === undefined) return Object.freeze({ policy, sampleRatio: undefined });
  if (policy !== 'continue')
    throw invalid(`${where}.sampleRatio applies to the 'continue' policy only, not to '${policy}'`);
  if (typeof sampleRatio !== 'number' || !(sampleRatio >= 0 && sampleRatio <= 1))
    throw invalid(`${where}.sampleRatio must be a number from 0 to 1, got ${JSON.stringify(sampleRatio)}`);
  return Object.freeze({ policy, sampleRatio });
}

function checkKeys(value: object, allowed: ReadonlySet<string>, where: string): void {
  checkKnownKeys(where, value, [...allowed], {
    code: TracebridgeErrorCode.InvalidIncomingPolicy,
    noun: 'key',
  });
}

const POLICIES: ReadonlySet<unknown> = new Set<IncomingPolicy>(POLICY_ORDER);

function checkPolicy(value: unknown, where: string): IncomingPolicy {
  if (!POLICIES.has(value)) {
    throw invalid(`${where} must be 'parent', 'continue', 'link' or 'ignore', got ${JSON.stringify(value)}`);
  }
  return value as IncomingPolicy;
}

function invalid(message: string): TracebridgeConfigError {
  return new TracebridgeConfigError(TracebridgeErrorCode.InvalidIncomingPolicy, message);
}
