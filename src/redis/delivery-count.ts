/**
 * The attempt number of entries that were delivered before: claimed (`XAUTOCLAIM`, `XCLAIM`) or re-read
 * from the pending list (`XREADGROUP` with an id). Those replies do not say how often an entry was
 * delivered, but Redis counts it: every such delivery increments the entry's delivery count, which
 * `XPENDING` reports. So the count read right after the delivery is this delivery's attempt number.
 *
 * Why a lookup and not counting claims ourselves: the count lives in Redis, across every consumer and
 * process that ever read the entry; a local count would restart at every worker restart. The lookup costs
 * one round trip per entry, only on the redelivery path (never for entries read with `>`, which are first
 * deliveries by definition), and the commands are sent together, so they share the wait.
 * @see https://redis.io/docs/latest/commands/xpending/
 */
import { logger } from '../core/diagnostics';
import { sendCommand } from './command-reply';
import type { RedisCommandClient } from './redis-client';
import type { ReplyEntry } from './stream-reply';

/** Delivery counts by `entryKey(entry)`; entries not pending for `consumer` any more are absent. */
export async function lookUpDeliveryCounts(
  redis: RedisCommandClient,
  group: string,
  consumer: string,
  entries: readonly ReplyEntry[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await Promise.all(
    entries.map((entry) =>
      sendCommand(() => redis.call('xpending', entry.key, group, entry.id, entry.id, 1, consumer)).then(
        (reply) => {
          const count = deliveryCountOf(reply, entry.id);
          if (count !== undefined) counts.set(entryKey(entry), count);
        },
        (error: unknown) => {
          logger.warn(`XPENDING for ${entry.stream} ${entry.id} failed; its attempt is not recorded`, error);
        },
      ),
    ),
  );
  return counts;
}

/** The delivery count in an extended `XPENDING` reply, `[[id, consumer, idle ms, count], ...]`, for `id`. */
export function deliveryCountOf(reply: unknown, id: string): number | undefined {
  if (!Array.isArray(reply)) return undefined;
  for (const row of reply as unknown[]) {
    if (!Array.isArray(row) || row.length < 4) continue;
    const rowId: unknown = row[0];
    const text = typeof rowId === 'string' ? rowId : Buffer.isBuffer(rowId) ? rowId.toString('latin1') : '';
    if (text !== id) continue;
    const count = Number(row[3]);
    return Number.isSafeInteger(count) && count > 0 ? count : undefined;
  }
  return undefined;
}

/** Identifies an entry within one consumer: its stream and id. */
export function entryKey(entry: Pick<ReplyEntry, 'stream' | 'id'>): string {
  return `${entry.stream}\n${entry.id}`;
}
