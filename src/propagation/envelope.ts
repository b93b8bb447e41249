import { isUtf8 } from 'node:buffer';
import { logger } from '../logger';
import { BAGGAGE_MAX_BYTES, BAGGAGE_MAX_MEMBERS } from './header-limits';
import { createHeaderRecordCarrier } from './header-record-carrier';

/** The envelope's marker; see `protos/tracebridge/v1/envelope.proto`. */
export const ENVELOPE_MAGIC = 0x31454254;
/** The first five bytes of every envelope: the tag of field 1 (fixed32) and the marker, little-endian. */
const ENVELOPE_PREFIX = Buffer.from([0x0d, 0x54, 0x42, 0x45, 0x31]);

/**
 * The most headers an envelope may carry: one per baggage member (Jaeger's `uberctx-*` writes baggage as
 * one header per member) plus room for every other propagation header (traceparent, tracestate, b3,
 * x-b3-*, uber-trace-id, tracebridge's own). An envelope with more carries no trusted context at all.
 */
export const ENVELOPE_MAX_HEADERS = BAGGAGE_MAX_MEMBERS + 32;
/**
 * The most bytes of one header value: what the header layer reads at most for the largest header it
 * accepts (a baggage header, 4 × its 8,192-byte limit, before trimming it to whole members). A longer
 * value is skipped without being decoded.
 */
export const ENVELOPE_MAX_VALUE_BYTES = BAGGAGE_MAX_BYTES * 4;
/** The most bytes of one header name. Propagation header names are short; nothing legitimate comes close. */
export const ENVELOPE_MAX_KEY_BYTES = 256;
/**
 * The most bytes of the whole header section (every map entry, framing included). Past it, or past
 * {@link ENVELOPE_MAX_HEADERS}, no header is decoded and the payload is processed as a new trace.
 */
export const ENVELOPE_MAX_HEADER_BYTES = BAGGAGE_MAX_BYTES * 8;

/** Headers inside an envelope: propagation fields only, as strings. */
export type EnvelopeHeaders = Record<string, string>;

/** What {@link decodeEnvelope} found. */
export type DecodedPayload =
  | { readonly isEnvelope: true; readonly headers: EnvelopeHeaders; readonly payload: Buffer }
  | { readonly isEnvelope: false; readonly payload: Buffer };

/** Tags of the envelope's fields and of its map entries' fields: `(field << 3) | wire type`. */
const TAG_HEADERS = 0x12; // field 2, length-delimited
const TAG_PAYLOAD = 0x1a; // field 3, length-delimited
const TAG_ENTRY_KEY = 0x0a; // map entry field 1, length-delimited
const TAG_ENTRY_VALUE = 0x12; // map entry field 2, length-delimited

/** Bytes of `value` as a protobuf varint. */
function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

