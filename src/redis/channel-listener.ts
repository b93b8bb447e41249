/**
 * Consumer side of pub/sub: listens to a subscriber connection's `messageBuffer` and `pmessageBuffer`
 * events (the Buffer forms, so binary envelopes survive) and runs a handler for each message inside its
 * process span.
 */
import { callHook, logger } from '../core/diagnostics';
import { startEnvelopeProcess } from './envelope-jobs';
import type { RedisSubscriber } from './redis-client';
import {
  CONSUMER_TELEMETRY_OPTIONS,
  createRedisTelemetry,
  requireClient,
  requireFunction,
} from './redis-config';
import type { ChannelListenerOptions, ChannelMessage, RedisJobErrorHandler } from './redis-options';
import { isPromiseLike } from '../core/promise-like';
import { checkOptionTypes } from '../core/option-checks';

/** Listening handlers on a subscriber connection. */
export interface ChannelListener {
  /** Removes the listeners. Messages already being handled finish. Safe to call more than once. */
  close(): void;
}

/** Every option of {@link ChannelListenerOptions}. */
const CHANNEL_LISTENER_OPTIONS = { ...CONSUMER_TELEMETRY_OPTIONS, onError: 'function' } as const;

/**
 * Runs `handler` for every message the `subscriber` connection receives (subscribe to channels or
 * patterns with ioredis as usual, before or after), inside a process span named `process {channel}`
 * parented to the publisher's context. A message that is not an envelope is handed over byte for byte,
 * in a new trace. A handler's error (thrown or rejected) is recorded on its span and given to `onError`.
 * Channels are not keys: ioredis' `keyPrefix` does not apply to them, and spans name them as received.
 * Throws `TracebridgeConfigError` on a missing handler or an unknown or mistyped option.
 */
export function channelListener(
  subscriber: RedisSubscriber,
  handler: (message: ChannelMessage) => unknown,
  options: ChannelListenerOptions = {},
): ChannelListener {
  requireClient(subscriber, ['on', 'removeListener'], 'subscriber');
  requireFunction(handler, 'handler');
  checkOptionTypes('channelListener', options, CHANNEL_LISTENER_OPTIONS);
  const onError = options.onError ?? reportThroughDiag;
  const telemetry = createRedisTelemetry<never, ChannelMessage>(options);

  const receive = (pattern: string | undefined, channelName: Buffer | string, value: Buffer | string) => {
    const channel = typeof channelName === 'string' ? channelName : channelName.toString();
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const { span, job } = startEnvelopeProcess(telemetry, channel, bytes, (payload, enveloped) => ({
      channel,
      pattern,
      payload,
      enveloped,
    }));
    let result: unknown;
    try {
      result = span === undefined ? handler(job) : span.runAndEnd(() => handler(job));
    } catch (error) {
      callHook('onError', onError, error, job);
      return;
    }
    if (isPromiseLike(result))
      result.then(undefined, (error: unknown) => callHook('onError', onError, error, job));
  };
  const onMessage = (channel: Buffer, message: Buffer) => receive(undefined, channel, message);
  // ioredis hands the pattern over as a string even in the Buffer event.
  const onPatternMessage = (pattern: string | Buffer, channel: Buffer, message: Buffer) =>
    receive(typeof pattern === 'string' ? pattern : pattern.toString(), channel, message);

  subscriber.on('messageBuffer', onMessage);
  subscriber.on('pmessageBuffer', onPatternMessage);
  let open = true;
  return {
    close() {
      if (!open) return;
      open = false;
      subscriber.removeListener('messageBuffer', onMessage);
      subscriber.removeListener('pmessageBuffer', onPatternMessage);
    },
  };
}

const reportThroughDiag: RedisJobErrorHandler<ChannelMessage> = (error, message) => {
  logger.error(`channel listener: the handler failed for a message on ${message?.channel ?? '?'}`, error);
};
