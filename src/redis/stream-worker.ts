/**
 * A ready-made worker loop over one stream: blocking `XREADGROUP`, each job in its process span, `XACK` on
 * success, and, only when asked, periodic `XAUTOCLAIM` of entries other consumers left pending.
 *
 * The connection it is given must be its own: `XREADGROUP ... BLOCK` holds a connection while it waits, so
 * commands the application sends on it would wait too. Make one with `redis.duplicate()`. The worker
 * acknowledges through the same connection (between reads), and never closes it.
 */
import { callHook, logger } from '../core/diagnostics';
import { checkOptionTypes } from '../core/option-checks';
import { sendCommand } from './command-reply';
import type { RedisArgument, RedisConnection } from './redis-client';
import { requireFunction, requireName } from './redis-config';
import { DEFAULT_STREAM_WORKER_OPTIONS } from './redis-options';
import type { RedisJobErrorHandler, StreamJob, StreamJobHandler, StreamWorkerOptions } from './redis-options';
import { redisScript, runScript } from './redis-script';
import { STREAM_CONSUMER_OPTIONS, StreamJobRunner } from './stream-consumer';
import { autoClaimCursor, claimReplyEntries, readReplyEntries } from './stream-reply';

/** A running (or stopped) worker. */
export interface StreamWorker {
  /**
   * Creates the group if asked (the default) and starts the loop; resolves once the group exists and the
   * first read is under way. Rejects, and does not start, when the group cannot be created.
   */
  start(): Promise<void>;
  /**
   * Stops reading: the current read returns within `blockMs`, the jobs it brought are finished and
   * acknowledged, and then the promise resolves. No span is left open. Safe to call more than once.
   */
  stop(): Promise<void>;
  /** Whether the loop is running. */
  readonly running: boolean;
}

/** Every option of {@link StreamWorkerOptions}. */
const STREAM_WORKER_OPTIONS = {
  ...STREAM_CONSUMER_OPTIONS,
  stream: 'string',
  handler: 'function',
  count: 'positive integer',
  blockMs: 'positive integer',
  buffers: 'boolean',
  claimMinIdleMs: 'non-negative integer',
  claimIntervalMs: 'non-negative integer',
  claimCount: 'positive integer',
  createGroup: 'boolean',
  groupStartId: 'string',
  retryDelayMs: 'non-negative integer',
  onError: 'function',
} as const;

/**
 * Creates the group (and the stream) unless it exists. A script, so that the stream's key goes through
 * the client's `keyPrefix` on every ioredis version: ioredis 5 does not prefix the key of `XGROUP CREATE`
 * (its command table lists no key for `XGROUP`), ioredis 6 does, and both prefix a script's `KEYS`.
 * KEYS: the stream. ARGV: the group, its start id. Returns 1 when created, 0 when it existed.
 */
const CREATE_GROUP_SCRIPT = redisScript(`
local created = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM')
if type(created) == 'table' and created.err then
  if string.sub(created.err, 1, 9) == 'BUSYGROUP' then return 0 end
  return redis.error_reply(created.err)
end
return 1
`);

/** Claim settings, when claiming is on. */
interface ClaimSettings {
  readonly minIdleMs: number;
  readonly intervalMs: number;
  readonly count: number;
}

/**
 * Creates a worker for `options.stream` reading as `options.consumer` of `options.group`, through `redis`
 * (a connection of its own: see above). With a client created with ioredis' `keyPrefix`, `stream` is the
 * name the application uses: every command (the group's creation included) goes to the prefixed key, and
 * spans and jobs name the stream without the prefix. Throws `TracebridgeConfigError` on a missing name or
 * handler, or an unknown or mistyped option.
 */
export function streamWorker<V extends string | Buffer = string>(
  redis: RedisConnection,
  options: StreamWorkerOptions<V>,
): StreamWorker {
  checkOptionTypes('streamWorker', options, STREAM_WORKER_OPTIONS);
  return new StreamWorkerLoop<V>(redis, options);
}

class StreamWorkerLoop<V extends string | Buffer> implements StreamWorker {
  readonly #redis: RedisConnection;
  readonly #runner: StreamJobRunner;
  readonly #stream: string;
  readonly #handler: StreamJobHandler<V>;
  readonly #onError: RedisJobErrorHandler<StreamJob<V>>;
  readonly #readArgs: RedisArgument[];
  readonly #buffers: boolean;
  readonly #blockMs: number;
  readonly #retryDelayMs: number;
  readonly #claim: ClaimSettings | undefined;
  readonly #createGroup: boolean;
  readonly #groupStartId: string;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #claimCursor = '0-0';
  #nextClaimAtMs = 0;
  #wakeUp: (() => void) | undefined;

