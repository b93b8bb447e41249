/**
 * The same spans in the shapes other producers give them, for the CLI's cross-format tests: as the
 * OpenTelemetry SDK's finished spans (what the Zipkin exporter takes), and in Jaeger's JSON as Jaeger's
 * own OTLP translation writes it (there is no Jaeger server on the test machines).
 */
import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { HrTime, Link } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SpanKindName, TraceSpan } from '../../../src/cli/trace-span';

const API_KINDS: Readonly<Record<SpanKindName, SpanKind>> = {
  UNSPECIFIED: SpanKind.INTERNAL,
  INTERNAL: SpanKind.INTERNAL,
  SERVER: SpanKind.SERVER,
  CLIENT: SpanKind.CLIENT,
  PRODUCER: SpanKind.PRODUCER,
  CONSUMER: SpanKind.CONSUMER,
};

function hrTime(unixNano: bigint): HrTime {
  return [Number(unixNano / 1_000_000_000n), Number(unixNano % 1_000_000_000n)];
}

/** `span` as an SDK `ReadableSpan`, the shape span exporters take. */
export function asReadableSpan(span: TraceSpan): ReadableSpan {
  const context = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED };
  const links: Link[] = span.links.map((link) => ({
    context: { ...link, traceFlags: TraceFlags.SAMPLED },
  }));
  return {
    name: span.name,
    kind: API_KINDS[span.kind],
    spanContext: () => context,
    ...(span.parentSpanId === undefined
      ? {}
      : {
          parentSpanContext: {
            traceId: span.traceId,
            spanId: span.parentSpanId,
            traceFlags: TraceFlags.SAMPLED,
          },
        }),
    startTime: hrTime(span.startTimeUnixNano),
    endTime: hrTime(span.endTimeUnixNano),
    duration: hrTime(span.endTimeUnixNano - span.startTimeUnixNano),
    status: {
      code: { UNSET: SpanStatusCode.UNSET, OK: SpanStatusCode.OK, ERROR: SpanStatusCode.ERROR }[span.status],
      ...(span.statusMessage === undefined ? {} : { message: span.statusMessage }),
    },
    attributes: span.attributes as ReadableSpan['attributes'],
    links,
    events: [],
    ended: true,
    resource: resourceFromAttributes({ 'service.name': span.serviceName ?? 'unknown' }),
    instrumentationScope: { name: 'tracebridge' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** Jaeger's `{ "data": [trace, ...] }` for `spans`, as its query API answers. */
export function asJaegerResponse(spans: readonly TraceSpan[]): unknown {
  const traces = new Map<string, TraceSpan[]>();
  for (const span of spans) traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span]);
  const data = [...traces].map(([traceId, group]) => {
    const services = [...new Set(group.map((span) => span.serviceName ?? 'unknown'))];
    return {
      traceID: traceId,
      spans: group.map((span) => jaegerSpan(span, `p${services.indexOf(span.serviceName ?? 'unknown') + 1}`)),
      processes: Object.fromEntries(
        services.map((serviceName, i) => [`p${i + 1}`, { serviceName, tags: [] }]),
      ),
      warnings: null,
    };
  });
  return { data, total: 0, limit: 0, offset: 0, errors: null };
}

function jaegerSpan(span: TraceSpan, processID: string): unknown {
  const references = [
    ...(span.parentSpanId === undefined
      ? []
      : [{ refType: 'CHILD_OF', traceID: span.traceId, spanID: span.parentSpanId }]),
    ...span.links.map((link) => ({ refType: 'FOLLOWS_FROM', traceID: link.traceId, spanID: link.spanId })),
  ];
  const tags: { key: string; type: string; value: unknown }[] = Object.entries(span.attributes).map(
    ([key, value]) => ({
      key,
      type:
        typeof value === 'number'
          ? Number.isInteger(value)
            ? 'int64'
            : 'float64'
          : typeof value === 'boolean'
            ? 'bool'
            : 'string',
      value: typeof value === 'object' ? JSON.stringify(value) : value,
    }),
  );
  if (span.kind !== 'UNSPECIFIED')
    tags.push({ key: 'span.kind', type: 'string', value: span.kind.toLowerCase() });
  if (span.status !== 'UNSET') tags.push({ key: 'otel.status_code', type: 'string', value: span.status });
  if (span.status === 'ERROR') {
    tags.push({ key: 'error', type: 'bool', value: true });
    if (span.statusMessage !== undefined) {
      tags.push({ key: 'otel.status_description', type: 'string', value: span.statusMessage });
    }
  }
  return {
    traceID: span.traceId,
    spanID: span.spanId,
    operationName: span.name,
    references,
    startTime: Number(span.startTimeUnixNano / 1000n),
    duration: Number((span.endTimeUnixNano - span.startTimeUnixNano) / 1000n),
    tags,
    logs: [],
    processID,
    warnings: null,
  };
}
