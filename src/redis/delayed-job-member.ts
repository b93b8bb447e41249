/**
 * How a delayed job is stored in its sorted set: one member holding the entry's final fields (the job's
 * own, the trace context of its scheduling, and when it was scheduled), so that promotion can move it onto
 * the stream atomically inside Redis, with no round trip through a client.
 *
 * The member is a MessagePack array of byte strings, because Redis' Lua interpreter decodes MessagePack
 * natively (`cmsgpack`) and byte strings keep binary field values intact:
 *
 *     [ MARKER, nonce, field, value, field, value, ... ]
 *
 * The nonce makes every scheduled job its own member: a sorted set would otherwise merge two jobs with
 * the same fields into one.
 * @see https://github.com/msgpack/msgpack/blob/master/spec.md (str family, array family)
 */
import { randomBytes } from 'node:crypto';
import type { RedisArgument } from './redis-client';

/** The first element of every member: tells a tracebridge member from anything else in the set. */
export const DELAYED_JOB_MARKER = 'tbdj1';

/** Unique per process; with a counter, unique per job without a random draw per job. */
const NONCE_PREFIX = randomBytes(6).toString('hex');
let nonceCounter = 0;

function nextNonce(): string {
  nonceCounter = (nonceCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${NONCE_PREFIX}${nonceCounter.toString(36)}`;
}

function bytesOf(value: RedisArgument): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
}

/** The MessagePack header of a byte string (str family) of `length` bytes. */
function stringHeader(length: number): Buffer {
  if (length < 32) return Buffer.from([0xa0 | length]);
  if (length < 0x100) return Buffer.from([0xd9, length]);
  if (length < 0x10000) return Buffer.from([0xda, length >> 8, length & 0xff]);
  const header = Buffer.alloc(5);
  header[0] = 0xdb;
  header.writeUInt32BE(length, 1);
  return header;
}

/** The MessagePack header of an array of `count` elements. */
function arrayHeader(count: number): Buffer {
  if (count < 16) return Buffer.from([0x90 | count]);
  if (count < 0x10000) return Buffer.from([0xdc, count >> 8, count & 0xff]);
  const header = Buffer.alloc(5);
  header[0] = 0xdd;
  header.writeUInt32BE(count, 1);
  return header;
}

/** Encodes the member for an entry with `fields` (a flat `field, value, ...` list). */
export function encodeDelayedJobMember(fields: readonly RedisArgument[]): Buffer {
  const items = [DELAYED_JOB_MARKER, nextNonce(), ...fields].map(bytesOf);
  const parts: Buffer[] = [arrayHeader(items.length)];
  for (const item of items) parts.push(stringHeader(item.length), item);
  return Buffer.concat(parts);
}
