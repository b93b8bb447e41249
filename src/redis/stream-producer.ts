/**
 * Producer side of Redis streams: `XADD` with the trace context in extra fields of the entry, inside a
 * PRODUCER span named `send {stream}`.
 */
import { redisStreamFieldsCarrier } from '../propagation/redis-stream-fields-carrier';
import { checkOptionTypes } from '../core/option-checks';
import { context } from '@opentelemetry/api';
import { endAtReply } from './command-reply';
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

  return {
    stream,
    add(fields) {
      // Nothing registered: the entry goes out as the unwrapped client would send it.
      if (telemetry.dormant) return sendXadd(redis, stream, maxLen, fieldArguments(fields));
      const send = telemetry.startSend({
        destination: stream,
        operationName: 'send',
        info: { stream, fields },
      });
      const withContext = fieldArguments(send.inject(redisStreamFieldsCarrier, fields) as StreamFieldsInput);
      // Sent with the send span's context active (for an ioredis instrumentation's command span), without a
      // closure of its own: `context.with` takes the function's arguments beside it.
      const reply = context.with(send.context, sendXadd, undefined, redis, stream, maxLen, withContext);
      endAtReply(send, reply, true);
      return reply;
    },
  };
}

/**
 * `XADD stream [MAXLEN ~ maxLen] * fields...`, as a promise whatever the client does (a client that
 * throws rejects it). The fields are spread once, after arguments written out: spreading a head list too
 * would build one more argument list for every entry.
 */
function sendXadd(
  redis: RedisCommandClient,
  stream: string,
  maxLen: number | undefined,
  fields: readonly RedisArgument[],
): Promise<string> {
  try {
    return (
      maxLen === undefined
        ? redis.call('xadd', stream, '*', ...fields)
        : redis.call('xadd', stream, 'MAXLEN', '~', maxLen, '*', ...fields)
    ) as Promise<string>;
  } catch (error) {
    // The client's own error, passed on unchanged, whatever it is.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
}
