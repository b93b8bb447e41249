/**
 * Producer side of Redis streams: `XADD` with the trace context in extra fields of the entry, inside a
 * PRODUCER span named `send {stream}`.
 */
import { redisStreamFieldsCarrier } from '../propagation/redis-stream-fields-carrier';
import { checkOptionTypes } from '../core/option-checks';
import { endAtReply, sendCommand } from './command-reply';
import type { RedisArgument, RedisCommandClient } from './redis-client';
import { createRedisTelemetry, PRODUCER_TELEMETRY_OPTIONS, requireClient, requireName } from './redis-config';
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

/** Every option of {@link StreamProducerOptions}. */
const STREAM_PRODUCER_OPTIONS = {
  ...PRODUCER_TELEMETRY_OPTIONS,
  stream: 'string',
  maxLen: 'positive integer',
} as const;

/**
 * Creates a producer of entries for `options.stream`, sending through `redis` (any connection; it is not
 * blocked). `stream` is the name the application uses: a client created with ioredis' `keyPrefix` adds
 * its prefix to the key, and spans name the stream without it. Throws `TracebridgeConfigError` on a
 * missing stream name, an unknown or mistyped option, or a client that is not an ioredis client.
 */
export function streamProducer(redis: RedisCommandClient, options: StreamProducerOptions): StreamProducer {
  requireClient(redis, ['call'], 'redis');
  checkOptionTypes('streamProducer', options, STREAM_PRODUCER_OPTIONS);
  const stream = requireName(options.stream, 'stream');
  const { maxLen } = options;
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
      const reply = sendCommand(
        () => redis.call('XADD', ...head, ...fieldArguments(withContext as StreamFieldsInput)),
        send.context,
      );
      endAtReply(send, reply, true);
      return reply as Promise<string>;
    },
  };
}
