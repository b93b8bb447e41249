/**
 * The delayed-job member is MessagePack that Redis' Lua `cmsgpack` decodes (checked against the real
 * Redis by the integration tests); here: its exact encoding, across the str and array size classes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DELAYED_JOB_MARKER, encodeDelayedJobMember } from '../../../src/redis/delayed-job-member';

/** A minimal reader of what the encoder writes: an array of str items. */
function decode(bytes: Buffer): Buffer[] {
  let offset = 0;
  const u8 = () => bytes[offset++]!;
  const head = u8();
  let count: number;
  if ((head & 0xf0) === 0x90) count = head & 0x0f;
  else if (head === 0xdc) count = (u8() << 8) | u8();
  else if (head === 0xdd) count = bytes.readUInt32BE((offset += 4) - 4);
  else throw new Error(`not an array: ${head}`);
  const items: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const h = u8();
    let length: number;
    if ((h & 0xe0) === 0xa0) length = h & 0x1f;
    else if (h === 0xd9) length = u8();
    else if (h === 0xda) length = (u8() << 8) | u8();
    else if (h === 0xdb) length = bytes.readUInt32BE((offset += 4) - 4);
    else throw new Error(`not a str: ${h}`);
    items.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  assert.equal(offset, bytes.length, 'no trailing bytes');
  return items;
}

describe('encodeDelayedJobMember', () => {
  it('writes [marker, nonce, ...fields] with every value byte for byte', () => {
    const binary = Buffer.from([0x00, 0xff, 0xc4, 0x93]);
    const items = decode(encodeDelayedJobMember(['task', 'remind', 'blob', binary, 'n', 42]));
    assert.equal(items[0]?.toString(), DELAYED_JOB_MARKER);
    assert.ok((items[1]?.length ?? 0) > 0, 'a nonce');
    assert.deepEqual(items.slice(2), [
      Buffer.from('task'),
      Buffer.from('remind'),
      Buffer.from('blob'),
      binary,
      Buffer.from('n'),
      Buffer.from('42'),
    ]);
  });

  it('two jobs with the same fields are two members (the nonce differs)', () => {
    assert.notDeepEqual(encodeDelayedJobMember(['a', '1']), encodeDelayedJobMember(['a', '1']));
  });

  it('uses the str8, str16, str32 and array16 size classes where needed', () => {
    const sizes = [31, 32, 255, 256, 65_535, 65_536];
    const values = sizes.map((n) => Buffer.alloc(n, 0x61));
    const fields = values.flatMap((v, i) => [`f${i}`, v]);
    const manyFields = Array.from({ length: 20 }, (_, i) => String(i));
    assert.deepEqual(
      decode(encodeDelayedJobMember(fields)).slice(2),
      fields.map((f) => Buffer.from(f)),
    );
    assert.equal(decode(encodeDelayedJobMember(manyFields)).length, 22);
  });
});
