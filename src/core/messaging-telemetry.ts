import {
  context,
  INVALID_SPAN_CONTEXT,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  MeterProvider,
  Span,
  SpanOptions,
  Link,
  TextMapPropagator,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import type { ContextCarrier } from '../propagation/context-carrier';
import { INSTRUMENTATION_NAME, VERSION } from '../version';
import { nothingRegistered } from './api-registrations';
import { callHook, callSpanHook, safely } from './diagnostics';
import { startSpanSafely } from './start-span';
import { withSpan } from './context-layer';
import { createContextSigning } from './context-signing';
import type { ContextSigning, SigningOption } from './context-signing';
import { ambientLinks, recordIncomingAttributes, resolveIncomingContext } from './incoming-context';
import { traitsAttributes, traitsKey } from './destination-traits';
import type { DestinationTraits } from './destination-traits';
import { MessagingBatch } from './messaging-batch';
import type { BatchMessage } from './messaging-batch';
import { MessagingMetrics } from './messaging-metrics';
import { checkOriginMaxAgeMs, EndToEndLatency, resolveEndToEndLatency } from './end-to-end-latency';
import { startTimeMs, withIngressOrigin, withOrigin } from './origin-time';
import { ownFieldsReader, ownFieldsWriter, readMessageContext } from './own-fields';
import type { InboundOwnFields, OwnFieldsReader } from './own-fields';
import { injectContext, MessagingSpan } from './messaging-span';
import type { SpanEndListener } from './messaging-span';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS,
} from './semantic-attributes';
import { incomingOrDefault, instrumentationDefaults } from './instrumentation-defaults';
import { LegacyNames, resolveSemconvStability } from './semconv-stability';
import type { SemconvStability } from './semconv-stability';
import { createIncomingPolicyResolver } from './trust-policy';
import type {
  IncomingOption,
  IncomingPolicy,
  IncomingPolicyResolver,
  IncomingRuleShape,
  IncomingSubject,
  ResolvedIncomingPolicy,
} from './trust-policy';

/**
 * The messaging operation types of the semantic conventions that tracebridge emits spans for.
 * @see https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/#operation-types
 */
export type MessagingOperationType = 'create' | 'send' | 'receive' | 'process';

/**
 * Options every messaging adapter accepts and hands to its {@link MessagingTelemetry}.
 *
 * @typeParam SendInfo - what the adapter tells `sendHook` about an outgoing message.
 * @typeParam ProcessInfo - what the adapter tells `processHook` about an incoming message.
 */
export interface MessagingTelemetryOptions<SendInfo = unknown, ProcessInfo = unknown> {
  /** Where spans go. Default: the globally registered tracer provider (a no-op until an SDK registers). */
  readonly tracerProvider?: TracerProvider | undefined;
  /** Where metrics go. Default: the globally registered meter provider. */
  readonly meterProvider?: MeterProvider | undefined;
  /** What inbound context may do, per destination. Default: `'parent'`. See {@link IncomingOption}. */
  readonly incoming?: IncomingOption | undefined;
  /**
   * Sign the contexts this adapter injects and continue only inbound contexts whose signature verifies.
   * Default: none (nothing signed or verified). See {@link SigningOption}.
   */
  readonly signing?: SigningOption | undefined;
  /**
   * Inbound pipeline origins older than this (in ms) are not believed: the end-to-end latency is not
   * recorded and the hop counts as a new origin. Default: 7 days.
   */
  readonly originMaxAgeMs?: number | undefined;
  /**
   * `'duplicate'`: spans also carry the older attribute names the contrib instrumentations and the Java
   * agent emit by default (`messaging.operation`, `messaging.kafka.consumer.group`, ...). Default: what a
   * `tracebridge/instrumentation` class set (`OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup`), else
   * `'stable'`. See {@link SemconvStability}.
   */
  readonly semconvStability?: SemconvStability | undefined;
  /**
   * `false`: no `tracebridge-origin` header is written on sends nor read from messages, and no end-to-end
   * latency is recorded (no histogram, no span attributes), so messages carry one header less and nothing
   * is done per message for it. A downstream hop that has it on counts the message as a new origin.
   * Signing is unaffected. Default: what a `tracebridge/instrumentation` class set
   * (`TRACEBRIDGE_END_TO_END_LATENCY=false`), else `true`.
   *
   * When on, the origin costs a message only where something wants it: a send writes it, and a consumed
   * message's work keeps it for the sends made in it, only when that hop's trace is sampled (its span
   * records or carries the sampled flag) or this telemetry has a live meter (a registered MeterProvider,
   * standing for the end-to-end histogram downstream); otherwise the header is neither written nor parsed.
   * The limit this brings: an unsampled hop that does not meter does not forward the origin, so a hop after
   * it counts its message as a new origin (under parent-based sampling that hop, in the same unsampled
   * trace, records none either).
   */
  readonly endToEndLatency?: boolean | undefined;
  /** Called on every recording send span; a throw is logged and ignored. Default: none. */
  readonly sendHook?: ((span: Span, info: SendInfo) => void) | undefined;
  /** Called on every recording process span; a throw is logged and ignored. Default: none. */
  readonly processHook?: ((span: Span, info: ProcessInfo) => void) | undefined;
}

