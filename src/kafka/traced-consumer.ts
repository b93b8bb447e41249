import { context } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { safely, stepFailed } from '../core/diagnostics';
import { alreadyTraced, isTracedByTracebridge } from '../core/traced-marker';
import { withMethodOverrides } from '../core/method-overrides';
import { isPromiseLike } from '../core/promise-like';
import type { MessagingSpan } from '../core/messaging-span';
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_TRACEBRIDGE_CONSUMER_LAG,
} from '../core/semantic-attributes';
import { registerTracedBatch } from './batch-message';
import { consumedBatchMessage, consumedMessage, ConsumedMessageScopes } from './consumed-message';
import type { ConsumedMessageScope } from './consumed-message';
import { DEFAULT_KAFKA_CONSUMER_OPTIONS } from './kafka-options';
import type { KafkaConsumerTracingOptions } from './kafka-options';
import { createKafkaTelemetry } from './kafka-telemetry';
import type { KafkaTelemetry } from './kafka-telemetry';
import type {
  KafkaBatchLike,
  KafkaConsumerLike,
  KafkaEachBatchPayload,
  KafkaEachMessagePayload,
  KafkaMessageLike,
} from './kafka-types';
import { RedeliveryTracker } from './redelivery-tracker';
import { attemptFromHeaders, withAttempt } from './retry-message';
import { validateKafkaOptions } from './validate-options';

type Handler<P> = (payload: P) => Promise<void>;

/** What one traced consumer shares between its handlers. */
interface ConsumerTracing {
  readonly telemetry: KafkaTelemetry;
  readonly retries: RedeliveryTracker;
  readonly scopes: ConsumedMessageScopes;
}

/**
 * Returns a traced stand-in for a kafkajs `Consumer` (or one from the KafkaJS API of
 * `@confluentinc/kafka-javascript`), of the same type. Only `run` differs:
 *
 * - `eachMessage`: each message is handled inside a CONSUMER `process {topic}` span whose parent is the
 *   producer's context (see `incoming`), with the consumer group, partition, offset, key, body size,
 *   time in queue (from the record timestamp) and, on a retry, the attempt number. A handler error is
 *   recorded and re-thrown unchanged, so the client's own retry applies; every attempt is its own span.
 * - `eachBatch`: one CONSUMER span per batch linking every message's context, with the consumer lag
 *   (high watermark − first offset) as an attribute and a histogram. Use {@link processBatchMessage} to
 *   give each message's work its own process span. The payload is the client's own, so `resolveOffset`,
 *   `heartbeat`, `commitOffsetsIfNecessary`, `pause`, `isRunning` and `isStale` are untouched.
 *
 * A consumer that is already traced (returned by this function, or made in zero-code mode) is returned as
 * is, so that its messages still have one span each.
 *
 * @throws TracebridgeConfigError when an option has a value it does not accept.
 */
export function traceConsumer<C extends KafkaConsumerLike>(
  consumer: C,
  options: KafkaConsumerTracingOptions = {},
): C {
  validateKafkaOptions(options, 'traceConsumer');
  if (isTracedByTracebridge(consumer)) return alreadyTraced(consumer, 'traceConsumer', options);
  const settings = { ...DEFAULT_KAFKA_CONSUMER_OPTIONS, ...options };
  const tracing: ConsumerTracing = {
    telemetry: createKafkaTelemetry({
      tracerProvider: settings.tracerProvider,
      meterProvider: settings.meterProvider,
      // Not the default's 'parent': when not given, the core uses the instrumentation's default first.
      incoming: options.incoming,
      signing: settings.signing,
      originMaxAgeMs: settings.originMaxAgeMs,
      semconvStability: settings.semconvStability,
      endToEndLatency: settings.endToEndLatency,
      processHook: settings.consumerHook,
      hookNames: { process: 'consumerHook' },
    }),
    retries: new RedeliveryTracker(),
    scopes: new ConsumedMessageScopes(learnGroupId(consumer, settings.groupId), settings),
  };
  const run = (config?: unknown) =>
    (consumer.run as (config?: unknown) => Promise<void>)(traceRunConfig(config, tracing));
  return withMethodOverrides(consumer, { run } as Partial<C>);
}

