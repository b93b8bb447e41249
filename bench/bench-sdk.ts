/**
 * What every traced benchmark variant shares: one OpenTelemetry SDK set up as an application would run it
 * (a `BasicTracerProvider`, AlwaysOn sampling, a `BatchSpanProcessor`, the AsyncLocalStorage context
 * manager, the W3C propagator) with an exporter that counts spans per instrumentation scope and discards
 * them; and fresh copies of a client library for instrumentations that patch it at `require` time.
 */
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createPropagator } from '../test/helpers/tracing';

/** Counts exported spans per instrumentation scope, keeps them only when asked, and discards them. */
export class CountingExporter implements SpanExporter {
  total = 0;
  readonly byScope = new Map<string, number>();
  kept: ReadableSpan[] | undefined;

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.total += spans.length;
    for (const span of spans) {
      const scope = span.instrumentationScope.name;
      this.byScope.set(scope, (this.byScope.get(scope) ?? 0) + 1);
    }
    this.kept?.push(...spans);
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  reset(): void {
    this.total = 0;
    this.byScope.clear();
  }

  /** Spans exported from `scope` since the last reset. */
  from(scope: string): number {
    return this.byScope.get(scope) ?? 0;
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The SDK a benchmark's traced variants register while they run. */
export interface BenchSdk {
  readonly exporter: CountingExporter;
  readonly provider: BasicTracerProvider;
  /** Registers the context manager, propagator and tracer provider globally. */
  register(): void;
  /** Flushes the processor (so the exporter's counts are complete) and unregisters everything. */
  unregister(): Promise<void>;
}

export function createBenchSdk(): BenchSdk {
  const exporter = new CountingExporter();
  const provider = new BasicTracerProvider({
    sampler: new AlwaysOnSampler(),
    // A queue larger than the default 2048, so bursts of messages are not dropped before export.
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 4096 })],
  });
  const propagator = createPropagator('w3c');
  return {
    exporter,
    provider,
    register() {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(propagator);
      trace.setGlobalTracerProvider(provider);
    },
    async unregister() {
      await provider.forceFlush();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * Loads separate copies of one package: each `fresh()` requires it again after removing its files from
 * the module cache, so an instrumentation enabled in between patches only the copies loaded after it.
 * `restore()` puts back the copy the process had before.
 */
export function packageCopies(packageName: string): { fresh<T>(): T; restore(): void } {
  const requireHere = createRequire(__filename);
  const main = requireHere.resolve(packageName);
  const marker = `${sep}node_modules${sep}${packageName.split('/').join(sep)}${sep}`;
  const root = main.includes(marker)
    ? main.slice(0, main.indexOf(marker) + marker.length)
    : `${dirname(main)}${sep}`;
  const keys = () => Object.keys(requireHere.cache).filter((key) => key.startsWith(root));
  const original = new Map(keys().map((key) => [key, requireHere.cache[key]]));
  return {
    fresh<T>(): T {
      for (const key of keys()) delete requireHere.cache[key];
      return requireHere(packageName) as T;
    },
    restore() {
      for (const key of keys()) delete requireHere.cache[key];
      for (const [key, module] of original) requireHere.cache[key] = module;
    },
  };
}

/** Whether `target[key]` (own or inherited) is a function shimmer wrapped, as instrumentations do. */
export function isWrapped(target: object, key: string): boolean {
  const fn: unknown = Reflect.get(target, key);
  return typeof fn === 'function' && Reflect.get(fn, '__wrapped') === true;
}
