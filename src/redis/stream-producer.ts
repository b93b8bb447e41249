/**
 * Producer side of Redis streams: `XADD` with the trace context in extra fields of the entry, inside a
 * PRODUCER span named `send {stream}`.
 */
import { redisStreamFieldsCarrier } from '../propagation/redis-stream-fields-carrier';
import { endAtReply, sendCommand } from './command-reply';
import type { RedisArgument, RedisCommandClient } from './redis-client';
import { createRedisTelemetry, positiveInteger, requireClient, requireName } from './redis-config';
import type { StreamFieldsInput, StreamProducerOptions } from './redis-options';
import { fieldArguments } from './stream-fields';

/** Adds jobs to one stream. */
export interface StreamProducer {
  readonly stream: string;
  /**
   * Adds an entry with `fields` plus the current trace context (`XADD stream [MAXLEN ~ n] * ...`) and
   * resolves with its id: the very promise ioredis returns. `fields` is not modified.
   */
  add(fields: StreamFieldsInput): Promise<string>;
}

/**
 * Creates a producer of entries for `options.stream`, sending through `redis` (any connection; it is not
 * blocked). Throws `TracebridgeConfigError` on a missing stream name, a bad `maxLen`, or a client that is
 * not an ioredis client.
 */
export function streamProducer(redis: RedisCommandClient, options: StreamProducerOptions): StreamProducer {
  requireClient(redis, ['call'], 'redis');
  const stream = requireName(options.stream, 'stream');
  const maxLen = positiveInteger(options.maxLen, 'maxLen');
  const telemetry = createRedisTelemetry(options);
  const head: RedisArgument[] = maxLen === undefined ? [stream, '*'] : [stream, 'MAXLEN', '~', maxLen, '*'];

  return {
    stream,
    add(fields) {
      const send = telemetry.startSend({
        destination: stream,
        operationName: 'send',
        info: { stream, fields },
      });
      const withContext = send.inject(redisStreamFieldsCarrier, fields);
      const reply = sendCommand(() =>
        redis.call('XADD', ...head, ...fieldArguments(withContext as StreamFieldsInput)),
      );
      endAtReply(send, reply, true);
      return reply as Promise<string>;
    },
  };
}
