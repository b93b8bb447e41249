/**
 * ioredis' `keyPrefix` option: a client created with it prepends the prefix to every key argument of
 * every command it sends (it knows which arguments are keys from the command table), but Redis' replies
 * name keys in full, prefix included. So a key read from a reply (a stream of `XREADGROUP`, a list of
 * `BRPOP`) must lose the prefix before it goes back into a command, or the client prefixes it twice; and
 * spans name a key as the application does, without the prefix, so that producer and consumer agree and
 * the same application deployed under several prefixes has the same span names.
 *
 * Pub/sub channels are not keys: ioredis prefixes neither `PUBLISH` nor `SUBSCRIBE`, and the channel
 * names are used as they are.
 * @see https://github.com/redis/ioredis#transparent-key-prefixing
 */

/** The client's `keyPrefix` (on a `Redis` or a `Cluster`, which copies it from `redisOptions`), if any. */
export function keyPrefixOf(client: unknown): string | undefined {
  try {
    const options = (client as { readonly options?: { readonly keyPrefix?: unknown } }).options;
    const prefix = options?.keyPrefix;
    if (typeof prefix === 'string' && prefix.length > 0) return prefix;
    if (Buffer.isBuffer(prefix) && prefix.length > 0) return prefix.toString('utf8');
  } catch {
    // A client whose options cannot be read has no prefix we could honour.
  }
  return undefined;
}

/**
 * `key` as a reply names it, without `prefix`: the name to send back through the prefixing client and to
 * show in spans. A key that does not start with the prefix is returned as it is. Buffer keys stay Buffers,
 * compared byte for byte with the prefix's UTF-8 bytes, which is how ioredis writes a string prefix.
 */
export function withoutKeyPrefix<K extends string | Buffer>(key: K, prefix: string | undefined): K {
  if (prefix === undefined) return key;
  if (typeof key === 'string') return (key.startsWith(prefix) ? key.slice(prefix.length) : key) as K;
  const buffer: Buffer = key;
  const bytes = Buffer.from(prefix, 'utf8');
  const prefixed = buffer.length >= bytes.length && buffer.subarray(0, bytes.length).equals(bytes);
  return (prefixed ? buffer.subarray(bytes.length) : buffer) as K;
}
