/**
 * Stream entry ids, `<milliseconds>-<sequence>`: the milliseconds part is the Redis server's clock when the
 * entry was added, which makes it the enqueue time (time-in-queue needs no extra field).
 * @see https://redis.io/docs/latest/develop/data-types/streams/#entry-ids
 */

/** The entry id as a string (ids arrive as Buffers from the `*Buffer` commands; they are ASCII). */
export function entryIdString(id: string | Buffer): string {
  return typeof id === 'string' ? id : id.toString('latin1');
}

/** The enqueue time of entry `id` in ms since the epoch, or `undefined` when `id` is not `<ms>-<seq>`. */
export function entryIdTimeMs(id: string): number | undefined {
  const dash = id.indexOf('-');
  if (dash < 1 || dash > 15) return undefined;
  const ms = Number(id.slice(0, dash));
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}
