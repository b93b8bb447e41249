import type { SigningOption } from '../core/context-signing';
import type { MeterProvider, Span, TracerProvider } from '@opentelemetry/api';
import type { SemconvStability } from '../core/semconv-stability';
import type { IncomingOption } from '../core/trust-policy';
import type { KafkaMessageLike, KafkaOutgoingMessage } from './kafka-types';

/** What `producerHook` learns about a send: the destination topic and its messages, as the caller gave them. */
export interface KafkaProducerInfo {
  /** The topic, or `undefined` for a `sendBatch` across several topics. */
  readonly topic: string | undefined;
  readonly messages: readonly KafkaOutgoingMessage[];
}

/** What `consumerHook` learns about a consumed message. */
export interface KafkaConsumerInfo {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessageLike;
}

/** Options both Kafka wrappers accept. Every field is optional; defaults are listed with each. */
export interface KafkaTracingOptions {
  /** Where spans go. Default: the globally registered tracer provider. */
  readonly tracerProvider?: TracerProvider | undefined;
  /** Where the messaging histograms and counters go. Default: the globally registered meter provider. */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * Signed creation context: a producer signs the contexts it injects (with `signWith`); a consumer
   * continues only messages whose signature verifies and links (or ignores) the rest. Default: none,
   * nothing signed or verified. See {@link SigningOption}.
   */
  readonly signing?: SigningOption;
  /**
   * Record each message's key as `messaging.kafka.message.key` on send, create and process spans (text
   * keys of at most 1 KiB; see `recordBinaryKeys` for the others). Default: `true`, as the messaging
   * conventions define that attribute and tools built on them (and the contrib kafkajs instrumentation's
   * users) expect it. Keys are often personal data (an e-mail address, a user id): set `false` to record
   * none. Hooks still receive the messages, keys included; what a hook records is the hook's business.
   */
  readonly recordMessageKeys?: boolean;
  /**
   * `'duplicate'`: spans also carry the older attribute names of the messaging conventions v1.24, which the
   * OpenTelemetry Java agent emits by default (`messaging.operation`, `messaging.kafka.consumer.group`,
   * `messaging.kafka.message.offset`, and the 1.x agent's `messaging.kafka.destination.partition`), next to
   * the current ones (which the contrib kafkajs instrumentation emits). Default: a
   * `tracebridge/instrumentation` class's setting (`OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup`), else
   * `'stable'`. See {@link SemconvStability}.
   */
  readonly semconvStability?: SemconvStability;
  /**
   * `false`: no `tracebridge-origin` header is written on sent messages nor read from consumed ones, and no
   * `tracebridge.messaging.end_to_end.duration` (nor its span attributes) is recorded. Signing is
   * unaffected. Default: a `tracebridge/instrumentation` class's setting
   * (`TRACEBRIDGE_END_TO_END_LATENCY=false`), else `true`.
   */
  readonly endToEndLatency?: boolean;
}

/** Options of {@link traceProducer}. */
export interface KafkaProducerTracingOptions extends KafkaTracingOptions {
  /**
   * For a send carrying more than one message, give each message its own `create {topic}` span and put
   * that span's context in the message's headers; the `send` span links to all of them, as the messaging
   * conventions describe for batches. Each consumed message is then the child of its own create span.
   * When `false`, every message of a send carries the send span's context. Default: `true`.
   */
  readonly createSpansPerMessage?: boolean;
  /** Called on every recording send span; a throw is logged and ignored. Default: none. */
  readonly producerHook?: (span: Span, info: KafkaProducerInfo) => void;
}

/** Options of {@link traceConsumer}. */
export interface KafkaConsumerTracingOptions extends KafkaTracingOptions {
  /**
   * What a message's trace context may do, per topic (rules match the topic name). Default `'parent'`: the
   * process span continues the producer's trace. Use `'link'` for topics written by other organisations.
   */
  readonly incoming?: IncomingOption;
  /**
   * Inbound pipeline origins (the `tracebridge-origin` header) older than this, in ms, are not believed:
   * no end-to-end latency is recorded and the hop counts as a new origin. Default: 7 days.
   */
  readonly originMaxAgeMs?: number;
  /**
   * The consumer group, recorded as `messaging.consumer.group.name`. Default: learned from the consumer's
   * `GROUP_JOIN` event (kafkajs); set it for clients that do not emit that event.
   */
  readonly groupId?: string;
  /**
   * Message keys are recorded as `messaging.kafka.message.key` when they are UTF-8 text of at most 1 KiB.
   * Keys that are not text are omitted, unless this is `true`: then they are recorded base64-encoded.
   * No effect with `recordMessageKeys: false`. Default: `false`.
   */
  readonly recordBinaryKeys?: boolean;
  /** Called on every recording process span; a throw is logged and ignored. Default: none. */
  readonly consumerHook?: (span: Span, info: KafkaConsumerInfo) => void;
}

/** The defaults of {@link KafkaProducerTracingOptions}. */
export const DEFAULT_KAFKA_PRODUCER_OPTIONS = Object.freeze({
  createSpansPerMessage: true,
  recordMessageKeys: true,
} as const satisfies KafkaProducerTracingOptions);

/** The defaults of {@link KafkaConsumerTracingOptions}. */
export const DEFAULT_KAFKA_CONSUMER_OPTIONS = Object.freeze({
  incoming: 'parent',
  recordMessageKeys: true,
  recordBinaryKeys: false,
} as const satisfies KafkaConsumerTracingOptions);
