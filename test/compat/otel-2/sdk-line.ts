/**
 * The tracing SDK of the OpenTelemetry JS 2.x line, as the shared suite needs it: what NodeSDK 0.2xx
 * services import, `@opentelemetry/sdk-trace-base`, whose span processors take the exporter.
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export type { ReadableSpan };

/** The line under test, as the suite's test names say it. */
export const SDK_LINE = '2.x';

/** An in-memory exporter behind a simple processor, for NodeSDK's `spanProcessors`. */
export function inMemorySpans(): { exporter: InMemorySpanExporter; processor: SpanProcessor } {
  const exporter = new InMemorySpanExporter();
  return { exporter, processor: new SimpleSpanProcessor(exporter) };
}

/** NodeSDK's option for it: `metricReader`, which every 2.x release takes (0.200 has no `metricReaders`). */
export function metricReaderOption(reader: MetricReader) {
  return { metricReader: reader };
}
