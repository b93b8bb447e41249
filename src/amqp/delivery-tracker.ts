import type { MessagingSpan } from '../core/messaging-span';
import type { SettleOutcome } from '../core/settle-outcome';
import { SettleRegistry } from '../core/settle-registry';

/**
 * The process and receive spans of one channel's unsettled deliveries, keyed by delivery tag (AMQP tags are
 * per channel), grouped by the consumer each delivery came from, so that cancelling a consumer ends exactly
 * that consumer's spans. Pulled (`get`) messages form a group of their own.
 *
 * A group is a core `SettleRegistry`, bounded by `maxPending`; groups exist only for live consumers (a
 * consumer's group goes when it is cancelled, all go when the channel closes), so nothing here outlives the
 * deliveries it holds.
 */
export class DeliveryTracker {
  readonly #maxPending: number | undefined;
  readonly #byConsumer = new Map<string, SettleRegistry<number>>();
  readonly #pulled: SettleRegistry<number>;
  /**
   * The sum of every registry's size, kept as they change, so that {@link size} (asked at every settle,
   * to skip the lookup when nothing waits) costs one read.
   */
  #size = 0;
  /**
   * The consumer {@link track} and {@link settleOne} last looked up, and its registry: a channel nearly
   * always has one consumer, and its tag is then found without a lookup by string for every delivery.
   * Forgotten with the consumer's registry (see {@link releaseConsumer}, {@link releaseAll}).
   */
  #lastConsumer: string | undefined;
  #lastRegistry: SettleRegistry<number> | undefined;

  /** Throws `TracebridgeConfigError` when `maxPending` is not a positive integer. */
  constructor(maxPending: number | undefined) {
    // Created now, so a bad bound fails at setup rather than at the first delivery.
    this.#pulled = new SettleRegistry({ maxPending });
    this.#maxPending = maxPending;
  }

  /** Deliveries whose spans wait for a settle, over all consumers and pulled messages. */
  get size(): number {
    return this.#size;
  }

  /** Holds `span` until delivery `deliveryTag` is settled; `consumerTag` is undefined for a pulled message. */
  track(consumerTag: string | undefined, deliveryTag: number, span: MessagingSpan): void {
    const registry = this.#registryFor(consumerTag);
    const before = registry.size;
    // Net of what the registry evicted to make room (or of a span it held under the same tag).
    registry.track(deliveryTag, span);
    this.#size += registry.size - before;
  }

  /**
   * Settles one delivery. Returns whether it was pending. `consumerTag`, the one the delivery names, is
   * where it is looked for first: a channel's delivery tags are unique, so it is the same delivery.
   */
  settleOne(deliveryTag: number, outcome: SettleOutcome, consumerTag?: unknown): boolean {
    if (this.#size === 0) return false;
    const own = typeof consumerTag === 'string' ? this.#consumerRegistry(consumerTag) : undefined;
    if (own !== undefined && own.settle(deliveryTag, outcome)) {
      this.#size--;
      return true;
    }
    if (this.#pulled.size > 0 && this.#pulled.settle(deliveryTag, outcome)) {
      this.#size--;
      return true;
    }
    for (const registry of this.#byConsumer.values()) {
      if (registry.settle(deliveryTag, outcome)) {
        this.#size--;
        return true;
      }
    }
    return false;
  }

  /** Settles every delivery up to and including `deliveryTag` (AMQP `multiple`; tag 0 means all). */
  settleUpTo(deliveryTag: number, outcome: SettleOutcome): number {
    if (deliveryTag === 0) return this.settleAll(outcome);
    const upTo = (tag: number): boolean => tag <= deliveryTag;
    let settled = this.#pulled.settleWhere(upTo, outcome);
    for (const registry of this.#byConsumer.values()) settled += registry.settleWhere(upTo, outcome);
    this.#size -= settled;
    return settled;
  }

  /** Settles every pending delivery (`ackAll`, `nackAll`). */
  settleAll(outcome: SettleOutcome): number {
    const all = (): boolean => true;
    let settled = this.#pulled.settleWhere(all, outcome);
    for (const registry of this.#byConsumer.values()) settled += registry.settleWhere(all, outcome);
    this.#size -= settled;
    return settled;
  }

  /** Ends the pending spans of one consumer (it was cancelled) and forgets the consumer. */
  releaseConsumer(consumerTag: string, outcome: SettleOutcome): number {
    const registry = this.#byConsumer.get(consumerTag);
    if (registry === undefined) return 0;
    this.#byConsumer.delete(consumerTag);
    this.#forgetLast();
    const released = registry.releaseAll(outcome);
    this.#size -= released;
    return released;
  }

  /** Ends every pending span (the channel closed) and forgets every consumer. */
  releaseAll(outcome: SettleOutcome): number {
    let released = this.#pulled.releaseAll(outcome);
    const registries = [...this.#byConsumer.values()];
    this.#byConsumer.clear();
    this.#forgetLast();
    for (const registry of registries) released += registry.releaseAll(outcome);
    this.#size = 0;
    return released;
  }

  #registryFor(consumerTag: string | undefined): SettleRegistry<number> {
    if (consumerTag === undefined) return this.#pulled;
    let registry = this.#consumerRegistry(consumerTag);
    if (registry === undefined) {
      registry = new SettleRegistry<number>({ maxPending: this.#maxPending });
      this.#byConsumer.set(consumerTag, registry);
      this.#lastConsumer = consumerTag;
      this.#lastRegistry = registry;
    }
    return registry;
  }

  /** The registry of a live consumer, or `undefined`: the last one asked for without a lookup. */
  #consumerRegistry(consumerTag: string): SettleRegistry<number> | undefined {
    if (consumerTag === this.#lastConsumer) return this.#lastRegistry;
    const registry = this.#byConsumer.get(consumerTag);
    if (registry !== undefined) {
      this.#lastConsumer = consumerTag;
      this.#lastRegistry = registry;
    }
    return registry;
  }

  #forgetLast(): void {
    this.#lastConsumer = undefined;
    this.#lastRegistry = undefined;
  }
}
