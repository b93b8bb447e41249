/**
 * The one span shape the waterfall viewer and `tracebridge/testing` work on, whatever the spans came
 * from (an OTLP/JSON file, or the SDK's finished spans in a test), so there is one tree builder for both.
 */

/**
 * A span kind by name. Names rather than numbers, because OTLP and the OpenTelemetry API number kinds
 * differently (OTLP: 1 INTERNAL … 5 CONSUMER, 0 unspecified; the API: 0 INTERNAL … 4 CONSUMER).
 */
export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';

/** Every {@link SpanKindName}, in OTLP's enum order (index = OTLP value). */
export const SPAN_KIND_NAMES: readonly SpanKindName[] = [
  'UNSPECIFIED',
  'INTERNAL',
  'SERVER',
  'CLIENT',
  'PRODUCER',
  'CONSUMER',
];

/** A span status code by name. */
export type SpanStatusName = 'UNSET' | 'OK' | 'ERROR';

/** An attribute value: a primitive, an array, or (OTLP `kvlistValue`) a nested map. */
export type TraceAttributeValue =
  | string
  | number
  | boolean
  | null
  | readonly TraceAttributeValue[]
  | { readonly [key: string]: TraceAttributeValue };

/** Where a link points. */
export interface SpanLinkTarget {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
}

/** One finished span, normalized. */
export interface TraceSpan {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** 16 lowercase hex digits, or `undefined` for a span that starts its trace. */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: SpanKindName;
  /** The resource's `service.name`, when it has one. */
  readonly serviceName: string | undefined;
  /** Unix time in nanoseconds (a bigint: nanosecond timestamps exceed `Number.MAX_SAFE_INTEGER`). */
  readonly startTimeUnixNano: bigint;
  /** Unix time in nanoseconds; never before `startTimeUnixNano`. */
  readonly endTimeUnixNano: bigint;
  readonly status: SpanStatusName;
  /** The status description, when the span has one. */
  readonly statusMessage: string | undefined;
  readonly attributes: Readonly<Record<string, TraceAttributeValue>>;
  readonly links: readonly SpanLinkTarget[];
  /**
   * Set on a copy of a span that `tracebridge view --fold-links` moved out of its own trace into a trace
   * it links to: the id of the trace it started. Absent on every span as read.
   */
  readonly foldedFromTraceId?: string;
}
