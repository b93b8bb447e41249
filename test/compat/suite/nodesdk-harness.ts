/**
 * NodeSDK as a service on the SDK line under test sets it up, with tracebridge's instrumentation in its
 * `instrumentations` list: spans go to an in-memory exporter of that line's tracing SDK, metrics to an
 * in-memory exporter of its `sdk-metrics`. Each test file runs in its own process and starts one.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SpanKind } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { TracebridgeInstrumentation } from 'tracebridge/instrumentation';
import { inMemorySpans, metricReaderOption } from './sdk-line';
import type { ReadableSpan } from './sdk-line';

/** How long a test waits for a span that ends asynchronously (a consumer's) before it fails. */
const SPAN_WAIT_MS = 20_000;

export interface NodeSdkHarness {
  readonly sdk: NodeSDK;
  /** The instance NodeSDK registered, and gave its providers to. */
  readonly instrumentation: TracebridgeInstrumentation;
  /** Every span exported so far, after the processor has flushed. */
  spans(): Promise<ReadableSpan[]>;
  /** Waits until a span named `name` has been exported, then returns every exported span. */
  spansOnceExported(name: string): Promise<ReadableSpan[]>;
  /** The histogram data points of metric `name` recorded so far. */
  histogram(name: string): Promise<DataPoint<Histogram>[]>;
  shutdown(): Promise<void>;
}

export function startNodeSdk(): NodeSdkHarness {
  const { exporter, processor } = inMemorySpans();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Read on demand (collect()); the interval only has to be longer than any test.
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 600_000,
  });
  const instrumentation = new TracebridgeInstrumentation();
  const sdk = new NodeSDK({
    serviceName: 'tracebridge-compat',
    spanProcessors: [processor],
    ...metricReaderOption(reader),
    instrumentations: [instrumentation],
  });
  sdk.start();

  const spans = async (): Promise<ReadableSpan[]> => {
    await processor.forceFlush();
    return exporter.getFinishedSpans();
  };
  return {
    sdk,
    instrumentation,
    spans,
    async spansOnceExported(name) {
      const deadline = Date.now() + SPAN_WAIT_MS;
      for (;;) {
        const all = await spans();
        if (all.some((span) => span.name === name)) return all;
        if (Date.now() > deadline) {
          assert.fail(
            `no span named "${name}" within ${SPAN_WAIT_MS} ms; got ${all.map((s) => s.name).join(', ')}`,
          );
        }
        await sleep(50);
      }
    },
    async histogram(name) {
      const { resourceMetrics, errors } = await reader.collect();
      assert.deepEqual(errors, [], 'metric collection reported no errors');
      return histogramPoints(resourceMetrics, name);
    },
    shutdown: () => sdk.shutdown(),
  };
}

function histogramPoints(resourceMetrics: ResourceMetrics, name: string): DataPoint<Histogram>[] {
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as DataPoint<Histogram>[]);
}

/** A name no other run or helper on the shared brokers uses. */
export function uniqueName(prefix: string): string {
  return `tracebridge-compat-${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The one span named `name` (and of `kind`, when given); fails when there are none or several. */
export function onlySpan(spans: readonly ReadableSpan[], name: string, kind?: SpanKind): ReadableSpan {
  const found = spans.filter((span) => span.name === name && (kind === undefined || span.kind === kind));
  assert.equal(found.length, 1, `one span named "${name}" (got ${spans.map((s) => s.name).join(', ')})`);
  return found[0]!;
}

/** Asserts that `child` is in `parent`'s trace with `parent` as its parent span. */
export function assertChildOf(child: ReadableSpan, parent: ReadableSpan): void {
  assert.equal(
    child.spanContext().traceId,
    parent.spanContext().traceId,
    `${child.name}: same trace as ${parent.name}`,
  );
  assert.equal(
    child.parentSpanContext?.spanId,
    parent.spanContext().spanId,
    `${child.name}: child of ${parent.name}`,
  );
}
