import type { Span } from '@opentelemetry/api';
import type { DestinationTraits } from '../core/destination-traits';
import { stepFailed } from '../core/diagnostics';
import type { MessagingSpan } from '../core/messaging-span';
import {
  ATTR_MESSAGING_MESSAGE_CONVERSATION_ID,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY,
} from '../core/semantic-attributes';
import { amqpHeadersCarrier } from '../propagation/amqp-headers-carrier';
import type { AmqpHeaders } from '../propagation/amqp-headers-carrier';
import type { AmqpChannelConfig } from './amqp-config';
import type { AmqpPublishInfo } from './amqp-options';
import { describeLegacyDestination, publishDestination, publishDestinationTraits } from './amqp-destination';
import type { AmqpChannel, AmqpPublishOptions } from './amqp-types';
import { timestampNowSeconds } from './message-timestamp';

/**
 * The one amqplib publish call a traced publish makes on `target`, with the options and trailing arguments
 * to use: one function per method, given what it publishes, rather than a closure over each message.
 */
export type PublishCall = (
  target: AmqpChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: AmqpPublishOptions | undefined,
  rest: unknown[],
) => unknown;

/**
 * Publishes one message inside a PRODUCER span: the span's context goes into a copy of the message's
 * headers, and `call` sends it. Without confirms the span ends when amqplib has handed the frames to the
 * socket (`publish` returned); on a confirm channel it ends at the broker's ack, or with an error at its
 * nack or when the channel closes first, and the caller's callback is still called exactly as before.
 * amqplib's return value (`false` asks the caller to wait for `'drain'`) is returned as it is, and a throw is
 * recorded and re-thrown unchanged.
 */
export function tracePublish(
  config: AmqpChannelConfig,
  confirms: boolean,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: AmqpPublishOptions | undefined,
  rest: unknown[],
  target: AmqpChannel,
  call: PublishCall,
): unknown {
  const names = config.publishNames;
  names.update(exchange, routingKey);
  const send = config.telemetry.startSend({
    destination: names.destination,
    destinationTraits: names.traits,
    operationName: 'publish',
    describe: config.telemetry.semconvStability === 'duplicate' ? describePublishAlsoLegacy : describePublish,
    info: { exchange, routingKey, content, options },
  });
  // The caller's options may be a Proxy or have throwing getters: they then go out as given, untraced.
  // Inline rather than through `safely`: this runs for every publish, and a closure each adds up.
  let outgoing = options;
  try {
    outgoing = outgoingOptions(send, options, config.setTimestamp);
  } catch (error) {
    stepFailed('adding trace context to the publish options', error);
  }
  const endsAtConfirm = confirms && (rest[0] === undefined || typeof rest[0] === 'function');
  const args = endsAtConfirm ? [confirmCallback(send, rest[0]), ...rest.slice(1)] : rest;
  let accepted: unknown;
  try {
    accepted = call(target, exchange, routingKey, content, outgoing, args);
  } catch (error) {
    send.recordError(error);
    send.end();
    throw error;
  }
  if (!endsAtConfirm) send.end();
  return accepted;
}

/**
 * The options to publish with: the caller's own object when there is nothing to add, otherwise a copy with
 * the injected headers and the timestamp, so the caller's object (and headers) is never modified and a
 * message published twice never carries a stale context.
 */
function outgoingOptions(
  send: MessagingSpan,
  options: AmqpPublishOptions | undefined,
  setTimestamp: boolean,
): AmqpPublishOptions | undefined {
  // Anything but an object (or nothing) is amqplib's to make sense of, exactly as without tracing.
  if (options !== undefined && options !== null && typeof options !== 'object') return options;
  const headers: unknown = options?.headers;
  // amqplib builds its header table with `Object.create(headers || null)`; anything else is left for
  // amqplib to refuse exactly as it would without tracing.
  const injectable = headers === undefined || headers === null || typeof headers === 'object';
  const injected = injectable
    ? send.inject(amqpHeadersCarrier, (headers ?? undefined) as AmqpHeaders | undefined)
    : headers;
  // amqplib treats a null timestamp as absent, like an undefined one.
  const stamp = setTimestamp && (options?.timestamp === undefined || options.timestamp === null);
  if (injected === headers && !stamp) return options;
  // No spread of absent options: a literal is one allocation of a known shape.
  const copy: { -readonly [K in keyof AmqpPublishOptions]: AmqpPublishOptions[K] } =
    options === undefined || options === null ? {} : { ...options };
  if (injected !== headers) copy.headers = injected as AmqpHeaders;
  if (stamp) copy.timestamp = timestampNowSeconds();
  return copy;
}

/** Ends the publish span at the broker's answer, then calls the caller's callback with what amqplib gave. */
function confirmCallback(send: MessagingSpan, callerCallback: unknown): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    const error = args[0];
    if (error !== null && error !== undefined) send.recordError(error);
    send.end();
    if (typeof callerCallback === 'function')
      return (callerCallback as (...a: unknown[]) => unknown)(...args);
    return undefined;
  };
}

/**
 * The names of one channel's publishes: per exchange and routing key, the destination and its traits. A
 * channel nearly always publishes to the pair it published to last, so that pair's names are kept rather
 * than joined (`{exchange}:{routing key}`, a new string) and classified again for every message.
 */
export class PublishNames {
  /** `messaging.destination.name` of the last pair given to {@link update}. */
  destination = '';
  /** The destination's traits (a reply queue), for the last pair given to {@link update}. */
  traits: DestinationTraits | undefined;
  #known = false;
  #exchange: unknown;
  #routingKey: unknown;

  /** Makes `destination` and `traits` those of a publish to `exchange` with `routingKey`. */
  update(exchange: unknown, routingKey: unknown): void {
    if (this.#known && exchange === this.#exchange && routingKey === this.#routingKey) return;
    this.#known = true;
    this.#exchange = exchange;
    this.#routingKey = routingKey;
    this.destination = publishDestination(nameOf(exchange), nameOf(routingKey));
    this.traits = publishDestinationTraits(nameOf(exchange), nameOf(routingKey));
  }
}

/** A name as given, or `''` for a value of another type (amqplib refuses those itself, after this). */
export function nameOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** {@link describePublish}, plus the older names of the destination (`semconvStability: 'duplicate'`). */
function describePublishAlsoLegacy(span: Span, info: AmqpPublishInfo): void {
  describePublish(span, info);
  describeLegacyDestination(span, nameOf(info.exchange));
}

/** One function for every publish (what it describes comes as the span's info), not a closure over each. */
function describePublish(span: Span, { routingKey, options }: AmqpPublishInfo): void {
  if (typeof routingKey === 'string' && routingKey !== '')
    span.setAttribute(ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY, routingKey);
  const messageId: unknown = options?.messageId;
  if (typeof messageId === 'string' && messageId !== '')
    span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, messageId);
  const correlationId: unknown = options?.correlationId;
  if (typeof correlationId === 'string' && correlationId !== '')
    span.setAttribute(ATTR_MESSAGING_MESSAGE_CONVERSATION_ID, correlationId);
}
