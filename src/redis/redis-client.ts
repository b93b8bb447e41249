/**
 * The parts of an ioredis client (5.x or 6.x, `Redis` or `Cluster`) that the helpers use, described by
 * shape so that tracebridge needs neither ioredis nor its type definitions at run time, and accepts both
 * major versions (whose classes differ) and any copy the application bundles.
 *
 * Commands go through `call` / `callBuffer`, which both versions have: the helpers never add methods to,
 * or otherwise change, the client they are given. Command names are written in lowercase, as ioredis'
 * own named methods (`redis.xack(...)`) send them, so a command goes out exactly as the unwrapped
 * application's would: ioredis lowercases the name again in each of its per-command flag checks, a new
 * string every time for an uppercase name, and an ioredis instrumentation names its span after the name
 * as sent. Measured on the stream jobs benchmark with no SDK, against the plain loop of named methods:
 * 0.85x by CPU with uppercase names, 0.94-0.98x in four runs with lowercase ones.
 */

/** A command argument, as ioredis accepts it. */
export type RedisArgument = string | Buffer | number;

/** A client the helpers send commands through. */
export interface RedisCommandClient {
  /** Sends `command`; bulk strings in the reply arrive as strings. */
  call(command: string, ...args: RedisArgument[]): Promise<unknown>;
  /** Sends `command`; bulk strings in the reply arrive as Buffers. */
  callBuffer(command: string, ...args: RedisArgument[]): Promise<unknown>;
}

/**
 * A client whose connection the stream helpers watch while entries are in flight: when it ends for good
 * (`'end'`: disconnected, or out of reconnection attempts), entries read through it can no longer be
 * acknowledged through it, so their spans end.
 */
export interface RedisConnection extends RedisCommandClient {
  /** ioredis' connection status; `'end'` once the connection is closed for good. */
  readonly status: string;
  once(event: 'end', listener: () => void): unknown;
  removeListener(event: 'end', listener: () => void): unknown;
}

/** A connection in subscriber mode (after `subscribe` / `psubscribe`): the Buffer forms of its events. */
export interface RedisSubscriber {
  on(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
  on(event: 'pmessageBuffer', listener: (pattern: string, channel: Buffer, message: Buffer) => void): unknown;
  removeListener(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
  removeListener(
    event: 'pmessageBuffer',
    listener: (pattern: string, channel: Buffer, message: Buffer) => void,
  ): unknown;
}
