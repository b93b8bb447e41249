import { AggregatedWarning } from './aggregated-warning';
import { TracebridgeConfigError, TracebridgeErrorCode } from './errors';
import type { MessagingSpan } from './messaging-span';
import type { SettleOutcome } from './settle-outcome';

/** Options of a {@link SettleRegistry}. */
export interface SettleRegistryOptions {
  /**
   * The most unsettled deliveries held at once. Past it, the oldest is ended with the `'evicted'` outcome
   * and let go, so a consumer that never settles cannot grow memory without bound. Default: 10,000
   * (well above any sensible prefetch).
   */
  readonly maxPending?: number | undefined;
}

/** The key of no delivery: see `SettleRegistry`'s map. */
const KEEPER: unique symbol = Symbol('tracebridge settle registry keeper');

/** Default of {@link SettleRegistryOptions.maxPending}. */
export const DEFAULT_MAX_PENDING_SETTLES = 10_000;

/**
 * Process spans of deliveries that end when the application settles them (ack, nack, reject), not when
 * its handler returns. One registry per channel or consumer: keys are that scope's delivery identifiers
 * (an AMQP delivery tag, a Redis stream entry id).
 *
 * Every tracked span ends exactly once: at its first settle (a second is ignored), at eviction, or when
 * the channel or consumer goes away and the adapter calls {@link releaseAll}. No timers guess.
 */
export class SettleRegistry<K> {
  /**
   * The pending spans, and {@link KEEPER}: held for good, so that the map never empties. A consumer that
   * settles each delivery as it comes holds one at a time, and V8 shrinks (reallocates) a map that a
   * delete leaves with fewer entries than a quarter of its capacity: for every delivery, without it.
   */
  readonly #pending = new Map<K | typeof KEEPER, MessagingSpan | undefined>([[KEEPER, undefined]]);
  readonly #maxPending: number;
  /** One log line for the first eviction, then at most one a minute with the count (and at release). */
  readonly #evictions: AggregatedWarning;

  /** Throws `TracebridgeConfigError` when `maxPending` is not a positive integer. */
  constructor(options: SettleRegistryOptions = {}) {
    const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_SETTLES;
    if (!Number.isInteger(maxPending) || maxPending < 1) {
      throw new TracebridgeConfigError(
        TracebridgeErrorCode.InvalidOption,
        `maxPending must be a positive integer, got ${String(maxPending)}`,
      );
    }
    this.#maxPending = maxPending;
    this.#evictions = new AggregatedWarning((count) =>
      count === this.#evictions.total
        ? `more than ${maxPending} unsettled deliveries: the oldest span was ended as evicted; further ` +
          'evictions are counted and reported at most once a minute, and when the consumer or channel closes'
        : `more than ${maxPending} unsettled deliveries: ${count} more spans were ended as evicted ` +
          `(${this.#evictions.total} in all)`,
    );
  }

  /** Deliveries tracked and not yet settled. */
  get size(): number {
    return this.#pending.size - 1;
  }

  /** Holds `span` until the delivery `key` is settled. A span already held under `key` is evicted first. */
  track(key: K, span: MessagingSpan): void {
    const previous = this.#pending.get(key);
    if (previous !== undefined) {
      this.#pending.delete(key);
      previous.settle({ kind: 'evicted', reason: 'a new delivery arrived with the same key' });
    }
    if (this.size >= this.#maxPending) this.#evictOldest();
    this.#pending.set(key, span);
  }

  /**
   * Ends the span of delivery `key` with `outcome`. Returns `false`, and does nothing, when `key` is not
   * pending (already settled, never tracked, or evicted).
   */
  settle(key: K, outcome: SettleOutcome): boolean {
    const span = this.#pending.get(key);
    if (span === undefined) return false;
    this.#pending.delete(key);
    span.settle(outcome);
    return true;
  }

  /**
   * Stops tracking delivery `key` and ends its span as it stands, recording no settle outcome: for a
   * delivery whose processing failed and that stays unsettled on the broker on purpose (a Redis stream entry
   * left pending for a retry), whose span already carries the application's error. Returns `false`, and
   * does nothing, when `key` is not pending.
   */
  endUnsettled(key: K): boolean {
    const span = this.#pending.get(key);
    if (span === undefined) return false;
    this.#pending.delete(key);
    span.end();
    return true;
  }

  /**
   * Settles every pending delivery whose key satisfies `predicate`, oldest first (AMQP's `multiple` flag
   * settles every tag up to one). Returns how many were settled.
   */
  settleWhere(predicate: (key: K) => boolean, outcome: SettleOutcome): number {
    let settled = 0;
    for (const [key, span] of this.#pending) {
      if (span === undefined || key === KEEPER || !predicate(key)) continue;
      this.#pending.delete(key);
      span.settle(outcome);
      settled++;
    }
    return settled;
  }

  /**
   * Ends every pending span with `outcome` (`closed` or `cancelled`) and empties the registry: call it
   * when the channel closes or the consumer stops, so nothing is held for deliveries that cannot be
   * settled any more. Returns how many were released.
   */
  releaseAll(outcome: SettleOutcome): number {
    const spans: MessagingSpan[] = [];
    for (const span of this.#pending.values()) if (span !== undefined) spans.push(span);
    this.#pending.clear();
    this.#pending.set(KEEPER, undefined);
    for (const span of spans) span.settle(outcome);
    this.#evictions.flush();
    return spans.length;
  }

  /** Deliveries evicted so far, to stay within `maxPending`. */
  get evicted(): number {
    return this.#evictions.total;
  }

  #evictOldest(): void {
    for (const [key, span] of this.#pending) {
      if (span === undefined || key === KEEPER) continue;
      this.#pending.delete(key);
      this.#evictions.record();
      span.settle({ kind: 'evicted', reason: `more than ${this.#maxPending} unsettled deliveries` });
      return;
    }
  }
}
