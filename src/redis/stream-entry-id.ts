/**
 * Stream entry ids, `<milliseconds>-<sequence>`: the milliseconds part is the Redis server's clock when the
 * entry was added, which makes it the enqueue time (time-in-queue needs no extra field).
 * @see https://redis.io/docs/latest/develop/data-types/streams/#entry-ids
 */

/** The entry id as a string (ids arrive as Buffers from the `*Buffer` commands; they are ASCII). */
export function entryIdString(id: string | Buffer): string {
  return typeof id === 'string' ? id : id.toString('latin1');
}

/**
 * The enqueue time of entry `id` in ms since the epoch, or `undefined` when `id` is not `<ms>-<seq>` (at
 * most 15 digits before the dash, so always a safe integer). Read digit by digit: this runs for every
 * entry, and slicing the id out to convert it allocates a string each time.
 */
export function entryIdTimeMs(id: string): number | undefined {
  let ms = 0;
  let digits = 0;
  for (; digits < id.length; digits++) {
    const c = id.charCodeAt(digits);
    if (c === 0x2d) break;
    if (c < 0x30 || c > 0x39 || digits === 15) return undefined;
    ms = ms * 10 + (c - 0x30);
  }
  if (digits === 0 || digits === id.length) return undefined;
  return ms > 0 ? ms : undefined;
}
