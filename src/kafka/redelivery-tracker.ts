/** Partitions remembered at once; more than a consumer is ever assigned, small enough to never matter. */
const MAX_TRACKED_PARTITIONS = 10_000;

/**
 * Counts how many times the handler failed on the message at the head of each partition, so that when
 * kafkajs retries it (a handler error makes the consumer seek back and fetch the message again) the next
 * process span knows its attempt number.
 *
 * One entry per partition: the offset of the last failure and how many times it failed. A success, or any
 * other offset, replaces it. Bounded; no timers.
 */
export class RedeliveryTracker {
  readonly #failures = new Map<string, { offset: string; failures: number }>();

  /** Whether no partition is being retried: a success then has nothing to clear. */
  get idle(): boolean {
    return this.#failures.size === 0;
  }

  /** Failures already seen for `offset` of this partition: 0 on a first delivery. */
  failuresBefore(topic: string, partition: number, offset: string): number {
    // Nothing failed (the usual case): no key to build for every message.
    if (this.#failures.size === 0) return 0;
    const entry = this.#failures.get(partitionKey(topic, partition));
    return entry !== undefined && entry.offset === offset ? entry.failures : 0;
  }

  /** The handler failed on `offset`. */
  recordFailure(topic: string, partition: number, offset: string): void {
    const key = partitionKey(topic, partition);
    const entry = this.#failures.get(key);
    if (entry !== undefined && entry.offset === offset) {
      entry.failures++;
      return;
    }
    if (this.#failures.size >= MAX_TRACKED_PARTITIONS) this.#failures.clear();
    this.#failures.set(key, { offset, failures: 1 });
  }

  /** The handler succeeded on a message of this partition: nothing there is being retried any more. */
  recordSuccess(topic: string, partition: number): void {
    if (this.#failures.size > 0) this.#failures.delete(partitionKey(topic, partition));
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${partition}\u0000${topic}`;
}