/** What an adapter passes to create its telemetry. */
export interface MessagingTelemetryConfig<SendInfo, ProcessInfo> extends MessagingTelemetryOptions<
  SendInfo,
  ProcessInfo
> {
  /** The `messaging.system` value, e.g. `'kafka'`, `'rabbitmq'`, `'redis'`. */
  readonly system: string;
  /** What `incoming` rules may name: `'amqp'` for queue and exchange rules. Default `'named'`. */
  readonly incomingRuleShape?: IncomingRuleShape;
  /**
   * The names the user gave `sendHook` and `processHook` as, in the adapter's options (`'producerHook'`),
   * so that a log about a throwing hook names the option the user wrote. Default: `sendHook`, `processHook`.
   */
  readonly hookNames?: { readonly send?: string; readonly process?: string };
}

/** Describes one outgoing send (or per-message create) operation. */
export interface SendParams<SendInfo> {
  /**
   * `messaging.destination.name`: the topic, exchange-and-key, stream or list. `undefined` when one send
   * carries messages to several destinations: the span is then named after the operation alone, as the
   * conventions specify.
   */
  readonly destination: string | undefined;
  /**
   * For a destination whose name varies (a reply queue): the span is named after the template (or the
   * operation alone), the metrics carry the traits instead of the name, and the name is recorded on the
   * span only. Default: `destination` is a stable name.
   */
  readonly destinationTraits?: DestinationTraits | undefined;
  /**
   * `messaging.operation.name`, the system-specific verb (`'send'`, `'publish'`, `'create'`). Within one
   * telemetry, an operation name always has the same operation type.
   */
  readonly operationName: string;
  /** Default `'send'`. Use `'create'` for the per-message spans of a batch send. */
  readonly operationType?: 'send' | 'create';
  /** Default: PRODUCER, as the conventions specify for create and send. */
  readonly kind?: SpanKind;
  /** Messages in this operation; recorded as `messaging.batch.message_count` when not 1. Default 1. */
  readonly messageCount?: number;
  /** The parent. Default: the active context. */
  readonly parent?: Context;
  /**
   * Links given at span start: a batch send links the creation context of each of its messages, as the
   * conventions specify. Default: none.
   */
  readonly links?: Link[] | undefined;
  /**
   * Adds transport-specific attributes; called only when the span is recording, with `info`, so that it
   * can be one function made once rather than a closure over each message.
   */
  readonly describe?: ((span: Span, info: SendInfo) => void) | undefined;
  /** Handed to `sendHook`. */
  readonly info: SendInfo;
}

/** Describes a span around several messaging operations that is not one itself (a Kafka transaction). */
export interface OperationGroupParams {
  /** The span name, e.g. `'transaction'`. */
  readonly name: string;
  /** The parent. Default: the active context. */
  readonly parent?: Context;
  /** Adds attributes; called only when the span is recording. */
  readonly describe?: (span: Span) => void;
}

/** Describes one incoming message about to be processed (or received by a pull). */
export interface ProcessParams<C, ProcessInfo> {
  /** `messaging.destination.name` as the conventions define it for the transport's consumers. */
  readonly destination: string;
  /** As for {@link SendParams.destinationTraits}. */
  readonly destinationTraits?: DestinationTraits | undefined;
  /** `messaging.operation.name`. Default: the operation type. */
  readonly operationName?: string;
  /** Default `'process'`. `'receive'` is for pull-based reads (AMQP `get`). */
  readonly operationType?: 'process' | 'receive';
  /** Default: CONSUMER for process, CLIENT for receive, as the conventions specify. */
  readonly kind?: SpanKind;
  /** The carrier the message's headers are read with, and the headers. */
  readonly carrier: ContextCarrier<C>;
  readonly headers: C;
  /**
   * The headers as {@link MessagingTelemetry.readMessage} already read them, for an adapter that needed
   * the message's context before its span could start: they are then not read again. Default: read here.
   */
  readonly read?: MessageRead | undefined;
  /** When the broker (or producer) stamped the message, in ms since the epoch; enables time-in-queue. */
  readonly enqueueTimeMs?: number | undefined;
  /**
   * Leave the time-in-queue histogram to the adapter, which records it once with
   * {@link MessagingTelemetry.recordTimeInQueue} when it may know better than `enqueueTimeMs` when the
   * message became ready (a BullMQ job's delay, read by its processor wrapper). The span attribute is
   * still set from `enqueueTimeMs`. Default `false`: recorded at span start.
   */
  readonly deferTimeInQueue?: boolean;
  /** The context active where the message arrived. Default: the active context. Linked, never a parent. */
  readonly ambient?: Context | undefined;
  /**
   * The operator's names `incoming` rules match: an AMQP queue and exchange. Default: `destination` (or,
   * for a destination with traits, its template).
   */
  readonly incomingSubject?: IncomingSubject;
  /**
   * A policy for this one message, applied only when it trusts less than the destination's (`'link'` for
   * a scheduled job's run, which starts its own trace). Default: the destination's policy.
   */
  readonly policy?: IncomingPolicy | undefined;
  /**
   * `messaging.consumer.group.name`, added to the end-to-end latency metric's attributes (groups are named
   * by the operator). Default: none.
   */
  readonly consumerGroup?: string | undefined;
  /** As for {@link SendParams.describe}: called only when the span is recording, with `info`. */
  readonly describe?: ((span: Span, info: ProcessInfo) => void) | undefined;
  /** Handed to `processHook`. */
  readonly info: ProcessInfo;
}

