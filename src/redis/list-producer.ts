/**
 * Producer side of list queues: `LPUSH` / `RPUSH` of the payload wrapped in the tracebridge envelope,
 * inside a PRODUCER span named `send {list}`.
 */
import { endAtReply, sendCommand } from './command-reply';
import { wrapInEnvelope } from './envelope-jobs';
import type { RedisCommandClient } from './redis-client';
import { createRedisTelemetry, PRODUCER_TELEMETRY_OPTIONS, requireClient, requireName } from './redis-config';
import { DEFAULT_LIST_PRODUCER_OPTIONS } from './redis-options';
import type { ListProducerOptions } from './redis-options';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import { checkOptionTypes } from '../core/option-checks';

/** Pushes jobs onto one list. */
export interface ListProducer {
  readonly list: string;
  /**
   * Pushes `payload` in an envelope with the current trace context, and resolves with the list's new
   * length: the very promise ioredis returns.
   */
  push(payload: string | Uint8Array): Promise<number>;
}

/** Every option of {@link ListProducerOptions}. */
const LIST_PRODUCER_OPTIONS = { ...PRODUCER_TELEMETRY_OPTIONS, list: 'string', end: 'string' } as const;

/**
 * Creates a producer for `options.list` (the name the application uses: a client with ioredis' `keyPrefix`
 * adds its prefix to the key; spans name the list without it). Consumers must read with the Buffer commands (`brpopBuffer`,
 * `blmoveBuffer`, ...): an envelope is binary. Throws `TracebridgeConfigError` on a missing list name, an
 * unknown `end`, an unknown or mistyped option, or a client that is not an ioredis client.
 */
export function listProducer(redis: RedisCommandClient, options: ListProducerOptions): ListProducer {
  requireClient(redis, ['call'], 'redis');
  checkOptionTypes('listProducer', options, LIST_PRODUCER_OPTIONS);
  const list = requireName(options.list, 'list');
  const end = options.end ?? DEFAULT_LIST_PRODUCER_OPTIONS.end;
  if (end !== 'left' && end !== 'right') {
    throw new TracebridgeConfigError(
      TracebridgeErrorCode.InvalidOption,
      `end must be 'left' or 'right', got ${JSON.stringify(end)}`,
    );
  }
  const command = end === 'left' ? 'lpush' : 'rpush';
  const telemetry = createRedisTelemetry(options);

  return {
    list,
    push(payload) {
      // Nothing registered: the envelope of no headers goes out, as the unwrapped client would send it.
      if (telemetry.dormant)
        return sendCommand(() =>
          redis.call(command, list, wrapInEnvelope(undefined, payload)),
        ) as Promise<number>;
      const send = telemetry.startSend({
        destination: list,
        operationName: 'send',
        info: { destination: list, payload },
      });
      const reply = sendCommand(() => redis.call(command, list, wrapInEnvelope(send, payload)), send.context);
      endAtReply(send, reply, false);
      return reply as Promise<number>;
    },
  };
}
