import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeEnvelope, encodeEnvelope, ENVELOPE_MAGIC } from '../../../src/propagation/envelope';

describe('envelope codec', () => {
  it('round-trips payload bytes and headers', () => {
    const payload = randomBytes(1000);
    const headers = {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      baggage: 'a=b',
    };
    const decoded = decodeEnvelope(encodeEnvelope(payload, headers));
    assert.equal(decoded.isEnvelope, true);
    assert.ok(decoded.isEnvelope);
    assert.deepEqual(decoded.headers, headers);
    assert.ok(decoded.payload.equals(payload));
  });

  it('round-trips an empty payload and a string payload', () => {
    const empty = decodeEnvelope(encodeEnvelope(Buffer.alloc(0), {}));
    assert.ok(empty.isEnvelope);
    assert.equal(empty.payload.length, 0);
    const text = decodeEnvelope(encodeEnvelope('{"order":42}', {}));
    assert.equal(text.payload.toString(), '{"order":42}');
  });

  it('starts every envelope with field 1 (fixed32) holding the marker', () => {
    const bytes = encodeEnvelope('x', { a: 'b' });
    assert.equal(bytes[0], 0x0d);
    assert.equal(bytes.readUInt32LE(1), ENVELOPE_MAGIC);
  });

  it('hands back a payload sent without tracebridge exactly as it arrived', () => {
    for (const plain of [
      Buffer.from('{"job":"resize"}'),
      Buffer.alloc(0),
      Buffer.from([0x0d]),
      randomBytes(64),
    ]) {
      const decoded = decodeEnvelope(plain);
      assert.equal(decoded.isEnvelope, false);
      assert.ok(decoded.payload.equals(plain));
    }
  });

  it('treats every truncation inside a field as a plain payload, never throwing, never losing bytes', () => {
    const payload = randomBytes(200);
    const whole = encodeEnvelope(payload, {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    // tracebridge writes magic (5 bytes), then the one header entry, then the payload (field 3).
    const payloadStart = whole.length - payload.length - 3; // tag 0x1a, a two-byte length, then the bytes
    for (let length = 0; length < whole.length; length++) {
      const truncated = whole.subarray(0, length);
      const decoded = decodeEnvelope(truncated);
      // Cut exactly between two fields, the bytes are a whole proto3 envelope whose later fields are
      // omitted, as any protobuf parser reads them: an envelope with an empty payload.
      const atFieldBoundary = length === 5 || length === payloadStart;
      assert.equal(decoded.isEnvelope, atFieldBoundary, `truncated to ${length} bytes`);
      if (atFieldBoundary) assert.equal(decoded.payload.length, 0);
      else assert.ok(decoded.payload.equals(truncated));
    }
  });

  it('survives random bytes behind a valid marker', () => {
    const prefix = encodeEnvelope('', {}).subarray(0, 5);
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.concat([prefix, randomBytes(i % 97)]);
      const decoded = decodeEnvelope(bytes);
      if (!decoded.isEnvelope) assert.ok(decoded.payload.equals(bytes));
    }
  });
});