/**
 * A message's headers read ahead of its span (see {@link MessagingTelemetry.readMessage}): the context
 * they carry and tracebridge's own fields among them, neither trusted yet.
 */
export interface MessageRead {
  readonly context: Context;
  /** @internal What the own fields held (the origin, a signature), unparsed. */
  readonly own: InboundOwnFields | undefined;
}

/** Describes a batch of incoming messages handed to the application at once. */
export interface BatchParams<C, ProcessInfo> {
  readonly destination: string;
  /** `messaging.operation.name`. Default `'process'`. */
  readonly operationName?: string;
  readonly messages: readonly BatchMessage<C, ProcessInfo>[];
  readonly ambient?: Context;
  /** As for {@link ProcessParams.incomingSubject}. */
  readonly incomingSubject?: IncomingSubject;
  /** Adds batch-level attributes; called only when the batch span is recording. */
  readonly describe?: (span: Span) => void;
}

/** Per (operation, destination): computed once, reused for every message. */
interface OperationProfile {
  readonly spanName: string;
  /** The destination's name goes on each span, not in `attributes` (a destination with traits). */
  readonly namePerSpan: boolean;
  readonly operationType: MessagingOperationType;
  /** Sampling-relevant attributes, given at span start; also the metrics' attributes. Frozen. */
  readonly attributes: Attributes;
  /**
   * What spans start with: `attributes`, plus the older names in `'duplicate'` mode (metrics keep the
   * current names only). The same object as `attributes` in `'stable'` mode.
   */
  readonly spanAttributes: Attributes;
  /** The policy for the destination's own name; an explicit `incomingSubject` is resolved instead. */
  readonly policy: ResolvedIncomingPolicy;
  /**
   * Records a one-message span's duration on the operation's metric when it ends; shared by every span of
   * the profile (no closure per message), and `undefined` when there is nothing to record (a create span,
   * or no live meter), which also spares the span reading the clock.
   */
  readonly onEnd: SpanEndListener | undefined;
  /** The span options of a span of the operation's default kind without links. Frozen. */
  readonly startOptions: SpanOptions;
}

/** Bounds the per-destination caches; temporary reply queues could otherwise grow them forever. */
const MAX_CACHED_DESTINATIONS = 1024;

const DEFAULT_KIND: Readonly<Record<MessagingOperationType, SpanKind>> = {
  create: SpanKind.PRODUCER,
  send: SpanKind.PRODUCER,
  receive: SpanKind.CLIENT,
  process: SpanKind.CONSUMER,
};

/**
 * The transport-neutral messaging core. Each adapter (Kafka, RabbitMQ, Redis) creates one and maps its
 * library's shapes onto it; span names, kinds, attributes, parent-versus-link, the trust policy,
 * time-in-queue and metrics all live here, once.
 *
 * Linking rules (see DESIGN.md, "Linking semantics"): a process span's parent is the context extracted
 * from the message when the destination's policy is `'parent'`; it links to the message's context under
 * `'link'`; and it always links to the context that was active where the message arrived, if any. It is
 * never parented to that ambient context, which is usually the consumer's startup span.
 *
 * Cheap when off: names and sampling attributes are computed once per destination, and message-specific
 * attributes and hooks run only for recording spans.
 */
