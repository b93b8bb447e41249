import type { MeterProvider, Span, TracerProvider } from '@opentelemetry/api';
import { DEFAULT_MAX_PENDING_SETTLES } from '../core/settle-registry';
import type { SigningOption } from '../core/context-signing';
import type { SemconvStability } from '../core/semconv-stability';
import type { IncomingOption } from '../core/trust-policy';
import type { AmqpMessage, AmqpPublishOptions } from './amqp-types';

/** Handed to `publishHook`: the publish as the caller made it (read-only: the hook must not modify it). */
export interface AmqpPublishInfo {
  /** The exchange; `''` for the default exchange (`sendToQueue`). */
  readonly exchange: string;
  /** The routing key; the queue name for `sendToQueue`. */
  readonly routingKey: string;
  readonly content: Buffer;
  /** The caller's options object, as given (tracebridge sends a copy when it adds headers or a timestamp). */
  readonly options: AmqpPublishOptions | undefined;
}

/** Handed to `consumeHook`: one delivery (`consume`) or pulled message (`get`). */
export interface AmqpConsumeInfo {
  /** The queue given to `consume` or `get`. */
  readonly queue: string;
  readonly message: AmqpMessage;
  /** `'process'` for a consumer's delivery, `'receive'` for a message pulled with `get`. */
  readonly operation: 'process' | 'receive';
}

/** Options of `traceChannel`. Every field is optional; defaults are listed with each. */
export interface AmqpTracingOptions {
  /** Where spans go. Default: the globally registered tracer provider. */
  readonly tracerProvider?: TracerProvider | undefined;
  /** Where the messaging metrics go. Default: the globally registered meter provider. */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * What a message's trace context may do, per queue. Default `'parent'`: the process span continues the
   * publisher's trace. Rules match names the operator controls: `queue` (the queue consumed from; a string
   * `destination` means the queue too) and `exchange` (the exchange the message was published to), each a
   * string or a RegExp; with both, both must match. The routing key, which the publisher chooses, is never
   * matched. Use `'link'` for queues fed by parties you do not control.
   *
   * @example `{ default: 'parent', rules: [{ queue: /^public\./, policy: 'link' }, { exchange: 'partners', policy: 'continue' }] }`
   */
  readonly incoming?: IncomingOption;
  /**
   * Signed creation context: publishes are signed (with `signWith`); deliveries are continued only when
   * their signature verifies, and linked (or ignored) otherwise. A requeued or dead-lettered message keeps
   * its signature, which verifies within `maxAgeMs` of its creation. Default: none, nothing signed or
   * verified. See {@link SigningOption}.
   */
  readonly signing?: SigningOption;
  /**
   * Inbound pipeline origins (the `tracebridge-origin` header) older than this, in ms, are not believed:
   * no end-to-end latency is recorded and the hop counts as a new origin. Default: 7 days.
   */
  readonly originMaxAgeMs?: number;
  /**
   * `'duplicate'`: spans also carry the older attribute names the contrib amqplib instrumentation emits by
   * default (`messaging.destination`, `messaging.destination_kind`, `messaging.rabbitmq.routing_key`,
   * `messaging.message_id`, `messaging.conversation_id`) and v1.24's `messaging.operation`, which the
   * OpenTelemetry Java agent emits, next to the current ones. Default: a
   * `tracebridge/instrumentation` class's setting (`OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup`), else
   * `'stable'`. See {@link SemconvStability}.
   */
  readonly semconvStability?: SemconvStability;
  /**
   * `false`: no `tracebridge-origin` header is written on published messages nor read from deliveries, and
   * no `tracebridge.messaging.end_to_end.duration` (nor its span attributes) is recorded. Signing is
   * unaffected. Default: a `tracebridge/instrumentation` class's setting
   * (`TRACEBRIDGE_END_TO_END_LATENCY=false`), else `true`.
   */
  readonly endToEndLatency?: boolean;
  /** Called for every recording publish span; a throw is logged and ignored. Default: none. */
  readonly publishHook?: (span: Span, info: AmqpPublishInfo) => void;
  /** Called for every recording process or receive span; a throw is logged and ignored. Default: none. */
  readonly consumeHook?: (span: Span, info: AmqpConsumeInfo) => void;
  /**
   * Set the AMQP `timestamp` property (whole seconds, as AMQP defines it) on published messages that have
   * none, so consumers can measure time in queue. A timestamp the publisher set is never changed.
   * Default: `true`.
   */
  readonly setTimestamp?: boolean;
  /**
   * The most unsettled deliveries held per consumer (and for `get`); past it the oldest span ends as
   * `evicted`, so a consumer that never acknowledges cannot grow memory without bound. Default: 10,000.
   */
  readonly maxPendingSettles?: number;
}

/** The defaults of {@link AmqpTracingOptions}; user options are spread over them, never the other way. */
export const DEFAULT_AMQP_TRACING_OPTIONS = Object.freeze({
  incoming: 'parent',
  setTimestamp: true,
  maxPendingSettles: DEFAULT_MAX_PENDING_SETTLES,
} as const satisfies AmqpTracingOptions);
