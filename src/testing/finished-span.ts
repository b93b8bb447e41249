import { SpanKind } from '@opentelemetry/api';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import type { SpanKindName, SpanStatusName, TraceAttributeValue, TraceSpan } from '../cli/trace-span';

/**
 * A finished span as the OpenTelemetry SDK hands it out (`ReadableSpan`, e.g. from
 * `InMemorySpanExporter.getFinishedSpans()`), typed by its shape so that tracebridge never loads the SDK:
 * SDK 2.x spans name their parent with `parentSpanContext`, SDK 1.x spans with `parentSpanId`; both work.
 */
export interface FinishedSpan {
  readonly name: string;
  /** The API's `SpanKind` (0 INTERNAL, 1 SERVER, 2 CLIENT, 3 PRODUCER, 4 CONSUMER). */
  readonly kind: number;
  spanContext(): { readonly traceId: string; readonly spanId: string };
  /** SDK 2.x. */
  readonly parentSpanContext?: { readonly spanId: string } | undefined;
  /** SDK 1.x. */
  readonly parentSpanId?: string | undefined;
  readonly links?: readonly { readonly context: { readonly traceId: string; readonly spanId: string } }[];
  /** The API's `SpanStatusCode` (0 UNSET, 1 OK, 2 ERROR) and message. */
  readonly status?: { readonly code: number; readonly message?: string | undefined };
  readonly resource?: { readonly attributes: Readonly<Record<string, unknown>> };
  /** `[seconds, nanoseconds]` since the epoch. */
  readonly startTime?: readonly [number, number];
  readonly endTime?: readonly [number, number];
  readonly attributes?: Readonly<Record<string, unknown>>;
}

const KIND_NAMES: Readonly<Record<number, SpanKindName>> = {
  [SpanKind.INTERNAL]: 'INTERNAL',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};
const STATUS_NAMES: readonly SpanStatusName[] = ['UNSET', 'OK', 'ERROR'];
const INVALID_SPAN_ID = /^0*$/;

/**
 * The {@link TraceSpan} of an SDK span, for the tree builder the waterfall viewer uses too.
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) when `span` is not a finished span.
 */
export function toTraceSpan(span: FinishedSpan, index: number): TraceSpan {
  const context = typeof span?.spanContext === 'function' ? span.spanContext() : undefined;
  if (typeof context?.traceId !== 'string' || typeof context.spanId !== 'string') {
    throw new TracebridgeConfigError(
      TracebridgeErrorCode.InvalidOption,
      `spans[${index}] is not a finished span (no spanContext() with a traceId and spanId)`,
    );
  }
  const parent = span.parentSpanContext?.spanId ?? span.parentSpanId;
  const service = span.resource?.attributes['service.name'];
  const start = toUnixNano(span.startTime);
  const end = toUnixNano(span.endTime);
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: parent === undefined || INVALID_SPAN_ID.test(parent) ? undefined : parent,
    name: typeof span.name === 'string' ? span.name : '',
    kind: KIND_NAMES[span.kind] ?? 'UNSPECIFIED',
    serviceName: typeof service === 'string' ? service : undefined,
    startTimeUnixNano: start,
    endTimeUnixNano: end < start ? start : end,
    status: STATUS_NAMES[span.status?.code ?? 0] ?? 'UNSET',
    statusMessage: span.status?.message === '' ? undefined : span.status?.message,
    attributes: toAttributes(span.attributes),
    links: (span.links ?? []).map(({ context: link }) => ({ traceId: link.traceId, spanId: link.spanId })),
  };
}

function toUnixNano(time: readonly [number, number] | undefined): bigint {
  if (time === undefined) return 0n;
  const [seconds, nanos] = time;
  return BigInt(Math.trunc(seconds)) * 1_000_000_000n + BigInt(Math.trunc(nanos));
}

function toAttributes(
  attributes: Readonly<Record<string, unknown>> | undefined,
): Record<string, TraceAttributeValue> {
  const out = Object.create(null) as Record<string, TraceAttributeValue>;
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (isPrimitive(value)) out[key] = value;
    else if (Array.isArray(value))
      out[key] = (value as unknown[]).map((item) => (isPrimitive(item) ? item : null));
  }
  return out;
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
