import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { logger } from './diagnostics';

/**
 * Starts a span, never throwing: a tracer that fails yields a non-recording span carrying the parent's
 * span context, so the operation goes ahead and its context still propagates downstream.
 */
export function startSpanSafely(tracer: Tracer, name: string, options: SpanOptions, parent: Context): Span {
  try {
    return tracer.startSpan(name, options, parent);
  } catch (error) {
    logger.error(`starting span ${JSON.stringify(name)} failed; the operation goes ahead untraced`, error);
    return trace.wrapSpanContext(trace.getSpanContext(parent) ?? INVALID_SPAN_CONTEXT);
  }
}
