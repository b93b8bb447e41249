import { boundedText, microsecondsAsNanos, preview } from './foreign-text';
import { isRecord } from './otlp-any-value';
import { normalizeJaegerId } from './otlp-ids';
import type { DecodedSpan } from './otlp-span';
import type {
  SpanKindName,
  SpanLinkTarget,
  SpanStatusName,
  TraceAttributeValue,
  TraceSpan,
} from './trace-span';

/**
 * Decodes one span of Jaeger's JSON (its query API's `/api/traces/{id}`, and the UI's "Download JSON")
 * onto the shared span model, the way Jaeger translates OTLP in and out:
 *
 * - the parent is the first `CHILD_OF` reference into the same trace; every other reference is a link
 *   (OpenTelemetry links become `FOLLOWS_FROM` references);
 * - the kind is the `span.kind` tag (absent: unspecified), the status the `otel.status_code` and
 *   `otel.status_description` tags, or an `error` tag that is true;
 * - the service is the span's process (`processID` into the trace's `processes`, or an inline `process`);
 * - times are microseconds; logs (span events) are not shown.
 *
 * @see https://www.jaegertracing.io/docs/latest/apis/#http-json
 */
export function decodeJaegerSpan(value: unknown, processes: Readonly<Record<string, unknown>>): DecodedSpan {
  if (!isRecord(value)) return { error: 'is not an object' };
  const traceId = normalizeJaegerId(value['traceID'], 'trace');
  if (traceId === undefined) return { error: `has no valid traceID (${preview(value['traceID'])})` };
  const spanId = normalizeJaegerId(value['spanID'], 'span');
  if (spanId === undefined) return { error: `has no valid spanID (${preview(value['spanID'])})` };
  const start = microsecondsAsNanos(value['startTime']);
  const duration = value['duration'] === undefined ? 0n : microsecondsAsNanos(value['duration']);
  if (start === undefined || duration === undefined) return { error: 'has no valid startTime or duration' };

  const { parentSpanId, links } = referencesOf(value['references'], traceId);
  const tags = tagsOf(value['tags']);
  const process = isRecord(value['process']) ? value['process'] : processes[String(value['processID'])];
  const span: TraceSpan = {
    traceId,
    spanId,
    parentSpanId,
    name: boundedText(value['operationName']) ?? '',
    kind: kindOf(tags[KIND_TAG]),
    serviceName: isRecord(process) ? boundedText(process['serviceName']) : undefined,
    startTimeUnixNano: start,
    endTimeUnixNano: start + duration,
    status: statusOf(tags),
    statusMessage:
      statusOf(tags) === 'ERROR' ? boundedText(tags[STATUS_MESSAGE_TAG]) || undefined : undefined,
    attributes: withoutModelTags(tags),
    links,
  };
  return { span };
}

const KIND_TAG = 'span.kind';
const STATUS_CODE_TAG = 'otel.status_code';
const STATUS_MESSAGE_TAG = 'otel.status_description';
const ERROR_TAG = 'error';
/** Tags Jaeger uses for what the span model holds in its own fields. */
const MODEL_TAGS: ReadonlySet<string> = new Set([KIND_TAG, STATUS_CODE_TAG, STATUS_MESSAGE_TAG, ERROR_TAG]);

const KINDS: ReadonlyMap<unknown, SpanKindName> = new Map<unknown, SpanKindName>([
  ['client', 'CLIENT'],
  ['server', 'SERVER'],
  ['producer', 'PRODUCER'],
  ['consumer', 'CONSUMER'],
  ['internal', 'INTERNAL'],
]);

function kindOf(kind: TraceAttributeValue | undefined): SpanKindName {
  return KINDS.get(kind) ?? 'UNSPECIFIED';
}

function statusOf(tags: Readonly<Record<string, TraceAttributeValue>>): SpanStatusName {
  const code = tags[STATUS_CODE_TAG];
  if (code === 'ERROR' || tags[ERROR_TAG] === true || tags[ERROR_TAG] === 'true') return 'ERROR';
  return code === 'OK' ? 'OK' : 'UNSET';
}

/** Jaeger's typed tags (`{ key, type, value }`): strings, booleans, numbers; binary stays base64 text. */
function tagsOf(list: unknown): Record<string, TraceAttributeValue> {
  // A null prototype, so that a tag named "__proto__" is an attribute like any other.
  const tags = Object.create(null) as Record<string, TraceAttributeValue>;
  if (!Array.isArray(list)) return tags;
  for (const tag of list as unknown[]) {
    if (!isRecord(tag) || typeof tag['key'] !== 'string') continue;
    const value = tag['value'];
    if (
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      tags[tag['key']] = value;
    }
  }
  return tags;
}

function withoutModelTags(
  tags: Readonly<Record<string, TraceAttributeValue>>,
): Record<string, TraceAttributeValue> {
  const attributes = Object.create(null) as Record<string, TraceAttributeValue>;
  for (const [key, value] of Object.entries(tags)) if (!MODEL_TAGS.has(key)) attributes[key] = value;
  return attributes;
}

function referencesOf(
  list: unknown,
  traceId: string,
): { parentSpanId: string | undefined; links: SpanLinkTarget[] } {
  let parentSpanId: string | undefined;
  const links: SpanLinkTarget[] = [];
  if (!Array.isArray(list)) return { parentSpanId, links };
  for (const reference of list as unknown[]) {
    if (!isRecord(reference)) continue;
    const target = {
      traceId: normalizeJaegerId(reference['traceID'], 'trace'),
      spanId: normalizeJaegerId(reference['spanID'], 'span'),
    };
    if (target.traceId === undefined || target.spanId === undefined) continue;
    const parent =
      parentSpanId === undefined && reference['refType'] === 'CHILD_OF' && target.traceId === traceId;
    if (parent) parentSpanId = target.spanId;
    else links.push({ traceId: target.traceId, spanId: target.spanId });
  }
  return { parentSpanId, links };
}
