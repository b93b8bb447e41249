import { join } from 'node:path';
import protobuf from 'protobufjs';
import { createHeaderRecordCarrier } from './header-record-carrier';

/** The envelope's marker; see `protos/tracebridge/v1/envelope.proto`. */
export const ENVELOPE_MAGIC = 0x31454254;
/** The first five bytes of every envelope: the tag of field 1 (fixed32) and the marker, little-endian. */
const ENVELOPE_PREFIX = Buffer.from([0x0d, 0x54, 0x42, 0x45, 0x31]);

/** Headers inside an envelope: propagation fields only, as strings. */
export type EnvelopeHeaders = Record<string, string>;

/** What {@link decodeEnvelope} found. */
export type DecodedPayload =
  | { readonly isEnvelope: true; readonly headers: EnvelopeHeaders; readonly payload: Buffer }
  | { readonly isEnvelope: false; readonly payload: Buffer };

interface EnvelopeMessage {
  magic: number;
  headers: Record<string, string>;
  payload: Uint8Array;
}

let envelopeType: protobuf.Type | undefined;

/** Loaded on first use, so importing tracebridge costs nothing for users without Redis lists or pub/sub. */
function getEnvelopeType(): protobuf.Type {
  // Both src/propagation and dist/propagation sit two levels below the package root, beside protos/.
  envelopeType ??= protobuf
    .loadSync(join(__dirname, '..', '..', 'protos', 'tracebridge', 'v1', 'envelope.proto'))
    .lookupType('tracebridge.v1.Envelope');
  return envelopeType;
}

/** Wraps `payload` and propagation `headers` into envelope bytes. */
export function encodeEnvelope(payload: Uint8Array | string, headers: EnvelopeHeaders): Buffer {
  const type = getEnvelopeType();
  const message = type.create({
    magic: ENVELOPE_MAGIC,
    headers,
    payload: typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload,
  });
  const bytes = type.encode(message).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Unwraps envelope bytes. Anything that is not a whole envelope (a payload sent without tracebridge, a
 * truncated or corrupted envelope) comes back as `isEnvelope: false` with the bytes exactly as received, so
 * the job is still processed, as a new trace, and nothing is lost. Never throws.
 */
export function decodeEnvelope(bytes: Uint8Array): DecodedPayload {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    buffer.length < ENVELOPE_PREFIX.length ||
    !buffer.subarray(0, ENVELOPE_PREFIX.length).equals(ENVELOPE_PREFIX)
  ) {
    return { isEnvelope: false, payload: buffer };
  }
  try {
    const decoded = getEnvelopeType().decode(buffer) as unknown as EnvelopeMessage;
    if (decoded.magic !== ENVELOPE_MAGIC) return { isEnvelope: false, payload: buffer };
    const payload = decoded.payload ?? new Uint8Array(0);
    return {
      isEnvelope: true,
      headers: { ...decoded.headers },
      payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    };
  } catch {
    return { isEnvelope: false, payload: buffer };
  }
}

/** Carries trace context in the header map of an envelope (Redis lists and pub/sub). */
export const envelopeHeadersCarrier = createHeaderRecordCarrier<EnvelopeHeaders>('envelope-headers');