export class MessagingTelemetry<SendInfo = unknown, ProcessInfo = unknown> {
  /** The `messaging.system` of every span and metric this telemetry records. */
  readonly system: string;
  /** Whether spans also carry the older attribute names; decided once, at construction. */
  readonly semconvStability: SemconvStability;
  readonly #tracer: Tracer;
  readonly #metrics: MessagingMetrics;
  readonly #policyFor: IncomingPolicyResolver;
  readonly #signing: ContextSigning | undefined;
  /** `undefined` with `endToEndLatency: false`: no origin is written, read or recorded. */
  readonly #endToEnd: EndToEndLatency | undefined;
  /** tracebridge's own fields, written on inject (signature, origin) and read on extract; none: neither. */
  readonly #writer: TextMapPropagator | undefined;
  readonly #reader: OwnFieldsReader | undefined;
  readonly #options: MessagingTelemetryOptions<SendInfo, ProcessInfo>;
  readonly #sendHookName: string;
  readonly #processHookName: string;
  readonly #profiles = new Map<string, Map<string | undefined, OperationProfile>>();
  /**
   * The profile of the last message sent, and of the last one consumed: an adapter nearly always sends
   * to (or consumes from) the destination of its last message, which then costs no lookup (and, for a
   * destination with traits, no key made up). One of each, as a channel both publishes and consumes.
   */
  readonly #lastOut = new LastProfile();
  readonly #lastIn = new LastProfile();
  /** Only in `'duplicate'` mode: `'stable'` spans pay nothing for the older names. */
  readonly #legacy: LegacyNames | undefined;
  /** No provider of its own and no live meter: dormant whenever nothing is registered globally. */
  readonly #mayBeDormant: boolean;

