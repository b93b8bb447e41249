/**
 * Lua scripts the helpers run in Redis, by hash first (`EVALSHA`), loading them with `EVAL` on the first
 * `NOSCRIPT`. The client is not changed: no `defineCommand`. Keys go in the `KEYS` part, which every
 * ioredis version prefixes with the client's `keyPrefix` and routes by slot in a Cluster.
 * @see https://redis.io/docs/latest/develop/interact/programmability/eval-intro/
 */
import { createHash } from 'node:crypto';
import type { RedisArgument, RedisCommandClient } from './redis-client';

/** A script and its SHA-1, computed once. */
export interface RedisScript {
  readonly source: string;
  readonly sha1: string;
}

/** Prepares `source` for {@link runScript}. */
export function redisScript(source: string): RedisScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/** Runs `script` with `keys` and `args` and resolves with its reply; Redis' errors pass through unchanged. */
export async function runScript(
  redis: RedisCommandClient,
  script: RedisScript,
  keys: readonly RedisArgument[],
  args: readonly RedisArgument[],
): Promise<unknown> {
  const tail: RedisArgument[] = [keys.length, ...keys, ...args];
  try {
    return await redis.call('evalsha', script.sha1, ...tail);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    return redis.call('eval', script.source, ...tail);
  }
}
