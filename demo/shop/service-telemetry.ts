/**
 * The OpenTelemetry SDK setup every demo service runs first: what a user's service already has before it
 * adds tracebridge. tracebridge itself only talks to the API; this is where its spans and metrics go.
 *
 * - Spans: always to `<traceDir>/<service>.jsonl` as OTLP JSON lines (read back by the runner's waterfall
 *   printer); also over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set, to
 *   Jaeger or a collector; and to Zipkin when `OTEL_EXPORTER_ZIPKIN_ENDPOINT` is set. Those variables are
 *   the OpenTelemetry specification's own, read by the exporters themselves.
 * - Metrics: a Prometheus scrape endpoint on the service's port (`/metrics`), carrying tracebridge's RPC
 *   and messaging histograms, time in queue included.
 * - Context and propagation: `NodeTracerProvider.register()`, i.e. AsyncLocalStorage and W3C Trace Context
 *   plus Baggage.
 */
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { OtlpJsonLinesExporter } from './otlp-json-lines-exporter';
import type { ServiceName, ShopConfig } from './shop-config';

/** The `service.namespace` of every demo service, so a shared backend can tell them apart. */
const SERVICE_NAMESPACE = 'tracebridge-demo';

/** Export often: the demo is short and the runner waits for the spans. */
const BATCH_DELAY_MS = 200;

export interface ServiceTelemetry {
  /** Exports every ended span and the pending metrics now. */
  flush(): Promise<void>;
  /** Flushes, stops the Prometheus endpoint and unregisters the SDK. */
  shutdown(): Promise<void>;
}

/** Which exporters the environment asks for, besides the file. */
function extraExporters(env: NodeJS.ProcessEnv): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    processors.push(
      new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: BATCH_DELAY_MS }),
    );
  }
  if (env.OTEL_EXPORTER_ZIPKIN_ENDPOINT) {
    processors.push(new BatchSpanProcessor(new ZipkinExporter(), { scheduledDelayMillis: BATCH_DELAY_MS }));
  }
  return processors;
}

/**
 * Registers the SDK for `service`. `instrumentations` (the gateway's HTTP instrumentation) were enabled
 * as the service loaded, before the modules they patch; here they get the tracer and meter providers.
 */
export async function startServiceTelemetry(
  service: ServiceName,
  config: ShopConfig,
  instrumentations: readonly Instrumentation[] = [],
): Promise<ServiceTelemetry> {
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: service,
    'service.namespace': SERVICE_NAMESPACE,
  });
  const tracerProvider = new NodeTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(new OtlpJsonLinesExporter(join(config.traceDir, `${service}.jsonl`)), {
        scheduledDelayMillis: BATCH_DELAY_MS,
      }),
      ...extraExporters(process.env),
    ],
  });
  tracerProvider.register();

  const prometheus = new PrometheusExporter({
    host: '127.0.0.1',
    port: config.metricsPorts[service],
    preventServerStart: true,
  });
  await prometheus.startServer();
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  metrics.setGlobalMeterProvider(meterProvider);

  const unregister = registerInstrumentations({
    instrumentations: [...instrumentations],
    tracerProvider,
    meterProvider,
  });

  return {
    flush: () => tracerProvider.forceFlush(),
    async shutdown() {
      unregister();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
