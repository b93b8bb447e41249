import { SpanStatusCode } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { safely } from '../core/diagnostics';
import { alreadyTraced, isTracedByTracebridge } from '../core/traced-marker';
import { withMethodOverrides } from '../core/method-overrides';
import type { MessagingSpan } from '../core/messaging-span';
import {
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_TRACEBRIDGE_KAFKA_OFFSET_TOPICS,
  ATTR_TRACEBRIDGE_KAFKA_TRANSACTION_OUTCOME,
} from '../core/semantic-attributes';
import { DEFAULT_KAFKA_PRODUCER_OPTIONS } from './kafka-options';
import type { KafkaProducerTracingOptions } from './kafka-options';
import { createKafkaTelemetry } from './kafka-telemetry';
import type { KafkaTelemetry } from './kafka-telemetry';
import type { KafkaProducerLike, KafkaTransactionLike } from './kafka-types';
import { validateKafkaOptions } from './validate-options';
import { TracedSend } from './traced-send';

/**
 * Returns a traced stand-in for a kafkajs `Producer` (or one from the KafkaJS API of
 * `@confluentinc/kafka-javascript`), of the same type.
 *
 * - `send` and `sendBatch`: one PRODUCER `send {topic}` span per call (named `send` alone when a
 *   `sendBatch` spans several topics), with `messaging.batch.message_count` when it carries several
 *   messages. Each message's headers carry its creation context: its own `create {topic}` span for
 *   multi-message sends (see `createSpansPerMessage`), the send span's otherwise.
 * - `transaction()`: resolves a traced transaction whose `transaction` span is the parent of its sends,
 *   records `sendOffsets` as an event, and ends at `commit` or `abort`.
 *
 * Everything else is the producer itself: connect, events, errors, return values. The caller's records,
 * messages and headers are never modified.
 *
 * A producer that is already traced (returned by this function, or made in zero-code mode) is returned as
 * is, so that its sends still have one span each.
 *
 * @throws TracebridgeConfigError when an option has a value it does not accept.
 */
export function traceProducer<P extends KafkaProducerLike>(
  producer: P,
  options: KafkaProducerTracingOptions = {},
): P {
  validateKafkaOptions(options, 'traceProducer');
  if (isTracedByTracebridge(producer)) return alreadyTraced(producer, 'traceProducer', options);
  const settings = { ...DEFAULT_KAFKA_PRODUCER_OPTIONS, ...options };
  const telemetry = createKafkaTelemetry({
    tracerProvider: settings.tracerProvider,
    meterProvider: settings.meterProvider,
    signing: settings.signing,
    semconvStability: settings.semconvStability,
    endToEndLatency: settings.endToEndLatency,
    sendHook: settings.producerHook,
    hookNames: { send: 'producerHook' },
  });
  const sends = new TracedSend(telemetry, {
    createSpansPerMessage: settings.createSpansPerMessage,
    recordMessageKeys: settings.recordMessageKeys,
  });
  // The client's own methods, read at each call (as through the proxy), made once rather than per send.
  const send: KafkaProducerLike['send'] = (record) => producer.send(record);
  const sendBatch: KafkaProducerLike['sendBatch'] = (batch) => producer.sendBatch(batch);
  const overrides: Partial<KafkaProducerLike> = {
    send: (record) => sends.send(record, undefined, send),
    sendBatch: (batch) => sends.sendBatch(batch, undefined, sendBatch),
    transaction: () =>
      producer.transaction().then((transaction) => traceTransaction(transaction, telemetry, sends)),
  };
  return withMethodOverrides(producer, overrides as Partial<P>);
}

/**
 * A traced stand-in for a begun transaction: an INTERNAL `transaction` span, the parent of every send made
 * through it, ended when the transaction commits or aborts (error status on abort, or when either fails).
 */
function traceTransaction<T extends KafkaTransactionLike>(
  transaction: T,
  telemetry: KafkaTelemetry,
  sends: TracedSend,
): T {
  const span = telemetry.startOperationGroup({ name: 'transaction' });
  const parent: Context = span.context;
  const send: KafkaTransactionLike['send'] = (record) => transaction.send(record);
  const sendBatch: KafkaTransactionLike['sendBatch'] = (batch) => transaction.sendBatch(batch);
  const overrides: Partial<KafkaTransactionLike> = {
    send: (record) => sends.send(record, parent, send),
    sendBatch: (batch) => sends.sendBatch(batch, parent, sendBatch),
    sendOffsets: (offsets) => {
      recordSendOffsets(span, offsets);
      return span.run(() => transaction.sendOffsets(offsets));
    },
    commit: () => finish(span, 'commit', () => transaction.commit()),
    abort: () => finish(span, 'abort', () => transaction.abort()),
  };
  return withMethodOverrides(transaction, overrides as Partial<T>);
}

function recordSendOffsets(
  span: MessagingSpan,
  offsets: { readonly consumerGroupId: string; readonly topics: readonly unknown[] },
): void {
  if (!span.span.isRecording()) return;
  const attributes: Record<string, string | number> = {};
  if (typeof offsets?.consumerGroupId === 'string') {
    attributes[ATTR_MESSAGING_CONSUMER_GROUP_NAME] = offsets.consumerGroupId;
  }
  if (Array.isArray(offsets?.topics))
    attributes[ATTR_TRACEBRIDGE_KAFKA_OFFSET_TOPICS] = offsets.topics.length;
  safely('recording sendOffsets', () => span.span.addEvent('sendOffsets', attributes), undefined);
}

/** Runs `commit` or `abort` in the span and ends it when that settles; an abort is an error outcome. */
function finish(span: MessagingSpan, outcome: 'commit' | 'abort', end: () => Promise<void>): Promise<void> {
  safely(
    'recording a transaction outcome',
    () => {
      if (!span.span.isRecording()) return;
      span.span.setAttribute(ATTR_TRACEBRIDGE_KAFKA_TRANSACTION_OUTCOME, outcome);
      if (outcome === 'abort') {
        span.span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
        span.span.setStatus({ code: SpanStatusCode.ERROR, message: 'the transaction was aborted' });
      }
    },
    undefined,
  );
  return span.runAndEnd(end);
}
