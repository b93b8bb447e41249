import { ATTR_TRACEBRIDGE_DELAY_MS, ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS } from '../core/semantic-attributes';
import { boundedText, microsecondsAsNanos, numberText, preview } from './foreign-text';
import { isRecord } from './otlp-any-value';
import { normalizeSpanId, normalizeZipkinTraceId } from './otlp-ids';
import type { DecodedSpan } from './otlp-span';
import type { SpanKindName, SpanStatusName, TraceAttributeValue, TraceSpan } from './trace-span';

/**
 * Decodes one Zipkin v2 span, as `/api/v2/trace/{id}` returns it (and the OpenTelemetry Zipkin exporter
 * posts it), onto the shared span model. What Zipkin cannot carry, and how it is read back:
 *
 * - times are microseconds (`timestamp`, `duration`); an absent `duration` is 0, as Zipkin omits it then;
 * - kinds are only CLIENT, SERVER, PRODUCER and CONSUMER; an absent kind is a local span, INTERNAL;
 * - the status is in tags: `otel.status_code` (`OK` / `ERROR`, as the OpenTelemetry exporter writes it)
 *   and `error` (Zipkin's own convention: present means failed, its value is the message);
 * - tags are strings: the two the waterfall draws from (`tracebridge.messaging.time_in_queue_ms` and
 *   `tracebridge.messaging.delay_ms`) are read back as numbers, every other tag stays a string;
 * - there are no span links;
 * - the Zipkin server lowercases span and service names when it stores them.
 *
 * @see https://zipkin.io/zipkin-api/#/default/get_trace__traceId_
 */
export function decodeZipkinSpan(value: unknown): DecodedSpan {
  if (!isRecord(value)) return { error: 'is not an object' };
  const traceId = normalizeZipkinTraceId(value['traceId']);
  if (traceId === undefined) return { error: `has no valid traceId (${preview(value['traceId'])})` };
  const spanId = normalizeSpanId(value['id']);
  if (spanId === undefined) return { error: `has no valid id (${preview(value['id'])})` };
  const parentId = value['parentId'];
  const parentSpanId = parentId === undefined || parentId === null ? undefined : normalizeSpanId(parentId);
  if (parentSpanId === undefined && parentId !== undefined && parentId !== null) {
    return { error: `has an invalid parentId (${preview(parentId)})` };
  }
  const start = microsecondsAsNanos(value['timestamp']);
  const duration = value['duration'] === undefined ? 0n : microsecondsAsNanos(value['duration']);
  if (start === undefined || duration === undefined) return { error: 'has no valid timestamp or duration' };

  const tags = isRecord(value['tags']) ? value['tags'] : {};
  const endpoint = isRecord(value['localEndpoint']) ? value['localEndpoint'] : {};
  const status = statusOf(tags);
  const span: TraceSpan = {
    traceId,
    spanId,
    parentSpanId,
    name: boundedText(value['name']) ?? '',
    kind: kindOf(value['kind']),
    serviceName: boundedText(endpoint['serviceName']),
    startTimeUnixNano: start,
    endTimeUnixNano: start + duration,
    status: status.code,
    statusMessage: status.message,
    attributes: attributesOf(tags),
    links: [],
  };
  return { span };
}

const KINDS: ReadonlyMap<unknown, SpanKindName> = new Map<unknown, SpanKindName>([
  ['CLIENT', 'CLIENT'],
  ['SERVER', 'SERVER'],
  ['PRODUCER', 'PRODUCER'],
  ['CONSUMER', 'CONSUMER'],
  [undefined, 'INTERNAL'],
]);

function kindOf(kind: unknown): SpanKindName {
  return KINDS.get(kind) ?? 'UNSPECIFIED';
}

/** The tags that say the status, which the OTLP model keeps apart from the attributes. */
const STATUS_CODE_TAG = 'otel.status_code';
const ERROR_TAG = 'error';

function statusOf(tags: Record<string, unknown>): { code: SpanStatusName; message: string | undefined } {
  const code = tags[STATUS_CODE_TAG];
  const error = tags[ERROR_TAG];
  if (code === 'ERROR' || error !== undefined) {
    // Instrumentations without a message write `error: "true"` (or an empty string).
    const message = boundedText(error);
    return { code: 'ERROR', message: message === '' || message === 'true' ? undefined : message };
  }
  return { code: code === 'OK' ? 'OK' : 'UNSET', message: undefined };
}

/** Tags that hold numbers the waterfall draws with; Zipkin's tags are strings. */
const NUMERIC_TAGS: ReadonlySet<string> = new Set([
  ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS,
  ATTR_TRACEBRIDGE_DELAY_MS,
]);

function attributesOf(tags: Record<string, unknown>): Record<string, TraceAttributeValue> {
  // A null prototype, so that a tag named "__proto__" is an attribute like any other.
  const attributes = Object.create(null) as Record<string, TraceAttributeValue>;
  for (const [key, value] of Object.entries(tags)) {
    if (key === STATUS_CODE_TAG || key === ERROR_TAG || typeof value !== 'string') continue;
    attributes[key] = NUMERIC_TAGS.has(key) ? (decimal(value) ?? value) : value;
  }
  return attributes;
}

/** A finite decimal number (`"23"`, `"13.4"`); `undefined` for anything else. */
function decimal(value: string): number | undefined {
  const text = numberText(value);
  if (text === undefined || text.trim() === '') return undefined;
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed : undefined;
}
