/**
 * Producer side of pub/sub: `PUBLISH` of the payload wrapped in the tracebridge envelope, inside a
 * PRODUCER span named `publish {channel}`.
 */
import { endAtReply, sendCommand } from './command-reply';
import { checkOptionTypes } from '../core/option-checks';
import { wrapInEnvelope } from './envelope-jobs';
import type { RedisCommandClient } from './redis-client';
import { createRedisTelemetry, PRODUCER_TELEMETRY_OPTIONS, requireClient } from './redis-config';
import type { ChannelPublisherOptions } from './redis-options';

/** Publishes messages. */
export interface ChannelPublisher {
  /**
   * Publishes `payload` to `channel` in an envelope with the current trace context, and resolves with the
   * number of subscribers that received it: the very promise ioredis returns.
   */
  publish(channel: string, payload: string | Uint8Array): Promise<number>;
}

/**
 * Creates a publisher sending through `redis` (a connection not in subscriber mode). Subscribers must
 * listen with `channelListener`, which reads the Buffer events so envelopes arrive intact. Channels are
 * not keys: ioredis' `keyPrefix` does not apply to them (ioredis prefixes neither `PUBLISH` nor
 * `SUBSCRIBE`), and spans name the channel as given. Throws `TracebridgeConfigError` on a client that is
 * not an ioredis client or an unknown or mistyped option.
 */
export function channelPublisher(
  redis: RedisCommandClient,
  options: ChannelPublisherOptions = {},
): ChannelPublisher {
  requireClient(redis, ['call'], 'redis');
  checkOptionTypes('channelPublisher', options, PRODUCER_TELEMETRY_OPTIONS);
  const telemetry = createRedisTelemetry(options);
  return {
    publish(channel, payload) {
      // Nothing registered: the envelope of no headers goes out, as the unwrapped client would send it.
      if (telemetry.dormant)
        return sendCommand(() =>
          redis.call('publish', channel, wrapInEnvelope(undefined, payload)),
        ) as Promise<number>;
      const send = telemetry.startSend({
        destination: channel,
        operationName: 'publish',
        info: { destination: channel, payload },
      });
      const reply = sendCommand(
        () => redis.call('publish', channel, wrapInEnvelope(send, payload)),
        send.context,
      );
      endAtReply(send, reply, false);
      return reply as Promise<number>;
    },
  };
}
