/**
 * Reads stream entries out of `XREADGROUP`, `XAUTOCLAIM` and `XCLAIM` replies, in every shape ioredis
 * hands them over:
 *
 * - RESP2, and ioredis 6's named commands under its default `replyMapping: 'legacy'`:
 *   `[[stream, [[id, [field, value, ...]], ...]], ...]`;
 * - RESP3 through `call` under `'legacy'`: the map of streams flattened, `[stream, entries, stream, ...]`;
 * - RESP3 under `replyMapping: 'resp3'`: a plain object `{ [stream]: entries }` (or a `Map`);
 * - names, ids and values as strings, or as Buffers from the `*Buffer` commands.
 *
 * Anything else (a malformed reply, a deleted entry whose fields are `null`) is skipped and counted, never
 * thrown: replies are outside input.
 */
import { withoutKeyPrefix } from './key-prefix';
import { entryIdString } from './stream-entry-id';
import { flatFields } from './stream-fields';

/** One entry found in a reply. */
export interface ReplyEntry {
  /**
   * The stream key for commands about the entry (`XACK`, `XPENDING`) through the client it was read with:
   * as it arrived (a string, or a Buffer), without that client's `keyPrefix`, which the client adds back.
   */
  readonly key: string | Buffer;
  /** The stream key as text, without the client's `keyPrefix`: the name spans and handlers see. */
  readonly stream: string;
  readonly id: string;
  readonly fields: (string | Buffer)[];
}

/** The entries of a reply, and how many elements could not be read as entries. */
export interface ReplyEntries {
  readonly entries: ReplyEntry[];
  readonly skipped: number;
}

function isName(value: unknown): value is string | Buffer {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

function streamName(key: string | Buffer): string {
  return typeof key === 'string' ? key : key.toString();
}

/**
 * Appends the entries of one stream's `[[id, fields], ...]` list to `out`; returns how many were skipped.
 * `replyKey` is the stream as the reply names it, with the client's `prefix` (if any) still on it.
 */
function collectEntries(
  replyKey: unknown,
  list: unknown,
  out: ReplyEntry[],
  prefix: string | undefined,
): number {
  if (!isName(replyKey) || !Array.isArray(list)) return 1;
  const key = withoutKeyPrefix(replyKey, prefix);
  const stream = streamName(key);
  let skipped = 0;
  for (const item of list as unknown[]) {
    const id: unknown = Array.isArray(item) ? item[0] : undefined;
    const fields = Array.isArray(item) ? flatFields(item[1]) : undefined;
    if (!isName(id) || fields === undefined) {
      skipped++;
      continue;
    }
    out.push({ key, stream, id: entryIdString(id), fields });
  }
  return skipped;
}

/**
 * The entries of an `XREADGROUP` (or `XREAD`) reply; `null` (a read that timed out) has none. `keyPrefix`
 * is the `keyPrefix` of the client that read it: the reply names streams with it, the entries without.
 */
export function readReplyEntries(reply: unknown, keyPrefix?: string): ReplyEntries {
  const entries: ReplyEntry[] = [];
  let skipped = 0;
  if (reply === null || reply === undefined) return { entries, skipped };
  if (Array.isArray(reply)) {
    const items = reply as unknown[];
    if (items.length > 0 && isName(items[0])) {
      // A RESP3 map flattened to [stream, entries, stream, entries, ...].
      for (let i = 0; i < items.length; i += 2)
        skipped += collectEntries(items[i], items[i + 1], entries, keyPrefix);
    } else {
      for (const pair of items) {
        skipped += Array.isArray(pair) ? collectEntries(pair[0], pair[1], entries, keyPrefix) : 1;
      }
    }
  } else if (reply instanceof Map) {
    for (const [key, list] of reply as Map<unknown, unknown>)
      skipped += collectEntries(key, list, entries, keyPrefix);
  } else if (typeof reply === 'object' && !Buffer.isBuffer(reply)) {
    for (const [key, list] of Object.entries(reply as Record<string, unknown>))
      skipped += collectEntries(key, list, entries, keyPrefix);
  } else {
    skipped++;
  }
  return { entries, skipped };
}

/**
 * The entries of an `XAUTOCLAIM` reply (`[cursor, entries, deleted ids]`) or an `XCLAIM` reply (`entries`)
 * for `stream`, named as the application names it (without a `keyPrefix`: these replies do not name the
 * stream, the command did). `JUSTID` replies carry no fields: their ids are skipped.
 */
export function claimReplyEntries(stream: string | Buffer, reply: unknown): ReplyEntries {
  const entries: ReplyEntry[] = [];
  if (!Array.isArray(reply)) return { entries, skipped: reply === null || reply === undefined ? 0 : 1 };
  const items = reply as unknown[];
  const isAutoClaim = items.length >= 2 && isName(items[0]) && Array.isArray(items[1]);
  const skipped = collectEntries(stream, isAutoClaim ? items[1] : items, entries, undefined);
  return { entries, skipped };
}

/** The cursor an `XAUTOCLAIM` reply returns for the next call (`'0-0'` when the scan is complete). */
export function autoClaimCursor(reply: unknown): string {
  const cursor: unknown = Array.isArray(reply) ? reply[0] : undefined;
  return isName(cursor) ? entryIdString(cursor) : '0-0';
}
