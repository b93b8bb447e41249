import { isSpanContextValid, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, Link, SpanContext } from '@opentelemetry/api';
import type { IncomingPolicy } from './trust-policy';

/** What an inbound context (from a message or an incoming call) turns into under a trust policy. */
export interface IncomingContext {
  /** The parent to start the processing span with: the sender's context, or the root. */
  readonly parent: Context;
  /** The sender's span under `'link'`, then the ambient span when there is one (never the parent itself). */
  readonly links: Link[];
  /**
   * The context the work runs in, before the processing span is set on it: the ambient context with its
   * baggage replaced by the sender's (trusted) or removed (untrusted). Ambient baggage never leaks in.
   */
  readonly workBase: Context;
}

/**
 * The one place a trust policy becomes a parent, links and baggage, for every transport and for RPC
 * servers alike (see DESIGN.md, "Linking semantics" and "Trust boundary").
 *
 * @param extracted - the context read from the message or call, extracted onto the root context.
 * @param ambient - the context active where the message or call arrived.
 */
export function resolveIncomingContext(
  policy: IncomingPolicy,
  extracted: Context,
  ambient: Context,
): IncomingContext {
  const senderSpanContext = validSpanContext(extracted);
  const links = ambientLinks(ambient, policy === 'parent' ? senderSpanContext : undefined);
  if (policy === 'link' && senderSpanContext !== undefined) links.unshift({ context: senderSpanContext });
  const baggage = policy === 'parent' ? propagation.getBaggage(extracted) : undefined;
  return {
    parent: policy === 'parent' ? extracted : ROOT_CONTEXT,
    links,
    workBase:
      baggage === undefined ? propagation.deleteBaggage(ambient) : propagation.setBaggage(ambient, baggage),
  };
}

function validSpanContext(ctx: Context): SpanContext | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** A link to the ambient span, unless there is none or it is the very span that will be the parent. */
export function ambientLinks(ambient: Context, parent: SpanContext | undefined): Link[] {
  const ambientSpanContext = validSpanContext(ambient);
  if (ambientSpanContext === undefined) return [];
  const isParent =
    parent?.spanId === ambientSpanContext.spanId && parent.traceId === ambientSpanContext.traceId;
  return isParent ? [] : [{ context: ambientSpanContext }];
}
