/**
 * A tracer provider that wraps a real one and counts `end()` calls per span, so a test can prove that
 * every span tracebridge started ended exactly once (the SDK silently ignores a second `end()`).
 */
import type { Span, Tracer, TracerProvider } from '@opentelemetry/api';

export interface SpanEndCounter {
  readonly provider: TracerProvider;
  /** Spans started through `provider`, with how many times each was ended. */
  readonly started: { readonly name: string; ends: number }[];
  /** Names of spans not ended exactly once. */
  misended(): string[];
}

export function countSpanEnds(inner: TracerProvider): SpanEndCounter {
  const started: { name: string; ends: number }[] = [];
  const wrapSpan = (name: string, span: Span): Span => {
    const record = { name, ends: 0 };
    started.push(record);
    const end = span.end.bind(span);
    span.end = (endTime) => {
      record.ends++;
      end(endTime);
    };
    return span;
  };
  const wrapTracer = (tracer: Tracer): Tracer => ({
    startSpan: (name, options, ctx) => wrapSpan(name, tracer.startSpan(name, options, ctx)),
    startActiveSpan: tracer.startActiveSpan.bind(tracer),
  });
  return {
    provider: { getTracer: (name, version, options) => wrapTracer(inner.getTracer(name, version, options)) },
    started,
    misended: () => started.filter((s) => s.ends !== 1).map((s) => `${s.name} (ended ${s.ends}x)`),
  };
}