  /**
   * Validates the options; throws `TracebridgeConfigError` on a malformed `incoming`, `signing`,
   * `semconvStability`, `endToEndLatency` or `originMaxAgeMs` option.
   * An option not given falls back to what a `tracebridge/instrumentation` class set for this `system`,
   * then to the globally registered provider (or the `'parent'` policy).
   */
  constructor(config: MessagingTelemetryConfig<SendInfo, ProcessInfo>) {
    this.system = config.system;
    this.#options = config;
    this.#sendHookName = config.hookNames?.send ?? 'sendHook';
    this.#processHookName = config.hookNames?.process ?? 'processHook';
    const defaults = instrumentationDefaults(config.system);
    this.semconvStability = resolveSemconvStability(
      `${config.system} tracing`,
      config.semconvStability,
      config.system,
    );
    this.#legacy = this.semconvStability === 'duplicate' ? new LegacyNames(config.system) : undefined;
    this.#policyFor = createIncomingPolicyResolver(
      incomingOrDefault(config.incoming, config.system),
      config.incomingRuleShape,
    );
    this.#tracer = (config.tracerProvider ?? defaults.tracerProvider ?? trace.getTracerProvider()).getTracer(
      INSTRUMENTATION_NAME,
      VERSION,
    );
    const meter = (config.meterProvider ?? defaults.meterProvider ?? metrics.getMeterProvider()).getMeter(
      INSTRUMENTATION_NAME,
      VERSION,
    );
    this.#metrics = new MessagingMetrics(meter);
    this.#signing = createContextSigning(config.signing, meter);
    const endToEnd = resolveEndToEndLatency(
      `${config.system} tracing`,
      config.endToEndLatency,
      config.system,
    );
    // Checked when off too: a malformed option is refused either way.
    const originMaxAgeMs = checkOriginMaxAgeMs(config.originMaxAgeMs);
    // The origin rule (issue 16): a hop writes it and keeps it for its work only when its span records or
    // it has a live meter, which stands for the end-to-end histogram of the hops downstream.
    this.#endToEnd = endToEnd ? new EndToEndLatency(meter, 'messaging', originMaxAgeMs) : undefined;
    this.#writer = ownFieldsWriter(this.#signing?.signer, endToEnd, this.#metrics.live);
    this.#reader = ownFieldsReader(this.#signing !== undefined, endToEnd);
    this.#mayBeDormant =
      config.tracerProvider === undefined &&
      defaults.tracerProvider === undefined &&
      config.meterProvider === undefined &&
      defaults.meterProvider === undefined &&
      !this.#metrics.live;
  }

  /**
   * `true` when tracebridge has nothing to do for a message right now: this telemetry was given no tracer
   * or meter provider (by option or by a `tracebridge/instrumentation` class), and no tracer provider, no
   * propagator and no meter provider is registered globally. A span would then be the API's no-op span,
   * inject and extract would do nothing and no metric could be recorded, so an adapter hands the message
   * on as the unwrapped client would: no span, no header read or written, no bookkeeping. Asked per
   * message (three property reads), so an SDK registered later is in force from the next message on.
   */
  get dormant(): boolean {
    return this.#mayBeDormant && nothingRegistered();
  }

  /** Whether end-to-end latency is on (`endToEndLatency`): only then does work carry a pipeline origin. */
  get endToEndLatency(): boolean {
    return this.#endToEnd !== undefined;
  }

  /** The trust policy in force for messages from `subject` (a destination name, or an AMQP queue and exchange). */
  incomingPolicy(subject: string | IncomingSubject): IncomingPolicy {
    return this.#policyFor(typeof subject === 'string' ? { name: subject } : subject).policy;
  }

  /**
   * Injects `ctx` into a copy of `headers`, signed when signing is configured: for adapters that inject a
   * context other than a send span's own (the per-message contexts of a batch send). Defined headers come
   * back defined, as from {@link MessagingSpan.inject}.
   */
  inject<C>(carrier: ContextCarrier<C | undefined>, ctx: Context, headers: C): C;
  inject<C>(carrier: ContextCarrier<C>, ctx: Context, headers: C): C;
  inject<C>(carrier: ContextCarrier<C>, ctx: Context, headers: C): C {
    return injectContext(carrier, ctx, headers, this.#writer);
  }

  /**
   * Starts a PRODUCER span for an outgoing message or batch. Inject `result.context` into the message's
   * carrier, then `end()` the span when the send completes (or `recordError` and `end` when it fails).
   */
  startSend(params: SendParams<SendInfo>): MessagingSpan {
    const type = params.operationType ?? 'send';
    const profile = this.#profile(params.operationName, type, params.destination, params.destinationTraits);
    const parent = params.parent ?? context.active();
    const span = this.#startSpan(profile, params.kind ?? DEFAULT_KIND[type], params.links, parent);
    const count = params.messageCount ?? 1;
    if (span.isRecording()) {
      if (profile.namePerSpan && params.destination !== undefined)
        span.setAttribute(ATTR_MESSAGING_DESTINATION_NAME, params.destination);
      if (count !== 1) span.setAttribute(ATTR_MESSAGING_BATCH_MESSAGE_COUNT, count);
      callSpanHook('describe', params.describe, this.#described(span), params.info);
      callSpanHook(this.#sendHookName, this.#options.sendHook, span, params.info);
    }
    return new MessagingSpan(
      span,
      contextWithSpan(
        this.#endToEnd === undefined ? parent : withIngressOrigin(parent, span, this.#metrics.live),
        span,
      ),
      this.#sendEndListener(profile, count),
      this.#writer,
    );
  }

  /**
   * Starts an INTERNAL span grouping several operations, such as a Kafka transaction: the sends made in
   * its context become its children. It records `messaging.system` and no metrics.
   */
  startOperationGroup(params: OperationGroupParams): MessagingSpan {
    const parent = params.parent ?? context.active();
    const span = startSpanSafely(
      this.#tracer,
      params.name,
      { kind: SpanKind.INTERNAL, attributes: { [ATTR_MESSAGING_SYSTEM]: this.system } },
      parent,
    );
    if (span.isRecording()) callHook('describe', params.describe, this.#described(span));
    return new MessagingSpan(span, withSpan(parent, span));
  }

  /**
   * Records how far a consumer is behind the end of a partition (or queue) when it receives messages, in
   * messages, on the `tracebridge.messaging.consumer_lag` histogram.
   */
  recordConsumerLag(destination: string, lag: number, attributes?: Attributes): void {
    if (!Number.isFinite(lag) || lag < 0) return;
    const profile = this.#profile('process', 'process', destination);
    this.#metrics.recordConsumerLag(
      attributes === undefined ? profile.attributes : Object.assign({}, profile.attributes, attributes),
      lag,
    );
  }

  /**
   * Starts the CONSUMER span for one incoming message: parent and links per the trust policy, time in
   * queue from `enqueueTimeMs`. Run the application's handler with `result.run(...)`; end the span when
   * the handler returns, or when the delivery is settled (see `SettleRegistry`).
   */
  startProcess<C>(params: ProcessParams<C, ProcessInfo>): MessagingSpan {
    const type = params.operationType ?? 'process';
    const profile = this.#profile(
      params.operationName ?? type,
      type,
      params.destination,
      params.destinationTraits,
    );
    this.#metrics.recordConsumed(profile.attributes, 1);
    const read = params.read;
    const extracted = read?.context ?? readMessageContext(this.#reader, params.carrier, params.headers);
    const own = read === undefined ? this.#reader?.take() : read.own;
    const policy = lowerTrust(this.#policyOf(profile, params.incomingSubject), params.policy);
    // The params themselves describe the message: no object of its own per message.
    return this.#startConsumerSpan(
      profile,
      policy,
      params.kind,
      extracted,
      own,
      params.ambient ?? context.active(),
      params,
      undefined,
      params,
    );
  }

  /**
   * Reads a message's headers through `carrier` (the context and tracebridge's own fields), for an adapter
   * that needs the context before it can start the span: hand the result to {@link startProcess} as
   * `read`. Never throws.
   */
  readMessage<C>(carrier: ContextCarrier<C>, headers: C): MessageRead {
    const context = readMessageContext(this.#reader, carrier, headers);
    return { context, own: this.#reader?.take() };
  }

  /**
   * Processes one message: {@link startProcess}, run `handler` inside the span, end the span when the
   * handler returns or its promise settles. The handler's result (or error) is passed on unchanged.
   */
  process<C, T>(params: ProcessParams<C, ProcessInfo>, handler: () => T): T {
    return this.startProcess(params).runAndEnd(handler);
  }

  /**
   * Starts one span for a batch of messages, linking every message's context (unless the destination's
   * policy is `'ignore'`). The returned batch runs per-message work in per-message process spans.
   */
  startBatch<C>(params: BatchParams<C, ProcessInfo>): MessagingBatch<C, ProcessInfo> {
    const profile = this.#profile(params.operationName ?? 'process', 'process', params.destination);
    const policy = this.#policyOf(profile, params.incomingSubject);
    const ambient = params.ambient ?? context.active();
    const receivedAtMs = Date.now();
    const timesInQueueMs = params.messages.map((m) =>
      this.#recordArrival(profile, m.enqueueTimeMs, receivedAtMs),
    );
    this.#metrics.recordConsumed(profile.attributes, params.messages.length);

    const links = ambientLinks(ambient, undefined);
    // A batch starts its own trace: its messages may come from many traces, each of them linked.
    const span = this.#startSpan(profile, SpanKind.CONSUMER, links, ROOT_CONTEXT);
    const batch = new MessagingBatch<C, ProcessInfo>(
      (extracted, own, messageAmbient, message) =>
        this.#startConsumerSpan(
          profile,
          policy,
          undefined,
          extracted,
          own,
          messageAmbient,
          message,
          message.timeInQueueMs,
        ),
      new MessagingSpan(span, withSpan(withoutBaggage(ambient), span), profile.onEnd),
      params.messages,
      timesInQueueMs,
      this.#reader,
    );
    if (span.isRecording()) {
      span.setAttribute(ATTR_MESSAGING_BATCH_MESSAGE_COUNT, params.messages.length);
      if (policy.policy !== 'ignore') {
        safely('linking a batch span', () => span.addLinks(batch.messageLinks()), span);
      }
      callHook('describe', params.describe, this.#described(span));
    }
    return batch;
  }

  /**
   * Records the time-in-queue histogram of one message of `destination`, processed with
   * `deferTimeInQueue`: from `readyAtMs` (when it became ready to be processed) to `receivedAtMs`.
   * Returns the time in ms (never negative), or `undefined` without a usable `readyAtMs`.
   */
  recordTimeInQueue(
    destination: string,
    readyAtMs: number | undefined,
    receivedAtMs: number,
    operationName = 'process',
  ): number | undefined {
    return this.#recordArrival(this.#profile(operationName, 'process', destination), readyAtMs, receivedAtMs);
  }

  /**
   * Measures a message's time in queue, for the metric and the span attribute. Returns it in ms (never
   * negative), or `undefined` without a usable timestamp.
   */
  #recordArrival(
    profile: OperationProfile,
    enqueueTimeMs: number | undefined,
    receivedAtMs: number,
  ): number | undefined {
    const timeInQueueMs = timeInQueue(enqueueTimeMs, receivedAtMs);
    if (timeInQueueMs !== undefined)
      this.#metrics.recordTimeInQueue(profile.attributes, timeInQueueMs / 1000);
    return timeInQueueMs;
  }

  /**
   * Starts a consumer-side span from an already extracted message context: the one place the trust policy
   * turns into a parent, links and the handler's baggage.
   */
  #startConsumerSpan(
    profile: OperationProfile,
    resolved: ResolvedIncomingPolicy,
    kind: SpanKind | undefined,
    extracted: Context,
    own: InboundOwnFields | undefined,
    ambient: Context,
    message: {
      readonly destination?: string | undefined;
      readonly consumerGroup?: string | undefined;
      readonly describe?: ((span: Span, info: ProcessInfo) => void) | undefined;
      readonly info: ProcessInfo;
    },
    measured: number | undefined,
    arrival?: Arrival,
  ): MessagingSpan {
    const verifier = this.#signing?.verifier;
    const incoming = resolveIncomingContext(
      resolved,
      extracted,
      ambient,
      verifier === undefined
        ? undefined
        : { verifier, attributes: profile.attributes, signature: own?.signature },
    );
    const { parent, links, workBase } = incoming;
    const endToEnd = this.#endToEnd;
    const span = this.#startSpan(profile, kind ?? DEFAULT_KIND[profile.operationType], links, parent);
    // Asked once: the SDK's answer is the same for each step below, and every question is a call.
    const recording = span.isRecording();
    // One clock per message, read only when something wants it (a span that does not record, with no live
    // meter and no origin to carry, wants none): the span's own start when it has one, so a recording span
    // costs no clock read of ours. The message's time in queue ends there, and a new origin starts there
    // (never later than the span's start). A batch's messages measured their time in queue on arrival.
    const wantsOrigin = endToEnd?.wants(span, recording) === true;
    let timeInQueueMs = measured;
    let arrivedAtMs = 0;
    if (arrival === undefined) {
      if (wantsOrigin) arrivedAtMs = startedAtMs(span, recording);
    } else {
      const recorded = arrival.deferTimeInQueue !== true && this.#metrics.live;
      const queued = arrival.enqueueTimeMs !== undefined && (recording || recorded);
      if (queued || wantsOrigin) arrivedAtMs = startedAtMs(span, recording);
      if (queued)
        timeInQueueMs = recorded
          ? this.#recordArrival(profile, arrival.enqueueTimeMs, arrivedAtMs)
          : timeInQueue(arrival.enqueueTimeMs, arrivedAtMs);
    }
    const origin = !wantsOrigin
      ? undefined
      : endToEnd?.arrive(
          own,
          incoming.continued,
          span,
          recording,
          arrivedAtMs,
          profile.attributes,
          message.consumerGroup,
        );
    if (recording) {
      if (profile.namePerSpan && message.destination !== undefined)
        span.setAttribute(ATTR_MESSAGING_DESTINATION_NAME, message.destination);
      if (timeInQueueMs !== undefined) span.setAttribute(ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS, timeInQueueMs);
      recordIncomingAttributes(span, incoming);
      callSpanHook('describe', message.describe, this.#described(span), message.info);
      callSpanHook(this.#processHookName, this.#options.processHook, span, message.info);
    }
    return new MessagingSpan(
      span,
      contextWithSpan(origin === undefined ? workBase : withOrigin(workBase, origin), span),
      profile.onEnd,
      this.#writer,
    );
  }

  /** A send's end listener: the profile's shared one for one message, its own for a batch send. */
  #sendEndListener(profile: OperationProfile, count: number): SpanEndListener | undefined {
    if (count === 1 || profile.onEnd === undefined) return profile.onEnd;
    return (durationS, errorType) =>
      this.#metrics.recordOperation(profile.attributes, durationS, errorType, count);
  }

  /** The destination's policy, or the one for the operator's names the adapter gave. */
  #policyOf(profile: OperationProfile, subject: IncomingSubject | undefined): ResolvedIncomingPolicy {
    return subject === undefined ? profile.policy : this.#policyFor(subject);
  }

  /** The span an adapter's `describe` writes to: one that also writes the older names, in `'duplicate'` mode. */
  #described(span: Span): Span {
    return this.#legacy === undefined ? span : this.#legacy.view(span);
  }

  /**
   * Without links and of the operation's own kind (nearly every span), with the profile's shared options:
   * this runs for every message, and an options object each adds up.
   */
  #startSpan(profile: OperationProfile, kind: SpanKind, links: Link[] | undefined, parent: Context): Span {
    // Without links the option is left out, not `undefined`: SpanOptions says an absent list that way.
    const options =
      links === undefined
        ? kind === profile.startOptions.kind
          ? profile.startOptions
          : { kind, attributes: profile.spanAttributes }
        : { kind, links, attributes: profile.spanAttributes };
    return startSpanSafely(this.#tracer, profile.spanName, options, parent);
  }

  #profile(
    operationName: string,
    operationType: MessagingOperationType,
    destination: string | undefined,
    traits?: DestinationTraits,
  ): OperationProfile {
    const last = operationType === 'process' || operationType === 'receive' ? this.#lastIn : this.#lastOut;
    if (last.matches(operationName, destination, traits)) return last.profile!;
    const profile = this.#lookUpProfile(operationName, operationType, destination, traits);
    last.remember(operationName, destination, traits, profile);
    return profile;
  }

  #lookUpProfile(
    operationName: string,
    operationType: MessagingOperationType,
    destination: string | undefined,
    traits: DestinationTraits | undefined,
  ): OperationProfile {
    let byDestination = this.#profiles.get(operationName);
    if (byDestination === undefined) {
      byDestination = new Map();
      this.#profiles.set(operationName, byDestination);
    }
    // Destinations with traits share one profile per set of traits, whatever their names.
    const key = traits === undefined ? destination : `\0${traitsKey(traits)}`;
    let profile = byDestination.get(key);
    if (profile === undefined) {
      if (byDestination.size >= MAX_CACHED_DESTINATIONS) byDestination.clear();
      profile = createProfile(
        this.system,
        operationName,
        operationType,
        destination,
        traits,
        this.#policyFor,
        this.#metrics,
        this.#legacy,
      );
      byDestination.set(key, profile);
    }
    return profile;
  }
}

