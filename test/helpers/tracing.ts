/**
 * Test harness: registers a real OpenTelemetry SDK (in-memory exporter, AsyncLocalStorage context manager,
 * a chosen propagator) as the process-wide provider, and finds and checks the spans it exported.
 * Integration tests of every transport reuse it.
 */
import assert from 'node:assert/strict';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Span, SpanContext, SpanKind, TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** The propagation formats tracebridge is tested with. */
export type PropagatorName = 'w3c' | 'b3-single' | 'b3-multi' | 'jaeger';
export const PROPAGATOR_NAMES: readonly PropagatorName[] = ['w3c', 'b3-single', 'b3-multi', 'jaeger'];

export function createPropagator(name: PropagatorName): TextMapPropagator {
  switch (name) {
    case 'w3c':
      return new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      });
    case 'b3-single':
      return new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER });
    case 'b3-multi':
      return new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
    case 'jaeger':
      return new JaegerPropagator();
  }
}

/** The header each format puts the span context in: what a test looks for in an injected carrier. */
export const TRACE_HEADER: Readonly<Record<PropagatorName, string>> = {
  w3c: 'traceparent',
  'b3-single': 'b3',
  'b3-multi': 'x-b3-traceid',
  jaeger: 'uber-trace-id',
};

export interface TestTracing {
  readonly exporter: InMemorySpanExporter;
  readonly provider: BasicTracerProvider;
  /** Every span exported so far, in end order. */
  spans(): ReadableSpan[];
  /** The spans of one trace. */
  spansOfTrace(traceId: string): ReadableSpan[];
  /** The one exported span named `name` (optionally of `kind`); fails when there are none or several. */
  span(name: string, kind?: SpanKind): ReadableSpan;
  /** Forgets exported spans (between tests). */
  reset(): void;
  /** Unregisters everything this harness registered. */
  shutdown(): Promise<void>;
}

/** Registers the SDK globally with `propagatorName`, replacing whatever a previous test registered. */
export function setupTracing(propagatorName: PropagatorName = 'w3c'): TestTracing {
  trace.disable();
  context.disable();
  propagation.disable();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(createPropagator(propagatorName));

  return {
    exporter,
    provider,
    spans: () => exporter.getFinishedSpans(),
    spansOfTrace: (traceId) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
    span(name, kind) {
      const found = exporter
        .getFinishedSpans()
        .filter((s) => s.name === name && (kind === undefined || s.kind === kind));
      assert.equal(found.length, 1, `expected one span named ${JSON.stringify(name)}, found ${found.length}`);
      return found[0]!;
    },
    reset: () => exporter.reset(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** A span (exported or live) or its span context. */
export type SpanOrContext = ReadableSpan | Span | SpanContext;

function contextOf(target: SpanOrContext): SpanContext {
  return 'spanContext' in target ? target.spanContext() : target;
}

/** Asserts `child` is a child of `parent` (same trace, parent span id). */
export function assertChildOf(child: ReadableSpan, parent: SpanOrContext): void {
  const parentContext = contextOf(parent);
  assert.equal(
    child.spanContext().traceId,
    parentContext.traceId,
    `${child.name}: trace id differs from its parent's`,
  );
  assert.equal(child.parentSpanContext?.spanId, parentContext.spanId, `${child.name}: wrong parent span id`);
}

/** Asserts `span` starts a trace of its own. */
export function assertRoot(span: ReadableSpan): void {
  assert.equal(span.parentSpanContext, undefined, `${span.name}: expected a root span`);
}

/** Asserts `span`'s links point at exactly `targets`, in order. */
export function assertLinks(span: ReadableSpan, targets: readonly SpanOrContext[]): void {
  const actual = span.links.map((l) => `${l.context.traceId}-${l.context.spanId}`);
  const expected = targets.map((t) => {
    const c = contextOf(t);
    return `${c.traceId}-${c.spanId}`;
  });
  assert.deepEqual(actual, expected, `${span.name}: links`);
}

/** Asserts `span` has every attribute in `expected` with that value. */
export function assertAttributes(span: ReadableSpan, expected: Attributes): void {
  for (const [key, value] of Object.entries(expected)) {
    assert.deepEqual(span.attributes[key], value, `${span.name}: attribute ${key}`);
  }
}

/** A meter provider with an in-memory exporter, for tests that read metrics back. */
export interface TestMetrics {
  readonly provider: MeterProvider;
  /** Collects and returns the metrics recorded so far. */
  collect(): Promise<ResourceMetrics[]>;
  shutdown(): Promise<void>;
}

export function setupMetrics(): TestMetrics {
  metrics.disable();
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  return {
    provider,
    async collect() {
      const { resourceMetrics } = await reader.collect();
      return [resourceMetrics];
    },
    async shutdown() {
      await provider.shutdown();
      metrics.disable();
    },
  };
}
