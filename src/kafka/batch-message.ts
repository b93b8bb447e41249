import type { MessagingBatch } from '../core/messaging-batch';
import type { KafkaHeaders } from '../propagation/kafka-headers-carrier';
import type { KafkaConsumerInfo } from './kafka-options';
import type { KafkaBatchLike, KafkaMessageLike } from './kafka-types';

type TracedBatch = MessagingBatch<KafkaHeaders | undefined, KafkaConsumerInfo>;

interface BatchEntry {
  readonly traced: TracedBatch;
  /** Message → index in the batch, built on the first lookup. */
  indexes: Map<KafkaMessageLike, number> | undefined;
}

/**
 * The traced batch behind each batch object a traced consumer handed to `eachBatch`. Keyed weakly by the
 * client's own batch object, so an entry lives exactly as long as the batch and nothing is ever held.
 */
const tracedBatches = new WeakMap<object, BatchEntry>();

/** @internal Called by the traced consumer before it hands `batch` to the application. */
export function registerTracedBatch(batch: KafkaBatchLike, traced: TracedBatch): void {
  tracedBatches.set(batch, { traced, indexes: undefined });
}

/**
 * Runs `work` for one message of an `eachBatch` batch inside that message's own `process {topic}` span:
 * parented to the message's producer context (per the trust policy), linked to the batch span, and timed
 * from this call until `work` returns or its promise settles, so it measures this message's work alone.
 * Returns what `work` returns (the same promise), and passes its error on unchanged after recording it.
 *
 * ```ts
 * eachBatch: async (payload) => {
 *   for (const message of payload.batch.messages) {
 *     await processBatchMessage(payload, message, () => handle(message));
 *     payload.resolveOffset(message.offset);
 *   }
 * }
 * ```
 *
 * Outside a traced consumer's `eachBatch` (or for a message not in the batch) it simply calls `work`.
 */
export function processBatchMessage<T>(
  payload: { readonly batch: KafkaBatchLike },
  message: KafkaMessageLike,
  work: () => T,
): T {
  const entry =
    typeof payload === 'object' && payload !== null ? tracedBatches.get(payload.batch) : undefined;
  if (entry === undefined) return work();
  entry.indexes ??= new Map(payload.batch.messages.map((m, i) => [m, i]));
  const index = entry.indexes.get(message);
  return index === undefined ? work() : entry.traced.processMessage(index, work);
}