/**
 * The profile a telemetry returned last for one side, and what it was asked for. A destination with traits
 * is matched by its traits alone, as its profile is (whatever its name). A profile is never changed once
 * made, so one remembered here stays right even after its destination cache was cleared.
 */
class LastProfile {
  profile: OperationProfile | undefined;
  #operationName = '';
  #destination: string | undefined;
  #traits: DestinationTraits | undefined;

  matches(
    operationName: string,
    destination: string | undefined,
    traits: DestinationTraits | undefined,
  ): boolean {
    return (
      this.profile !== undefined &&
      operationName === this.#operationName &&
      traits === this.#traits &&
      (traits !== undefined || destination === this.#destination)
    );
  }

  remember(
    operationName: string,
    destination: string | undefined,
    traits: DestinationTraits | undefined,
    profile: OperationProfile,
  ): void {
    this.#operationName = operationName;
    this.#destination = destination;
    this.#traits = traits;
    this.profile = profile;
  }
}

/**
 * `base` with `span` active in it, or `base` itself when `span` adds nothing to it: the API's no-op span
 * with no trace to continue (no SDK, no inbound context; `INVALID_SPAN_CONTEXT` itself, so no pattern is
 * matched per message) on a context that holds no span. There is then no trace to propagate and no active
 * span to hide, and `trace.setSpan` would copy the context for every message for nothing.
 */
function contextWithSpan(base: Context, span: Span): Context {
  if (span.spanContext() === INVALID_SPAN_CONTEXT && trace.getSpan(base) === undefined) return base;
  return withSpan(base, span);
}

/** `ctx` without baggage: itself when it holds none (removing none would copy it for nothing). */
function withoutBaggage(ctx: Context): Context {
  return propagation.getBaggage(ctx) === undefined ? ctx : propagation.deleteBaggage(ctx);
}

/** Trust only goes down: a message's own policy never trusts more than its destination's. */
const TRUST_ORDER: Readonly<Record<IncomingPolicy, number>> = { parent: 0, continue: 1, link: 2, ignore: 3 };

function lowerTrust(
  destination: ResolvedIncomingPolicy,
  message: IncomingPolicy | undefined,
): ResolvedIncomingPolicy {
  if (message === undefined || TRUST_ORDER[message] <= TRUST_ORDER[destination.policy]) return destination;
  return { policy: message, sampleRatio: undefined };
}

/**
 * What every span of one (operation, destination) shares. A destination with `traits` has a name made up
 * at runtime: the span is named after its template (or the operation alone), the attributes carry the
 * traits instead of the name, which goes on each span; and its trust policy is the template's (or the
 * default's), as rules by name cannot apply to such names.
 */
function createProfile(
  system: string,
  operationName: string,
  operationType: MessagingOperationType,
  destination: string | undefined,
  traits: DestinationTraits | undefined,
  policyFor: IncomingPolicyResolver,
  metrics: MessagingMetrics,
  legacy: LegacyNames | undefined,
): OperationProfile {
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: system,
    [ATTR_MESSAGING_OPERATION_NAME]: operationName,
    [ATTR_MESSAGING_OPERATION_TYPE]: operationType,
  };
  if (traits !== undefined) Object.assign(attributes, traitsAttributes(traits));
  else if (destination !== undefined) attributes[ATTR_MESSAGING_DESTINATION_NAME] = destination;
  const stableName = traits === undefined ? destination : traits.template;
  Object.freeze(attributes);
  const spanAttributes =
    legacy === undefined ? attributes : legacy.startAttributes(attributes, operationType);
  return {
    spanName: stableName === undefined ? operationName : `${operationName} ${stableName}`,
    namePerSpan: traits !== undefined,
    operationType,
    attributes,
    spanAttributes,
    policy: policyFor({ name: stableName ?? '' }),
    onEnd: metrics.live ? endListener(metrics, operationType, attributes) : undefined,
    startOptions: Object.freeze({ kind: DEFAULT_KIND[operationType], attributes: spanAttributes }),
  };
}