/** Writes `value` as a varint at `at`; returns where the next byte goes. */
function writeVarint(buffer: Buffer, at: number, value: number): number {
  let rest = value;
  let next = at;
  while (rest >= 0x80) {
    buffer[next++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  buffer[next++] = rest;
  return next;
}

/**
 * Wraps `payload` and propagation `headers` into envelope bytes: `protos/tracebridge/v1/envelope.proto`,
 * written directly in protobuf's wire format (fields in number order, map entries in insertion order with
 * both key and value, the payload even when empty), which is what protobufjs writes for the same message
 * byte for byte. Sizes are computed first, so the envelope is one allocation.
 */
export function encodeEnvelope(payload: Uint8Array | string, headers: EnvelopeHeaders): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const entries: [string, string, number, number, number][] = [];
  let size = ENVELOPE_PREFIX.length;
  for (const key of Object.keys(headers)) {
    const value = headers[key] ?? '';
    const keyBytes = Buffer.byteLength(key, 'utf8');
    const valueBytes = Buffer.byteLength(value, 'utf8');
    const entryBytes = 2 + varintSize(keyBytes) + keyBytes + varintSize(valueBytes) + valueBytes;
    entries.push([key, value, keyBytes, valueBytes, entryBytes]);
    size += 1 + varintSize(entryBytes) + entryBytes;
  }
  size += 1 + varintSize(body.byteLength) + body.byteLength;
  const out = Buffer.allocUnsafe(size);
  let at = ENVELOPE_PREFIX.copy(out, 0);
  for (const [key, value, keyBytes, valueBytes, entryBytes] of entries) {
    out[at++] = TAG_HEADERS;
    at = writeVarint(out, at, entryBytes);
    out[at++] = TAG_ENTRY_KEY;
    at = writeVarint(out, at, keyBytes);
    at += out.write(key, at, keyBytes, 'utf8');
    out[at++] = TAG_ENTRY_VALUE;
    at = writeVarint(out, at, valueBytes);
    at += out.write(value, at, valueBytes, 'utf8');
  }
  out[at++] = TAG_PAYLOAD;
  at = writeVarint(out, at, body.byteLength);
  out.set(body, at);
  return out;
}

/**
 * Unwraps envelope bytes. Anything that is not a whole envelope (a payload sent without tracebridge, an
 * envelope cut inside a field or otherwise corrupted) comes back as `isEnvelope: false` with the bytes
 * exactly as received, so the job is still processed, as a new trace, and nothing is lost. Never throws.
 *
 * Any proto3 encoder's envelope is read, not only tracebridge's: fields holding their default (an empty
 * payload, no headers) are omitted by Go, Java, Python and most other encoders, and read as that default.
 * The header section is bounded before anything in it is decoded ({@link ENVELOPE_MAX_HEADERS},
 * {@link ENVELOPE_MAX_HEADER_BYTES}, {@link ENVELOPE_MAX_KEY_BYTES}, {@link ENVELOPE_MAX_VALUE_BYTES}): an
 * envelope past those bounds still delivers its payload, with no headers, so it is processed as a new
 * trace. The work is linear in the envelope's size.
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
  const fields = readEnvelopeFields(buffer);
  if (fields === undefined) return { isEnvelope: false, payload: buffer };
  return { isEnvelope: true, headers: decodeHeaders(buffer, fields.headers), payload: fields.payload };
}

/** Protobuf wire types; see https://protobuf.dev/programming-guides/encoding/#structure */
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** Where a length-delimited field's bytes are in the buffer. */
interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** A reader over protobuf wire format that never throws: every read checks the bounds first. */
class WireReader {
  readonly #bytes: Buffer;
  #at: number;
  readonly #end: number;

  constructor(bytes: Buffer, start: number, end: number) {
    this.#bytes = bytes;
    this.#at = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#at >= this.#end;
  }

  /** A varint of at most 32 significant bits (tags and lengths); `undefined` when malformed or cut. */
  varint32(): number | undefined {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.#at >= this.#end) return undefined;
      const byte = this.#bytes[this.#at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value <= 0xffffffff ? value : undefined;
    }
    return undefined;
  }

  /** A little-endian fixed32 value; `undefined` when cut. */
  fixed32(): number | undefined {
    if (4 > this.#end - this.#at) return undefined;
    const value = this.#bytes.readUInt32LE(this.#at);
    this.#at += 4;
    return value;
  }

  /** Where a length-delimited field's bytes are; its length varint is next. */
  lengthDelimited(): ByteRange | undefined {
    const length = this.varint32();
    if (length === undefined || length > this.#end - this.#at) return undefined;
    const span = { start: this.#at, end: this.#at + length };
    this.#at += length;
    return span;
  }

  /** Skips a field's value of `wireType`; `false` for a malformed value or a wire type proto3 never uses. */
  skip(wireType: number): boolean {
    switch (wireType) {
      case WIRE_VARINT:
        for (let i = 0; i < 10; i++) {
          if (this.#at >= this.#end) return false;
          if ((this.#bytes[this.#at++] ?? 0) < 0x80) return true;
        }
        return false;
      case WIRE_I64:
        return this.#advance(8);
      case WIRE_LEN:
        return this.lengthDelimited() !== undefined;
      case WIRE_I32:
        return this.#advance(4);
      default:
        // Groups (3, 4) do not exist in proto3; 6 and 7 are not wire types.
        return false;
    }
  }

  #advance(count: number): boolean {
    if (count > this.#end - this.#at) return false;
    this.#at += count;
    return true;
  }
}

/** The envelope's top-level fields: the header map entries (not decoded yet) and the payload. */
interface EnvelopeFields {
  readonly headers: ByteRange[] | undefined;
  readonly payload: Buffer;
}

/**
 * Walks the envelope's top-level fields, checking their framing. `headers` is `undefined` when the header
 * section is past its bounds (its entries are then never decoded). Returns `undefined` when the bytes are
 * not a well-formed envelope. A field repeated is read as protobuf says: the last `magic` and `payload`
 * win, map entries accumulate.
 */
function readEnvelopeFields(buffer: Buffer): EnvelopeFields | undefined {
  const reader = new WireReader(buffer, 0, buffer.length);
  let magic: number | undefined;
  let payload: ByteRange | undefined;
  let headers: ByteRange[] | undefined = [];
  let headerBytes = 0;
  while (!reader.done) {
    const tag = reader.varint32();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 1 && wireType === WIRE_I32) {
      magic = reader.fixed32();
      if (magic === undefined) return undefined;
    } else if ((field === 2 || field === 3) && wireType === WIRE_LEN) {
      const span = reader.lengthDelimited();
      if (span === undefined) return undefined;
      if (field === 3) payload = span;
      else if (headers !== undefined) {
        headerBytes += span.end - span.start;
        if (headers.length >= ENVELOPE_MAX_HEADERS || headerBytes > ENVELOPE_MAX_HEADER_BYTES) {
          logger.debug('an envelope carries more headers than allowed; its context is ignored');
          headers = undefined;
        } else headers.push(span);
      }
    } else if (field === 0 || !reader.skip(wireType)) {
      return undefined;
    }
  }
  if (magic !== ENVELOPE_MAGIC) return undefined;
  const body = payload === undefined ? Buffer.alloc(0) : buffer.subarray(payload.start, payload.end);
  return { headers, payload: body };
}

/**
 * Decodes the map entries (`{ key = 1; value = 2 }`, both strings, either omitted when empty). An entry
 * whose key or value is too long or not UTF-8, or that is malformed, is skipped; the others are kept.
 */
function decodeHeaders(buffer: Buffer, entries: readonly ByteRange[] | undefined): EnvelopeHeaders {
  const headers: EnvelopeHeaders = {};
  if (entries === undefined) return headers;
  for (const entry of entries) {
    const pair = decodeEntry(buffer, entry);
    if (pair === undefined) continue;
    if (pair[0] === '__proto__') {
      // A data property, which an assignment would not make: it would call the prototype setter. Only
      // here: defineProperty turns the object into a slow dictionary, which assignment does not.
      Object.defineProperty(headers, pair[0], {
        value: pair[1],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      headers[pair[0]] = pair[1];
    }
  }
  return headers;
}

function decodeEntry(buffer: Buffer, entry: ByteRange): [string, string] | undefined {
  const reader = new WireReader(buffer, entry.start, entry.end);
  let key: ByteRange | undefined;
  let value: ByteRange | undefined;
  while (!reader.done) {
    const tag = reader.varint32();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if ((field === 1 || field === 2) && wireType === WIRE_LEN) {
      const span = reader.lengthDelimited();
      if (span === undefined) return undefined;
      if (field === 1) key = span;
      else value = span;
    } else if (field === 0 || !reader.skip(wireType)) {
      return undefined;
    }
  }
  const keyText = utf8Within(buffer, key, ENVELOPE_MAX_KEY_BYTES);
  const valueText = utf8Within(buffer, value, ENVELOPE_MAX_VALUE_BYTES);
  return keyText === undefined || valueText === undefined ? undefined : [keyText, valueText];
}

/** The UTF-8 text of `span` (`''` when the field was omitted), or `undefined` when too long or not UTF-8. */
function utf8Within(buffer: Buffer, span: ByteRange | undefined, maxBytes: number): string | undefined {
  if (span === undefined) return '';
  if (span.end - span.start > maxBytes) return undefined;
  // Propagation headers are ASCII: checking that in place is cheaper than a UTF-8 validation of a copy.
  let ascii = true;
  for (let i = span.start; i < span.end && ascii; i++) ascii = (buffer[i] ?? 0) < 0x80;
  if (ascii) return buffer.toString('latin1', span.start, span.end);
  const bytes = buffer.subarray(span.start, span.end);
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/** Carries trace context in the header map of an envelope (Redis lists and pub/sub). */
export const envelopeHeadersCarrier = createHeaderRecordCarrier<EnvelopeHeaders>('envelope-headers');