/** A copy of `run`'s config whose handlers are traced; the caller's object is not modified. */
function traceRunConfig(config: unknown, tracing: ConsumerTracing): unknown {
  if (typeof config !== 'object' || config === null) return config;
  const { eachMessage, eachBatch } = config as { eachMessage?: unknown; eachBatch?: unknown };
  const traced: Record<string, unknown> = {};
  if (typeof eachMessage === 'function') {
    traced['eachMessage'] = traceEachMessage(eachMessage as Handler<KafkaEachMessagePayload>, tracing);
  }
  if (typeof eachBatch === 'function') {
    traced['eachBatch'] = traceEachBatch(eachBatch as Handler<KafkaEachBatchPayload>, tracing);
  }
  return Object.assign({}, config, traced);
}

function traceEachMessage(
  handler: Handler<KafkaEachMessagePayload>,
  tracing: ConsumerTracing,
): Handler<KafkaEachMessagePayload> {
  const { telemetry, retries } = tracing;
  return (payload) => {
    if (!isMessagePayload(payload)) return handler(payload);
    const { topic, partition, message } = payload;
    const failures = retries.failuresBefore(topic, partition, message.offset);
    // Dormant (nothing registered), the handler gets the payload as from the unwrapped client: no span, no
    // header read. Only the handler's failures are still counted, so that a redelivery is numbered as it
    // would be traced (by `retryMessage`, which reads the attempt header itself on a first delivery, and
    // by the span of a redelivery once an SDK registers).
    const dormant = telemetry.dormant;
    const attempt = dormant && failures === 0 ? undefined : attemptOf(message, failures);
    let processing: MessagingSpan | undefined;
    if (!dormant) {
      const scope = tracing.scopes.of(topic, partition);
      processing = telemetry.startProcess(consumedMessage(scope, message, attempt));
    }
    let result: Promise<void>;
    try {
      result =
        processing === undefined
          ? handleAttempt(handler, payload, attempt)
          : runInSpan(processing, handler, payload, attempt);
    } catch (error) {
      retries.recordFailure(topic, partition, message.offset);
      throw error;
    }
    countOutcome(retries, payload, result);
    return result;
  };
}

/**
 * Runs the handler in its message's span and ends the span when it settles. Apart from the wrapper that
 * calls it, so that the closure it makes is not paid for by dormant messages too.
 */
function runInSpan(
  processing: MessagingSpan,
  handler: Handler<KafkaEachMessagePayload>,
  payload: KafkaEachMessagePayload,
  attempt: number | undefined,
): Promise<void> {
  return processing.runAndEnd(() => handleAttempt(handler, payload, attempt));
}

/** Calls the handler; on a retry, with the attempt in its context, so `retryMessage` numbers the next one. */
function handleAttempt(
  handler: Handler<KafkaEachMessagePayload>,
  payload: KafkaEachMessagePayload,
  attempt: number | undefined,
): Promise<void> {
  if (attempt === undefined) return handler(payload);
  return context.with(withAttempt(context.active(), attempt), handler, undefined, payload);
}

/**
 * Counts the handler's outcome on the message for the redelivery tracker, without changing what the
 * client sees of `result` (it gets the same promise, and awaits it itself). A success is only observed
 * when some partition is being retried: otherwise there is nothing for it to clear.
 */
function countOutcome(
  retries: RedeliveryTracker,
  payload: KafkaEachMessagePayload,
  result: Promise<void>,
): void {
  const { topic, partition } = payload;
  if (!isPromiseLike(result)) {
    retries.recordSuccess(topic, partition);
    return;
  }
  const onSuccess = retries.idle ? undefined : () => retries.recordSuccess(topic, partition);
  try {
    result.then(onSuccess, () => retries.recordFailure(topic, partition, payload.message.offset));
  } catch (error) {
    // A host thenable whose `then` throws: the client meets the same throw when it awaits it.
    stepFailed('observing the outcome of a message handler', error);
    retries.recordSuccess(topic, partition);
  }
}