/** What a one-message span of the operation records when it ends: see {@link OperationProfile.onEnd}. */
function endListener(
  metrics: MessagingMetrics,
  operationType: MessagingOperationType,
  attributes: Attributes,
): SpanEndListener | undefined {
  switch (operationType) {
    case 'create':
      return undefined;
    case 'send':
      return (durationS, errorType) => metrics.recordOperation(attributes, durationS, errorType, 1);
    case 'receive':
      return (durationS, errorType) => metrics.recordOperation(attributes, durationS, errorType, 0);
    case 'process':
      return (durationS, errorType) => metrics.recordProcess(attributes, durationS, errorType);
  }
}

/** What {@link MessagingTelemetry.startProcess} measures a message's time in queue from. */
interface Arrival {
  readonly enqueueTimeMs?: number | undefined;
  readonly deferTimeInQueue?: boolean | undefined;
}

/**
 * When `span` started, in whole ms since the epoch: an SDK span's own start (see `startTimeMs`) when it
 * records, else the clock now. The SDK anchors a span's clock to `Date.now()` when it starts a span without
 * a local parent, as a process span is, so this is the wall clock enqueue times are read with.
 */
function startedAtMs(span: Span, recording: boolean): number {
  const startMs = recording ? startTimeMs(span) : undefined;
  return startMs === undefined ? Date.now() : Math.floor(startMs);
}

/** Time in queue in ms (never negative), or `undefined` without a usable enqueue time. */
function timeInQueue(enqueueTimeMs: number | undefined, receivedAtMs: number): number | undefined {
  if (enqueueTimeMs === undefined || !Number.isFinite(enqueueTimeMs) || enqueueTimeMs <= 0) return undefined;
  // Producer and broker clocks drift; a message "from the future" waited no time we can measure.
  return Math.max(0, receivedAtMs - enqueueTimeMs);
}
