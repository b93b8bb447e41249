/**
 * An SDK registered as an application registers it after tracebridge's wrappers were made: globally, over
 * what the wrappers already hold. Not `setupTracing`, which first disables the API's globals, and with
 * them the proxy tracer provider the wrappers' tracers came from (no application does that). The dormant
 * suites use it to prove that a wrapper made with nothing registered traces from its next message on.
 */
import assert from 'node:assert/strict';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import type { SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { countSpanEnds } from './span-end-counter';
import type { SpanEndCounter } from './span-end-counter';
import { createPropagator } from './tracing';
import type { PropagatorName } from './tracing';

export interface LateSdk {
  readonly exporter: InMemorySpanExporter;
  /** Counts the ends of every span started through the registered (global) provider. */
  readonly counter: SpanEndCounter;
  /** Every span exported so far, in end order. */
  spans(): ReadableSpan[];
  /** The one exported span named `name` of `kind`; fails when there are none or several. */
  span(name: string, kind: SpanKind): ReadableSpan;
  /** Shuts the provider down and unregisters every global, the context manager and meter provider too. */
  unregister(): Promise<void>;
}

/** Registers a tracer provider, the AsyncLocalStorage context manager and `propagator` globally. */
export function registerLateSdk(propagator: PropagatorName = 'w3c'): LateSdk {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const counter = countSpanEnds(provider);
  assert.ok(trace.setGlobalTracerProvider(counter.provider), 'no tracer provider was registered before');
  assert.ok(context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  assert.ok(propagation.setGlobalPropagator(createPropagator(propagator)));
  return {
    exporter,
    counter,
    spans: () => exporter.getFinishedSpans(),
    span(name, kind) {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name && s.kind === kind);
      assert.equal(found.length, 1, `expected one span named ${JSON.stringify(name)}, found ${found.length}`);
      return found[0]!;
    },
    async unregister() {
      await provider.shutdown();
      unregisterAll();
    },
  };
}

/** Unregisters every global of the API: what a dormant test starts from. */
export function unregisterAll(): void {
  trace.disable();
  propagation.disable();
  metrics.disable();
  context.disable();
}
