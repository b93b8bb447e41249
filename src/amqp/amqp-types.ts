/**
 * The shapes of amqplib that tracebridge relies on, written out structurally so that `traceChannel` accepts
 * the channels of amqplib 0.10.x (typed by `@types/amqplib`) and of amqplib 1.x/2.x (which ship their own
 * `index.d.ts`) alike, and so that amqplib is never loaded, or needed for type-checking, at run time.
 *
 * Between 0.10 and 2.x the promise API is the same for everything traced here; the differences that matter
 * are inside amqplib (2.x calls `ConfirmChannel.publish`'s callback registration after the write, and
 * `cancel` resolves with `{ consumerTag }` instead of `{}`), and the wrappers do not depend on them.
 */
import type { AmqpHeaders } from '../propagation/amqp-headers-carrier';

/** The delivery fields of a consumed (`consume`) or pulled (`get`) message. */
export interface AmqpMessageFields {
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  /** Set on consumed messages: the consumer the broker delivered it to. */
  readonly consumerTag?: string | undefined;
  /** Set on pulled messages: how many messages remain in the queue. */
  readonly messageCount?: number | undefined;
}

/** The AMQP basic properties tracebridge reads. amqplib decodes them as `any`; they are checked before use. */
export interface AmqpMessageProperties {
  readonly headers?: AmqpHeaders | undefined;
  readonly timestamp?: unknown;
  readonly messageId?: unknown;
  readonly correlationId?: unknown;
  readonly replyTo?: unknown;
}

/** A message as amqplib hands it to a consumer callback or resolves it from `get`. */
export interface AmqpMessage {
  readonly content: Buffer;
  readonly fields: AmqpMessageFields;
  readonly properties: AmqpMessageProperties;
}

/** The options of `publish` and `sendToQueue` that tracebridge reads or sets; the rest pass through as given. */
export interface AmqpPublishOptions {
  readonly headers?: AmqpHeaders;
  readonly timestamp?: number;
  readonly messageId?: string;
  readonly correlationId?: string;
  readonly replyTo?: string;
}

/** The options of `consume` that tracebridge reads. */
export interface AmqpConsumeOptions {
  readonly noAck?: boolean;
  readonly consumerTag?: string | undefined;
}

/** The options of `get` that tracebridge reads. */
export interface AmqpGetOptions {
  readonly noAck?: boolean;
}

/** A consumer callback: a message, or `null` when the broker cancelled the consumer. */
export type AmqpConsumeCallback = (message: AmqpMessage | null) => void;

/**
 * An amqplib promise-API `Channel` or `ConfirmChannel` (0.10.x, 1.x, 2.x): the methods tracebridge traces,
 * and the `'close'` event it listens to. Any object with these methods is accepted.
 */
export interface AmqpChannel {
  publish(exchange: string, routingKey: string, content: Buffer, options?: AmqpPublishOptions): boolean;
  sendToQueue(queue: string, content: Buffer, options?: AmqpPublishOptions): boolean;
  consume(queue: string, onMessage: AmqpConsumeCallback, options?: AmqpConsumeOptions): Promise<unknown>;
  cancel(consumerTag: string): Promise<unknown>;
  get(queue: string, options?: AmqpGetOptions): Promise<AmqpMessage | false>;
  ack(message: AmqpMessage, allUpTo?: boolean): void;
  ackAll(): void;
  nack(message: AmqpMessage, allUpTo?: boolean, requeue?: boolean): void;
  nackAll(requeue?: boolean): void;
  reject(message: AmqpMessage, requeue?: boolean): void;
  once(event: 'close', listener: () => void): unknown;
}
