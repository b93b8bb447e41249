import { context, createContextKey, propagation } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { OWN_FIELDS } from '../core/own-fields';
import type { KafkaHeaders } from '../propagation/kafka-headers-carrier';
import { assignOwnFields } from '../propagation/own-fields';
import type { KafkaMessageLike, KafkaOutgoingMessage } from './kafka-types';

/**
 * The header carrying which delivery attempt a re-produced message is, from 2 (a message without it is on
 * its first attempt). Written by {@link retryMessage}; read by traced consumers into
 * `tracebridge.messaging.attempt`.
 */
export const KAFKA_ATTEMPT_HEADER = 'tracebridge-attempt';

/** Attempts beyond this are not believed: the header comes from the outside world. */
const MAX_ATTEMPT = 1_000_000;

const ATTEMPT_KEY = createContextKey('tracebridge kafka delivery attempt');

/** `ctx` carrying the attempt of the message whose processing it belongs to. */
export function withAttempt(ctx: Context, attempt: number): Context {
  return ctx.setValue(ATTEMPT_KEY, attempt);
}

/**
 * The attempt a message's header declares, or `undefined` when the header is absent or not a plain
 * positive integer (a malformed header is ignored, like any other hostile header).
 */
export function attemptFromHeaders(headers: KafkaHeaders | undefined): number | undefined {
  if (headers === undefined || headers === null) return undefined;
  let raw: unknown = Object.prototype.hasOwnProperty.call(headers, KAFKA_ATTEMPT_HEADER)
    ? headers[KAFKA_ATTEMPT_HEADER]
    : undefined;
  if (Array.isArray(raw)) raw = raw[0];
  let text: string;
  // Bounded before the pattern runs, like every inbound value (a string comes from the application).
  if (typeof raw === 'string' && raw.length <= 8) text = raw;
  else if (Buffer.isBuffer(raw) && raw.length <= 8) text = raw.toString('latin1');
  else return undefined;
  if (!/^[1-9][0-9]{0,6}$/.test(text)) return undefined;
  const attempt = Number(text);
  return attempt <= MAX_ATTEMPT ? attempt : undefined;
}

/**
 * Builds the message to re-produce when processing `message` failed: to a retry topic, or to a
 * dead-letter topic. Call it inside the traced handler and send the result with a traced producer; the
 * new message then carries the context of the failed processing span (so the next attempt joins the same
 * trace as its child) and `tracebridge-attempt` set to the next attempt number.
 *
 * The key, value and non-tracing headers are kept; the old trace headers are dropped (a fresh context is
 * injected at send); `message` itself is not modified. Pass `headers` to add or replace headers, such as
 * the failure's reason.
 */
export function retryMessage(
  message: KafkaMessageLike,
  headers?: Readonly<Record<string, string | Buffer>>,
): KafkaOutgoingMessage {
  const attempt = currentAttempt(message);
  // The signature and origin belong to the old context: the traced producer writes the new one's (the
  // origin of the failed processing is the message's own, so the retry keeps it).
  const tracingFields = new Set([...propagation.fields(), ...OWN_FIELDS].map((f) => f.toLowerCase()));
  const copied = assignOwnFields<KafkaHeaders>(
    {},
    message.headers,
    (key) => !tracingFields.has(key.toLowerCase()) && key !== KAFKA_ATTEMPT_HEADER,
  );
  for (const key of Object.keys(copied)) copied[key] = sendable(copied[key]);
  assignOwnFields(copied, headers);
  copied[KAFKA_ATTEMPT_HEADER] = String(attempt + 1);
  return { key: message.key, value: message.value, headers: copied };
}

/**
 * A consumed header value as kafkajs can send it again. kafkajs decodes a header named `__proto__` as
 * `[Object.prototype, bytes]` (it finds the prototype under `headers['__proto__']` and appends), and its
 * producer throws on the prototype: only strings and bytes are kept.
 */
function sendable(value: KafkaHeaders[string]): KafkaHeaders[string] {
  if (!Array.isArray(value)) return value;
  const items = (value as unknown[]).filter(isHeaderBytes);
  return items.length === value.length ? value : items;
}

function isHeaderBytes(item: unknown): item is Buffer | string {
  return typeof item === 'string' || Buffer.isBuffer(item);
}

/** The attempt now being processed: as the traced consumer recorded it, else as the message declares. */
function currentAttempt(message: KafkaMessageLike): number {
  const active = context.active().getValue(ATTEMPT_KEY);
  if (typeof active === 'number') return active;
  return attemptFromHeaders(message.headers) ?? 1;
}
