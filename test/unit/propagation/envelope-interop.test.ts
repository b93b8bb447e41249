/**
 * Envelopes written by encoders other than tracebridge's own: `@bufbuild/protobuf` (a conformance-tested
 * proto3 implementation, loaded with the schema in protos/) and bytes written by hand from the protobuf
 * encoding spec. Proto3 encoders omit a field that holds its default (an empty payload, an empty header
 * map), so a valid envelope may carry nothing but its marker. Also: the bounds on the header section.
 * @see https://protobuf.dev/programming-guides/encoding/
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor';
import {
  decodeEnvelope,
  encodeEnvelope,
  ENVELOPE_MAX_HEADER_BYTES,
  ENVELOPE_MAX_HEADERS,
  ENVELOPE_MAX_KEY_BYTES,
  ENVELOPE_MAX_VALUE_BYTES,
} from '../../../src/propagation/envelope';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** The Envelope message as @bufbuild/protobuf sees it, from protos/tracebridge/v1/envelope.proto. */
function bufbuildEnvelope(): DescMessage {
  // protobufjs only parses the .proto into a descriptor; every byte of the envelopes below is written by
  // @bufbuild/protobuf's own encoder.
  const root = protobuf.loadSync(join(__dirname, '../../../protos/tracebridge/v1/envelope.proto'));
  const set = (descriptor as unknown as { FileDescriptorSet: protobuf.Type }).FileDescriptorSet;
  const withDescriptor = root as unknown as { toDescriptor(syntax: string): protobuf.Message };
  const files = set.toObject(withDescriptor.toDescriptor('proto3')) as {
    file: { messageType: { field: { typeName?: string }[] }[] }[];
  };
  // protobufjs names the map entry type relative to its message; a descriptor names it in full.
  for (const field of files.file[0]?.messageType[0]?.field ?? []) {
    if (field.typeName !== undefined) field.typeName = `.tracebridge.v1.Envelope.${field.typeName}`;
  }
  const bytes = set.encode(set.fromObject(files)).finish();
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  const envelope = registry.getMessage('tracebridge.v1.Envelope');
  assert.ok(envelope, 'the schema in protos/ defines tracebridge.v1.Envelope');
  return envelope;
}

