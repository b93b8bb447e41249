import { safely } from '../core/diagnostics';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import { withMethodOverrides } from '../core/method-overrides';
import { alreadyTraced, isTracedByTracebridge } from '../core/traced-marker';
import { resolveAmqpConfig } from './amqp-config';
import type { AmqpChannelConfig } from './amqp-config';
import type { AmqpTracingOptions } from './amqp-options';
import type { AmqpChannel, AmqpConsumeCallback, AmqpPublishOptions } from './amqp-types';
import type { DeliveryTracker } from './delivery-tracker';
import { traceCancel, traceConsumer, traceGet } from './delivery-tracing';
import { tracePublish } from './publish-tracing';
import type { PublishCall } from './publish-tracing';
import { nackOutcome, rejectOutcome, SETTLED, settleDelivery } from './settle-tracing';

/** The methods a traced channel intercepts; everything else is the channel's own. */
type TracedMethodName =
  'publish' | 'sendToQueue' | 'consume' | 'cancel' | 'get' | 'ack' | 'ackAll' | 'nack' | 'nackAll' | 'reject';

const REQUIRED_METHODS: readonly TracedMethodName[] = [
  'publish',
  'sendToQueue',
  'consume',
  'cancel',
  'get',
  'ack',
  'ackAll',
  'nack',
  'nackAll',
  'reject',
];

/** Each traced channel's deliveries, for {@link pendingSettles}; weak, so a traced channel can be collected. */
const TRACKERS = new WeakMap<object, DeliveryTracker>();

/**
 * A traced drop-in for an amqplib promise-API `Channel` or `ConfirmChannel` (amqplib 0.10.x, 1.x and 2.x):
 * the same type back, tracing what goes through it.
 *
 * - `publish` / `sendToQueue`: a PRODUCER span `publish {exchange}:{routing key}`, its context injected into a
 *   copy of the message's headers (the caller's options and headers are never modified). It ends when the
 *   message is handed to the socket, or on a confirm channel at the broker's ack (an error at a nack). The
 *   return value, and so `'drain'` backpressure, is amqplib's own.
 * - `consume`: a CONSUMER span `process {exchange}:{routing key}:{queue}` per delivery, parented to the
 *   publisher's context, with the callback running inside it. It ends when the delivery is settled through
 *   this traced channel (`ack`, `nack`, `reject`, `ackAll`, `nackAll`), when its consumer is cancelled or
 *   when the channel closes; with `noAck`, when the callback returns or its promise settles. A span that
 *   has nothing to record (an unsampled trace, no live metrics) ends when the callback returns.
 * - `get`: a CLIENT span `receive ...` per message, parented the same way and ended the same way.
 *
 * Everything else (other methods, properties, events such as `'drain'`, `'close'`, `'error'`, `'return'`,
 * `instanceof`) is the channel's own: the result is a `Proxy` (the core's `withMethodOverrides`) that
 * intercepts only the methods above, calls every other method on the channel itself, and never writes to
 * the channel. Settle deliveries through the traced channel: a delivery acknowledged through
 * the original channel object is not seen, and its span ends only when its consumer is cancelled or the
 * channel closes (as `cancelled` or `closed`).
 *
 * A channel that is already traced (returned by this function, or made in zero-code mode) is returned as
 * is, so that each publish and delivery still has one span.
 *
 * @throws TracebridgeConfigError when `channel` is not an amqplib channel or `options` is malformed.
 *
 * @example
 * ```ts
 * const channel = traceChannel(await connection.createConfirmChannel());
 * channel.publish('shop', 'order.created', Buffer.from(json), { persistent: true });
 * await channel.consume('orders', (msg) => { if (msg) { handle(msg); channel.ack(msg); } });
 * ```
 */
export function traceChannel<C extends AmqpChannel>(channel: C, options?: AmqpTracingOptions): C {
  const config = resolveAmqpConfig(options);
  if (isTracedByTracebridge(channel)) return alreadyTraced(channel, 'traceChannel', options);
  checkChannel(channel);
  const target: AmqpChannel = channel;
  // Only a ConfirmChannel has waitForConfirms, in every amqplib major.
  const confirms = typeof (channel as { waitForConfirms?: unknown }).waitForConfirms === 'function';
  const traced = tracedMethods(target, config, confirms);
  // 'close' follows 'error' and a lost connection alike; listening to 'error' would change what an
  // unhandled channel error does.
  target.once('close', () =>
    safely('ending the spans of a closed channel', () => config.tracker.releaseAll(SETTLED.closed), 0),
  );
  const proxy = withMethodOverrides(channel, traced as unknown as Partial<C>);
  TRACKERS.set(proxy, config.tracker);
  return proxy;
}

/**
 * How many deliveries of a traced channel have a span waiting for their settle (0 for anything
 * `traceChannel` did not return). A number that only grows points at deliveries settled through the
 * untraced channel, or never settled. Only spans with something to record wait: a delivery of an unsampled
 * trace, with no live metrics, ends its span when the callback returns and is not counted.
 */
export function pendingSettles(channel: object): number {
  return TRACKERS.get(channel)?.size ?? 0;
}

