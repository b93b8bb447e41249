import { propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanContext } from '@opentelemetry/api';
import { isValidSpanContext } from '../propagation/span-context-validity';
import type { ContextVerifier, SignatureCheck } from './context-signing';
import { ATTR_TRACEBRIDGE_INCOMING_POLICY, ATTR_TRACEBRIDGE_TRUST_SIGNATURE } from './semantic-attributes';
import { stricterPolicy } from './trust-policy';
import type { IncomingPolicy, ResolvedIncomingPolicy } from './trust-policy';

/** What an inbound context (from a message or an incoming call) turns into under a trust policy. */
export interface IncomingContext {
  /** The parent to start the processing span with: the sender's context (or its span alone), or the root. */
  readonly parent: Context;
  /**
   * The sender's span under `'link'`, then the ambient span when there is one (never the parent itself);
   * `undefined` when there is neither, so that the common case allocates no array.
   */
  readonly links: Link[] | undefined;
  /**
   * The context the work runs in, before the processing span is set on it: the ambient context with its
   * baggage replaced by the sender's (trusted) or removed (untrusted). Ambient baggage never leaks in.
   */
  readonly workBase: Context;
  /** The policy that applied: the destination's, or the fallback of a context that failed verification. */
  readonly policy: IncomingPolicy;
  /** With signing configured and a context to continue: `'valid'` or why it failed. Else `undefined`. */
  readonly signature: SignatureCheck | undefined;
  /**
   * Whether the sender's trace is continued (`'parent'` or `'continue'` applied to a valid context): only
   * then is what it carries beside the context, such as its pipeline's origin, believed.
   */
  readonly continued: boolean;
}

/** How signatures are checked where a policy would continue the sender's trace. */
export interface IncomingVerification {
  readonly verifier: ContextVerifier;
  /** The failure metric's attributes: the destination's or the method's. */
  readonly attributes: Attributes;
  /** The raw signature header that came with the context (see `InboundOwnFields`); `undefined`: none. */
  readonly signature: string | undefined;
}

/**
 * The one place a trust policy becomes a parent, links and baggage, for every transport and for RPC
 * servers alike (see DESIGN.md, "Linking semantics" and "Trust boundary").
 *
 * - `'parent'`: the extracted context is the parent, baggage and tracestate included.
 * - `'continue'`: the parent is the sender's span alone (trace id, span id, flags), on the root context:
 *   no tracestate, no baggage. With a `sampleRatio` the sampled flag is replaced by a local random choice.
 * - `'link'`: a new trace linked to the sender's span; `'ignore'`: a new trace, no link.
 *
 * With `verification`, a context that `'parent'` or `'continue'` would follow is followed only when its
 * signature verifies; otherwise the verifier's `unverified` policy applies and the failure is counted.
 *
 * @param extracted - the context read from the message or call, extracted onto the root context.
 * @param ambient - the context active where the message or call arrived.
 */
export function resolveIncomingContext(
  resolved: ResolvedIncomingPolicy,
  extracted: Context,
  ambient: Context,
  verification?: IncomingVerification,
): IncomingContext {
  const sender = validSpanContext(extracted);
  let policy = resolved.policy;
  let signature: SignatureCheck | undefined;
  if (verification !== undefined && sender !== undefined && continues(policy)) {
    signature = verification.verifier.check(verification.signature, sender);
    if (signature !== 'valid') {
      policy = stricterPolicy(policy, verification.verifier.unverified);
      verification.verifier.recordFailure(signature, verification.attributes);
    }
  }
  const links = ambientLinks(ambient, continues(policy) ? sender : undefined);
  return {
    parent: parentFor(policy, extracted, sender, resolved.sampleRatio),
    links: policy === 'link' && sender !== undefined ? [{ context: sender }, ...(links ?? [])] : links,
    workBase: incomingWorkBase(policy, extracted, ambient),
    policy,
    signature,
    continued: sender !== undefined && continues(policy),
  };
}

/**
/**
 * The `workBase` of {@link resolveIncomingContext} alone (the ambient context with the sender's baggage
 * under `'parent'`, with none otherwise), for an adapter that needs the handler's context before it can
 * start the span. `ambient` itself when it has nothing to change: removing baggage from a context that
 * holds none would copy it for nothing (every message, with no SDK at all).
 */
export function incomingWorkBase(policy: IncomingPolicy, extracted: Context, ambient: Context): Context {
  const baggage = policy === 'parent' ? propagation.getBaggage(extracted) : undefined;
  if (baggage !== undefined) return propagation.setBaggage(ambient, baggage);
  return propagation.getBaggage(ambient) === undefined ? ambient : propagation.deleteBaggage(ambient);
}

/** Records on a recording span the policy that applied (unless `'parent'`) and the signature check. */
export function recordIncomingAttributes(span: Span, incoming: IncomingContext): void {
  if (incoming.policy !== 'parent') span.setAttribute(ATTR_TRACEBRIDGE_INCOMING_POLICY, incoming.policy);
  if (incoming.signature !== undefined)
    span.setAttribute(ATTR_TRACEBRIDGE_TRUST_SIGNATURE, incoming.signature);
}

function continues(policy: IncomingPolicy): boolean {
  return policy === 'parent' || policy === 'continue';
}

function parentFor(
  policy: IncomingPolicy,
  extracted: Context,
  sender: SpanContext | undefined,
  sampleRatio: number | undefined,
): Context {
  if (policy === 'parent') return extracted;
  if (policy !== 'continue' || sender === undefined) return ROOT_CONTEXT;
  // A fresh span context, not the extracted one: tracestate stays behind, and the SDK's ParentBased sampler
  // (which follows a remote parent's sampled flag) follows the local choice instead of the sender's.
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: sender.traceId,
    spanId: sender.spanId,
    isRemote: true,
    traceFlags: sampleRatio === undefined ? sender.traceFlags : localSamplingFlags(sampleRatio),
  });
}

function localSamplingFlags(sampleRatio: number): TraceFlags {
  return Math.random() < sampleRatio ? TraceFlags.SAMPLED : TraceFlags.NONE;
}

/** The span context of `ctx` when it is valid (checked as the API checks it, at less cost). */
function validSpanContext(ctx: Context): SpanContext | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && isValidSpanContext(spanContext) ? spanContext : undefined;
}

/**
 * A link to the ambient span, unless there is none or it is the very span that will be the parent
 * (`undefined` then: no array for the common case of a consumer with no active span).
 */
export function ambientLinks(ambient: Context, parent: SpanContext | undefined): Link[] | undefined {
  const ambientSpanContext = validSpanContext(ambient);
  if (ambientSpanContext === undefined) return undefined;
  const isParent =
    parent?.spanId === ambientSpanContext.spanId && parent.traceId === ambientSpanContext.traceId;
  return isParent ? undefined : [{ context: ambientSpanContext }];
}
