/**
 * The tracing SDK of the OpenTelemetry JS 3.x line, as the shared suite needs it. In 3.x the SDK is
 * `@opentelemetry/sdk-trace` (`@opentelemetry/sdk-trace-base` and `sdk-trace-node` are not published
 * past 2.12), and span processors take an options object instead of the exporter.
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

export type { ReadableSpan };

/** The line under test, as the suite's test names say it. */
export const SDK_LINE = '3.x';

/** An in-memory exporter behind a simple processor, for NodeSDK's `spanProcessors`. */
export function inMemorySpans(): { exporter: InMemorySpanExporter; processor: SpanProcessor } {
  const exporter = new InMemorySpanExporter();
  return { exporter, processor: new SimpleSpanProcessor({ exporter }) };
}

/** NodeSDK's option for it: `metricReaders` (3.x dropped the singular `metricReader`). */
export function metricReaderOption(reader: MetricReader) {
  return { metricReaders: [reader] };
}