  constructor(redis: RedisConnection, options: StreamWorkerOptions<V>) {
    this.#runner = new StreamJobRunner(redis, options);
    this.#redis = redis;
    this.#stream = requireName(options.stream, 'stream');
    this.#handler = requireFunction(options.handler, 'handler');
    this.#onError = options.onError ?? reportThroughDiag;
    const d = DEFAULT_STREAM_WORKER_OPTIONS;
    const count = options.count ?? d.count;
    this.#blockMs = options.blockMs ?? d.blockMs;
    this.#retryDelayMs = options.retryDelayMs ?? d.retryDelayMs;
    this.#buffers = options.buffers ?? d.buffers;
    this.#createGroup = options.createGroup ?? d.createGroup;
    this.#groupStartId = requireName(options.groupStartId ?? d.groupStartId, 'groupStartId');
    const minIdleMs = options.claimMinIdleMs;
    this.#claim =
      minIdleMs === undefined
        ? undefined
        : {
            minIdleMs,
            intervalMs: options.claimIntervalMs ?? minIdleMs,
            count: options.claimCount ?? count,
          };
    const { group, consumer } = this.#runner;
    this.#readArgs = ['GROUP', group, consumer, 'COUNT', count, 'BLOCK', this.#blockMs];
    this.#readArgs.push('STREAMS', this.#stream, '>');
  }

  get running(): boolean {
    return this.#loop !== undefined;
  }

  async start(): Promise<void> {
    if (this.#loop !== undefined) return;
    this.#stopping = false;
    if (this.#createGroup) await this.#ensureGroup();
    const loop = this.#run().finally(() => {
      if (this.#loop === loop) this.#loop = undefined;
    });
    this.#loop = loop;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wakeUp?.();
    await this.#loop;
  }

  async #ensureGroup(): Promise<void> {
    await runScript(
      this.#redis,
      CREATE_GROUP_SCRIPT,
      [this.#stream],
      [this.#runner.group, this.#groupStartId],
    );
  }

  async #run(): Promise<void> {
    while (!this.#stopping && this.#redis.status !== 'end') {
      if (this.#claim !== undefined && Date.now() >= this.#nextClaimAtMs) {
        await this.#claimPending(this.#claim);
        continue;
      }
      let reply: unknown;
      try {
        reply = await this.#read();
      } catch (error) {
        this.#reportReadError(error);
        await this.#pause(this.#retryDelayMs);
        continue;
      }
      await this.#runner
        .run(readReplyEntries(reply, this.#runner.keyPrefix), this.#handler, 'first', this.#onError)
        .catch(() => undefined); // each job's error has gone to onError already
    }
  }

  #read(): Promise<unknown> {
    const send = () =>
      this.#buffers
        ? this.#redis.callBuffer('xreadgroup', ...this.#readArgs)
        : this.#redis.call('xreadgroup', ...this.#readArgs);
    return sendCommand(send);
  }

  /** One `XAUTOCLAIM` step, resuming the scan where the previous one stopped. */
  async #claimPending(claim: ClaimSettings): Promise<void> {
    const { group, consumer } = this.#runner;
    const args: RedisArgument[] = [this.#stream, group, consumer, claim.minIdleMs, this.#claimCursor];
    args.push('COUNT', claim.count);
    let reply: unknown;
    try {
      reply = await sendCommand(() =>
        this.#buffers
          ? this.#redis.callBuffer('xautoclaim', ...args)
          : this.#redis.call('xautoclaim', ...args),
      );
    } catch (error) {
      this.#reportReadError(error);
      this.#nextClaimAtMs = Date.now() + Math.max(claim.intervalMs, this.#retryDelayMs);
      return;
    }
    this.#claimCursor = autoClaimCursor(reply);
    // Keep scanning while the pending list has more; wait for the next interval once it is done.
    if (this.#claimCursor === '0-0') this.#nextClaimAtMs = Date.now() + claim.intervalMs;
    await this.#runner
      .run(claimReplyEntries(this.#stream, reply), this.#handler, 'look-up', this.#onError)
      .catch(() => undefined); // each job's error has gone to onError already
  }

  /** Waits `ms`, or less when `stop()` is called. */
  #pause(ms: number): Promise<void> {
    if (this.#stopping || ms === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#wakeUp?.(), ms);
      this.#wakeUp = () => {
        clearTimeout(timer);
        this.#wakeUp = undefined;
        resolve();
      };
    });
  }

  #reportReadError(error: unknown): void {
    callHook('onError', this.#onError, error, undefined);
  }
}

function reportThroughDiag(error: unknown, job: StreamJob<string | Buffer> | undefined): void {
  const what = job === undefined ? 'reading the stream' : `job ${job.stream} ${job.id}`;
  logger.error(`stream worker: ${what} failed`, error);
}
