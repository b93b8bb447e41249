/**
 * Real Redis connections for the Redis adapter's tests, through both installed clients: ioredis 5 (RESP2)
 * and ioredis 6 (RESP3 by default), the latter also with `replyMapping: 'resp3'`, where map replies
 * (`XREADGROUP`'s streams) arrive as objects instead of arrays. Redis is shared with other engineers'
 * tests: every key is unique to its test and deleted afterwards. A Redis that cannot be reached fails the
 * test (connect rejects); nothing skips.
 */
import { randomUUID } from 'node:crypto';
import { describe } from 'node:test';
import { Redis as Redis5 } from 'ioredis';
import type { Redis } from 'ioredis';
import Redis6 from 'ioredis6';

export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = 6379;

/** The client flavours every Redis integration test runs against. */
export type RedisClientKind = 'ioredis5-resp2' | 'ioredis6-resp3' | 'ioredis6-resp3-maps';
export const REDIS_CLIENT_KINDS: readonly RedisClientKind[] = [
  'ioredis5-resp2',
  'ioredis6-resp3',
  'ioredis6-resp3-maps',
];

/**
 * Declares one `describe` per client flavour, titled `${title} (${kind})`, so every Redis suite runs the
 * same tests through ioredis 5 / RESP2, ioredis 6 / RESP3 and ioredis 6 with RESP3 maps as objects.
 */
export function describeEachClient(title: string, suite: (kind: RedisClientKind) => void): void {
  for (const kind of REDIS_CLIENT_KINDS) describe(`${title} (${kind})`, () => suite(kind));
}

/** What a test may set on the connection beyond its flavour. */
export interface ConnectOptions {
  /** ioredis' `keyPrefix`: the client prepends it to every key it sends (not to pub/sub channels). */
  readonly keyPrefix?: string;
}

/**
 * A connected client. Typed as ioredis 5's `Redis` for the tests' convenience; ioredis 6 has the same
 * methods, but under `'resp3-maps'` map replies are objects, which tests read through `call` only.
 */
export type TestRedis = Redis;

/** Opens a connection of `kind` and waits until it is ready; rejects when Redis is unreachable. */
export async function connectRedis(kind: RedisClientKind, options: ConnectOptions = {}): Promise<TestRedis> {
  const common = {
    host: REDIS_HOST,
    port: REDIS_PORT,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    ...options,
  };
  let client: TestRedis;
  switch (kind) {
    case 'ioredis5-resp2':
      client = new Redis5(common);
      break;
    case 'ioredis6-resp3':
      client = new Redis6(common) as unknown as TestRedis;
      break;
    case 'ioredis6-resp3-maps':
      client = new Redis6({ ...common, replyMapping: 'resp3' }) as unknown as TestRedis;
      break;
  }
  // A client left without an 'error' listener prints every reconnection error; tests see them as rejections.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `Redis is not reachable on ${REDIS_HOST}:${REDIS_PORT} (${String(error)}); ` +
        'start it with `node scripts/brokers.mjs start`',
    );
  }
  return client;
}

/** Whether `client` speaks RESP3 (ioredis 6 negotiated `HELLO 3`). */
export async function protocolOf(client: TestRedis): Promise<number> {
  const hello = await client.call('HELLO');
  const entries = Array.isArray(hello) ? hello : Object.entries(hello as Record<string, unknown>).flat();
  const index = entries.indexOf('proto');
  return Number(entries[index + 1]);
}

/** A key no other test uses: `redis-test-<what>-<time>-<random>`. */
export function uniqueKey(what: string): string {
  return `redis-test-${what}-${Date.now()}-${randomUUID().slice(0, 8)}`;
}

/** Resolves when `predicate` holds, polling every 5 ms; fails after `timeoutMs` naming `what`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Deletes `keys` and closes `clients` (ignoring clients already closed). */
export async function cleanUp(
  admin: TestRedis,
  keys: readonly string[],
  clients: readonly TestRedis[],
): Promise<void> {
  if (keys.length > 0) await admin.del(...keys);
  for (const client of clients) client.disconnect();
}