function traceEachBatch(
  handler: Handler<KafkaEachBatchPayload>,
  tracing: ConsumerTracing,
): Handler<KafkaEachBatchPayload> {
  return (payload) => {
    // Dormant (nothing registered): the client's batch as it is, and `processBatchMessage` just runs the
    // work, since the batch is not registered as traced.
    if (tracing.telemetry.dormant || !isBatchPayload(payload)) return handler(payload);
    const { batch } = payload;
    const scope = tracing.scopes.of(batch.topic, batch.partition);
    const lag = consumerLag(batch);
    const traced = tracing.telemetry.startBatch({
      destination: batch.topic,
      messages: batch.messages.map((m) => consumedBatchMessage(scope, m, attemptFromHeaders(m.headers))),
      describe: (span) => describeBatch(span, scope, lag),
    });
    if (lag !== undefined) {
      tracing.telemetry.recordConsumerLag(batch.topic, lag, {
        [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(batch.partition),
      });
    }
    registerTracedBatch(batch, traced);
    return traced.scope.runAndEnd(() => handler(payload));
  };
}

function describeBatch(span: Span, scope: ConsumedMessageScope, lag: number | undefined): void {
  span.setAttribute(ATTR_MESSAGING_DESTINATION_PARTITION_ID, scope.partitionId);
  if (scope.groupId !== undefined) span.setAttribute(ATTR_MESSAGING_CONSUMER_GROUP_NAME, scope.groupId);
  if (lag !== undefined) span.setAttribute(ATTR_TRACEBRIDGE_CONSUMER_LAG, lag);
}

/**
 * The attempt a message is on: what its `tracebridge-attempt` header declares (1 without one), plus the
 * `failures` times this consumer's handler already failed on it. `undefined` for a plain first delivery.
 */
function attemptOf(message: KafkaMessageLike, failures: number): number | undefined {
  const declared = attemptFromHeaders(message.headers);
  if (declared === undefined && failures === 0) return undefined;
  return (declared ?? 1) + failures;
}

/** How far behind the end of the partition the consumer was when the batch arrived, in messages. */
function consumerLag(batch: KafkaBatchLike): number | undefined {
  const first = batch.messages[0];
  if (first === undefined) return undefined;
  const lag = Number(batch.highWatermark) - Number(first.offset);
  return Number.isSafeInteger(lag) && lag >= 0 ? lag : undefined;
}

/**
 * The consumer group: as configured, or as the consumer reports it when it joins (kafkajs emits
 * `consumer.group_join` before any message is handed over). A client without that event leaves it unknown.
 */
function learnGroupId(consumer: object, configured: string | undefined): () => string | undefined {
  if (configured !== undefined) return () => configured;
  let learned: string | undefined;
  safely(
    'listening for the consumer group',
    () => {
      const { events, on } = consumer as { events?: { GROUP_JOIN?: unknown }; on?: unknown };
      if (typeof events?.GROUP_JOIN !== 'string' || typeof on !== 'function') return;
      (on as (event: string, listener: (event: unknown) => void) => unknown).call(
        consumer,
        events.GROUP_JOIN,
        (event: unknown) => {
          const groupId = (event as { payload?: { groupId?: unknown } } | undefined)?.payload?.groupId;
          if (typeof groupId === 'string') learned = groupId;
        },
      );
    },
    undefined,
  );
  return () => learned;
}

function isMessagePayload(payload: unknown): payload is KafkaEachMessagePayload {
  const p = payload as Partial<KafkaEachMessagePayload> | undefined;
  return (
    typeof p?.topic === 'string' &&
    typeof p.partition === 'number' &&
    typeof p.message === 'object' &&
    p.message !== null
  );
}

function isBatchPayload(payload: unknown): payload is KafkaEachBatchPayload {
  const batch = (payload as Partial<KafkaEachBatchPayload> | undefined)?.batch;
  return (
    typeof batch?.topic === 'string' &&
    typeof batch.partition === 'number' &&
    Array.isArray(batch.messages) &&
    batch.messages.length > 0
  );
}