describe('envelopes from other encoders', () => {
  const Envelope = bufbuildEnvelope();
  const encode = (init: Record<string, unknown>) => Buffer.from(toBinary(Envelope, create(Envelope, init)));

  it('reads a @bufbuild/protobuf envelope with an empty payload (omitted on the wire)', () => {
    const bytes = encode({
      magic: 0x31454254,
      headers: { traceparent: TRACEPARENT },
      payload: new Uint8Array(),
    });
    assert.ok(!bytes.includes(0x1a), 'the encoder omitted field 3 (tag 0x1a)');
    const decoded = decodeEnvelope(bytes);
    assert.ok(decoded.isEnvelope, 'a valid envelope is recognised');
    assert.deepEqual(decoded.headers, { traceparent: TRACEPARENT });
    assert.equal(decoded.payload.length, 0, 'the payload is empty, not the envelope bytes');
  });

  it('reads a @bufbuild/protobuf envelope with no headers, and with headers and a payload', () => {
    const bare = decodeEnvelope(encode({ magic: 0x31454254, payload: Buffer.from('job') }));
    assert.ok(bare.isEnvelope);
    assert.deepEqual(bare.headers, {});
    assert.equal(bare.payload.toString(), 'job');
    const full = decodeEnvelope(
      encode({
        magic: 0x31454254,
        headers: { traceparent: TRACEPARENT, baggage: 'k=v' },
        payload: Buffer.from('x'),
      }),
    );
    assert.ok(full.isEnvelope);
    assert.deepEqual(full.headers, { traceparent: TRACEPARENT, baggage: 'k=v' });
    assert.equal(full.payload.toString(), 'x');
  });

  it('writes what @bufbuild/protobuf reads back', () => {
    const message = fromBinary(Envelope, encodeEnvelope('hi', { traceparent: TRACEPARENT })) as unknown as {
      magic: number;
      headers: Record<string, string>;
      payload: Uint8Array;
    };
    assert.equal(message.magic, 0x31454254);
    assert.deepEqual({ ...message.headers }, { traceparent: TRACEPARENT });
    assert.equal(Buffer.from(message.payload).toString(), 'hi');
  });

  /** Envelopes of every shape the encoder meets: several headers, non-ASCII, multi-byte lengths. */
  const SHAPES: { name: string; headers: Record<string, string>; payload: Buffer }[] = [
    { name: 'one header', headers: { traceparent: TRACEPARENT }, payload: Buffer.from('job') },
    {
      name: 'several headers, one empty value',
      headers: { traceparent: TRACEPARENT, tracestate: '', baggage: 'k=v,user=ünïcode' },
      payload: Buffer.from([0, 1, 2, 0xff]),
    },
    { name: 'no headers', headers: {}, payload: Buffer.from('x') },
    { name: 'a 200-byte payload', headers: { b3: '1-2-1' }, payload: Buffer.alloc(200, 7) },
    {
      name: 'a 20,000-byte payload',
      headers: { 'x-long': 'v'.repeat(300) },
      payload: Buffer.alloc(20_000, 9),
    },
  ];

  it('writes exactly the bytes @bufbuild/protobuf writes for the same message', () => {
    for (const { name, headers, payload } of SHAPES) {
      const ours = encodeEnvelope(payload, headers);
      assert.ok(ours.equals(encode({ magic: 0x31454254, headers, payload })), name);
    }
  });

  it('writes exactly the bytes protobufjs writes, the empty payload included', () => {
    const type = protobuf
      .loadSync(join(__dirname, '../../../protos/tracebridge/v1/envelope.proto'))
      .lookupType('tracebridge.v1.Envelope');
    const shapes = [
      ...SHAPES,
      { name: 'an empty payload', headers: { traceparent: TRACEPARENT }, payload: Buffer.alloc(0) },
    ];
    for (const { name, headers, payload } of shapes) {
      const theirs = type.encode(type.create({ magic: 0x31454254, headers, payload })).finish();
      assert.ok(encodeEnvelope(payload, headers).equals(theirs), name);
    }
    // A string payload is its UTF-8 bytes.
    assert.ok(encodeEnvelope('héllo', {}).equals(encodeEnvelope(Buffer.from('héllo', 'utf8'), {})));
  });

  it('reads hand-written wire bytes: only the marker, and a map entry with an omitted value', () => {
    const onlyMarker = Buffer.from([
      0x0d, // tag: field 1 (magic), wire type 5 (fixed32): (1 << 3) | 5
      0x54,
      0x42,
      0x45,
      0x31, // 0x31454254 little-endian ("TBE1")
      // headers (field 2) and payload (field 3) hold their defaults, so a proto3 encoder writes neither
    ]);
    const marker = decodeEnvelope(onlyMarker);
    assert.ok(marker.isEnvelope);
    assert.deepEqual(marker.headers, {});
    assert.equal(marker.payload.length, 0);

    const entryWithoutValue = Buffer.from([
      0x0d,
      0x54,
      0x42,
      0x45,
      0x31, // magic, as above
      0x12, // tag: field 2 (headers), wire type 2 (length-delimited): (2 << 3) | 2
      0x03, // the map entry is 3 bytes long
      0x0a, // entry tag: field 1 (key), length-delimited: (1 << 3) | 2
      0x01,
      0x6b, // key length 1, "k"; the value (field 2) is '' and so omitted
      0x1a, // tag: field 3 (payload), length-delimited: (3 << 3) | 2
      0x02,
      0x6f,
      0x6b, // payload length 2, "ok"
    ]);
    const entry = decodeEnvelope(entryWithoutValue);
    assert.ok(entry.isEnvelope);
    assert.deepEqual(entry.headers, { k: '' });
    assert.equal(entry.payload.toString(), 'ok');
  });

  it('skips unknown fields as protobuf requires, and refuses a group wire type', () => {
    const withUnknown = Buffer.from([
      0x0d,
      0x54,
      0x42,
      0x45,
      0x31, // magic
      0x20,
      0x07, // tag: field 4, wire type 0 (varint), value 7: a field a newer schema might add
      0x1a,
      0x01,
      0x78, // payload "x"
    ]);
    const decoded = decodeEnvelope(withUnknown);
    assert.ok(decoded.isEnvelope);
    assert.equal(decoded.payload.toString(), 'x');
    const group = Buffer.from([0x0d, 0x54, 0x42, 0x45, 0x31, 0x23, 0x24]); // field 4, wire type 3 (start group)
    assert.equal(decodeEnvelope(group).isEnvelope, false);
  });
});