function tracedMethods(
  target: AmqpChannel,
  config: AmqpChannelConfig,
  confirms: boolean,
): Record<TracedMethodName, (...args: never[]) => unknown> {
  const { telemetry, tracker } = config;
  // Each method first asks whether anything is registered (see `MessagingTelemetry.dormant`): when not, it
  // calls amqplib exactly as the unwrapped channel would be called, with no span, no header copy and no
  // tracked delivery. Asked per call, so an SDK registered later traces from its next message on.
  const methods: Record<TracedMethodName, (...args: never[]) => unknown> = {
    publish: (
      exchange: string,
      routingKey: string,
      content: Buffer,
      options?: AmqpPublishOptions,
      ...rest: unknown[]
    ) =>
      telemetry.dormant
        ? callPublish(target, exchange, routingKey, content, options, rest)
        : tracePublish(config, confirms, exchange, routingKey, content, options, rest, target, callPublish),
    sendToQueue: (queue: string, content: Buffer, options?: AmqpPublishOptions, ...rest: unknown[]) =>
      telemetry.dormant
        ? callSendToQueue(target, '', queue, content, options, rest)
        : tracePublish(config, confirms, '', queue, content, options, rest, target, callSendToQueue),
    consume: (
      queue: string,
      onMessage: AmqpConsumeCallback,
      options?: { noAck?: unknown; consumerTag?: unknown },
      ...rest: unknown[]
    ) => {
      // Anything but a function is amqplib's to refuse, as it would without tracing. The callback is
      // wrapped even while dormant: its consumer may outlive that, and it asks per delivery.
      const callback =
        typeof onMessage === 'function'
          ? traceConsumer(config, queue, onMessage, Boolean(options?.noAck), consumerTagOf(options))
          : onMessage;
      return callWith(target, 'consume', [queue, callback, options, ...rest]);
    },
    cancel: (consumerTag: string, ...rest: unknown[]) =>
      traceCancel(config, consumerTag, callWith(target, 'cancel', [consumerTag, ...rest])),
    get: (queue: string, options?: { noAck?: unknown }, ...rest: unknown[]) => {
      const result = callWith(target, 'get', [queue, options, ...rest]);
      // Dormant: amqplib's own promise, not one derived from it.
      return telemetry.dormant ? result : traceGet(config, queue, Boolean(options?.noAck), result);
    },
    // A settle always reaches the tracker unless it holds nothing: a delivery traced before the SDK went
    // away still ends its span, and one that arrived while dormant is simply not found there.
    ack: (message: unknown, allUpTo?: unknown, ...rest: unknown[]) => {
      const result =
        rest.length === 0
          ? target.ack(message as never, allUpTo as never)
          : callWith(target, 'ack', [message, allUpTo, ...rest]);
      if (tracker.size !== 0) settleDelivery(tracker, message, allUpTo, SETTLED.ack);
      return result;
    },
    ackAll: (...rest: unknown[]) => {
      const result = callWith(target, 'ackAll', rest);
      if (tracker.size !== 0)
        safely('ending settled deliveries’ spans', () => tracker.settleAll(SETTLED.ack), 0);
      return result;
    },
    nack: (message: unknown, allUpTo?: unknown, requeue?: unknown, ...rest: unknown[]) => {
      const result =
        rest.length === 0
          ? target.nack(message as never, allUpTo as never, requeue as never)
          : callWith(target, 'nack', [message, allUpTo, requeue, ...rest]);
      if (tracker.size !== 0) settleDelivery(tracker, message, allUpTo, nackOutcome(requeue));
      return result;
    },
    nackAll: (requeue?: unknown, ...rest: unknown[]) => {
      const result = callWith(target, 'nackAll', [requeue, ...rest]);
      if (tracker.size !== 0)
        safely('ending settled deliveries’ spans', () => tracker.settleAll(nackOutcome(requeue)), 0);
      return result;
    },
    reject: (message: unknown, requeue?: unknown, ...rest: unknown[]) => {
      const result =
        rest.length === 0
          ? target.reject(message as never, requeue as never)
          : callWith(target, 'reject', [message, requeue, ...rest]);
      if (tracker.size !== 0) settleDelivery(tracker, message, false, rejectOutcome(requeue));
      return result;
    },
  };
  return methods;
}

/** amqplib's `publish`, directly when there are no trailing arguments (see {@link callWith}). */
const callPublish: PublishCall = (target, exchange, routingKey, content, outgoing, args) =>
  args.length === 0
    ? target.publish(exchange, routingKey, content, outgoing)
    : callWith(target, 'publish', [exchange, routingKey, content, outgoing, ...args]);

/** amqplib's `sendToQueue` (`routingKey` is the queue), as {@link callPublish}. */
const callSendToQueue: PublishCall = (target, _exchange, queue, content, outgoing, args) =>
  args.length === 0
    ? target.sendToQueue(queue, content, outgoing)
    : callWith(target, 'sendToQueue', [queue, content, outgoing, ...args]);

/**
 * Calls the channel's own method with the channel as `this` (the methods above call it directly, with no
 * array, when there are no extra arguments: the common case, on every message), so amqplib's internal calls (a ConfirmChannel's
 * `sendToQueue` calls `this.publish`) reach amqplib, never the traced wrappers a second time.
 */
function callWith(target: AmqpChannel, method: TracedMethodName, args: unknown[]): unknown {
  return Reflect.apply(Reflect.get(target, method) as (...a: unknown[]) => unknown, target, args);
}

function consumerTagOf(options: { consumerTag?: unknown } | undefined): string | undefined {
  const tag = options?.consumerTag;
  return typeof tag === 'string' && tag !== '' ? tag : undefined;
}

function checkChannel(channel: unknown): asserts channel is AmqpChannel {
  if (typeof channel !== 'object' || channel === null)
    throw invalid(`traceChannel needs an amqplib Channel or ConfirmChannel, got ${String(channel)}`);
  for (const method of [...REQUIRED_METHODS, 'once']) {
    if (typeof (channel as Record<string, unknown>)[method] !== 'function')
      throw invalid(`traceChannel needs an amqplib promise-API channel; this one has no ${method}()`);
  }
}

function invalid(message: string): TracebridgeConfigError {
  return new TracebridgeConfigError(TracebridgeErrorCode.InvalidOption, message);
}
