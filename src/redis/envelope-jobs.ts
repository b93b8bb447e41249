/**
 * What list and pub/sub jobs share: these transports have no headers, so the payload travels inside the
 * protobuf envelope of `protos/tracebridge/v1/envelope.proto`, with the trace context in its header map.
 */
import type { Span } from '@opentelemetry/api';
import type { MessagingSpan } from '../core/messaging-span';
import type { MessagingTelemetry } from '../core/messaging-telemetry';
import { ATTR_MESSAGING_MESSAGE_BODY_SIZE } from '../core/semantic-attributes';
import { decodeEnvelope, encodeEnvelope, envelopeHeadersCarrier } from '../propagation/envelope';
import type { EnvelopeHeaders } from '../propagation/envelope';
import type { EnvelopeJob } from './redis-options';

const NO_HEADERS: EnvelopeHeaders = Object.freeze({});

/**
 * `payload` wrapped in an envelope carrying `send`'s context (an envelope even when there is no context);
 * without `send` (nothing registered: no span, no context), the envelope of no headers.
 */
export function wrapInEnvelope(send: MessagingSpan | undefined, payload: string | Uint8Array): Buffer {
  const headers = send?.inject(envelopeHeadersCarrier, undefined) ?? NO_HEADERS;
  return encodeEnvelope(payload, headers);
}

/** A popped or received value as bytes: Buffers as they are; strings (from non-Buffer commands) as UTF-8. */
export function valueBytes(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/**
 * Unwraps `value` and starts its process span (none while the telemetry is dormant): parented to the envelope's context, or a new trace when
 * the value is not an envelope (its bytes are then the payload, untouched). `toJob` builds what the handler
 * receives from the payload.
 */
export function startEnvelopeProcess<Job extends EnvelopeJob>(
  telemetry: MessagingTelemetry<never, Job>,
  destination: string,
  value: Buffer,
  toJob: (payload: Buffer, enveloped: boolean) => Job,
): { readonly span: MessagingSpan | undefined; readonly job: Job } {
  const decoded = decodeEnvelope(value);
  const job = toJob(decoded.payload, decoded.isEnvelope);
  // Nothing registered: the handler gets the same job, with no span and no header read.
  if (telemetry.dormant) return { span: undefined, job };
  const span = telemetry.startProcess({
    destination,
    carrier: envelopeHeadersCarrier,
    headers: decoded.isEnvelope ? decoded.headers : undefined,
    info: job,
    describe: (s: Span) => s.setAttribute(ATTR_MESSAGING_MESSAGE_BODY_SIZE, decoded.payload.length),
  });
  return { span, job };
}