describe('envelope header bounds', () => {
  it('delivers the payload without context when there are more headers than allowed', () => {
    const headers: Record<string, string> = { traceparent: TRACEPARENT };
    for (let i = 0; i < ENVELOPE_MAX_HEADERS; i++) headers[`x-${i}`] = 'v';
    const decoded = decodeEnvelope(encodeEnvelope('payload', headers));
    assert.ok(decoded.isEnvelope);
    assert.deepEqual(decoded.headers, {}, 'no header is trusted');
    assert.equal(decoded.payload.toString(), 'payload');

    const atLimit = { ...headers };
    delete atLimit['x-0'];
    const full = decodeEnvelope(encodeEnvelope('p', atLimit));
    assert.ok(full.isEnvelope);
    assert.equal(Object.keys(full.headers).length, ENVELOPE_MAX_HEADERS, 'exactly the limit is kept whole');
  });

  it('delivers the payload without context when the header section is too large', () => {
    const value = 'v'.repeat(ENVELOPE_MAX_VALUE_BYTES);
    const headers: Record<string, string> = { traceparent: TRACEPARENT };
    for (let i = 0; i * ENVELOPE_MAX_VALUE_BYTES <= ENVELOPE_MAX_HEADER_BYTES; i++)
      headers[`big-${i}`] = value;
    const decoded = decodeEnvelope(encodeEnvelope('payload', headers));
    assert.ok(decoded.isEnvelope);
    assert.deepEqual(decoded.headers, {});
    assert.equal(decoded.payload.toString(), 'payload');
  });

  it('drops only the entry whose key or value is too long or not UTF-8', () => {
    const decoded = decodeEnvelope(
      encodeEnvelope('p', {
        traceparent: TRACEPARENT,
        ['k'.repeat(ENVELOPE_MAX_KEY_BYTES + 1)]: 'v',
        long: 'v'.repeat(ENVELOPE_MAX_VALUE_BYTES + 1),
        fits: 'v'.repeat(100),
      }),
    );
    assert.ok(decoded.isEnvelope);
    assert.deepEqual(Object.keys(decoded.headers), ['traceparent', 'fits']);
    const invalidUtf8 = Buffer.from([
      0x0d,
      0x54,
      0x42,
      0x45,
      0x31, // magic
      0x12,
      0x06,
      0x0a,
      0x01,
      0x6b,
      0x12,
      0x01,
      0xff, // entry k = <0xff>, not UTF-8
    ]);
    const bad = decodeEnvelope(invalidUtf8);
    assert.ok(bad.isEnvelope);
    assert.deepEqual(bad.headers, {});
  });

  it('keeps a header named __proto__ as a data property', () => {
    const bytes = Buffer.concat([
      encodeEnvelope('', {}).subarray(0, 5),
      Buffer.from([0x12, 0x0e, 0x0a, 0x09]),
      Buffer.from('__proto__'),
      Buffer.from([0x12, 0x01, 0x76]),
    ]);
    const decoded = decodeEnvelope(bytes);
    assert.ok(decoded.isEnvelope);
    assert.ok(Object.prototype.hasOwnProperty.call(decoded.headers, '__proto__'));
    assert.equal(Object.getPrototypeOf(decoded.headers), Object.prototype);
  });
});
