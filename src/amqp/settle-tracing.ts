import { logger } from '../core/diagnostics';
import type { SettleOutcome } from '../core/settle-outcome';
import type { DeliveryTracker } from './delivery-tracker';

/** The settle outcomes, made once: a settle runs for every message. */
export const SETTLED = {
  ack: { kind: 'ack' },
  nackRequeued: { kind: 'nack', requeue: true },
  nackDropped: { kind: 'nack', requeue: false },
  rejectRequeued: { kind: 'reject', requeue: true },
  rejectDropped: { kind: 'reject', requeue: false },
  closed: { kind: 'closed', reason: 'the channel closed' },
} as const satisfies Record<string, SettleOutcome>;

/** amqplib's rule for `requeue`: absent means requeue. */
export function nackOutcome(requeue: unknown): SettleOutcome {
  return requeue === undefined || Boolean(requeue) ? SETTLED.nackRequeued : SETTLED.nackDropped;
}

export function rejectOutcome(requeue: unknown): SettleOutcome {
  return requeue === undefined || Boolean(requeue) ? SETTLED.rejectRequeued : SETTLED.rejectDropped;
}

/**
 * Ends the span of the delivery `message` (and, with `multiple`, of every earlier one on the channel) with
 * `outcome`. Called after amqplib has sent the settle, so a settle amqplib refused (a closed channel, a
 * malformed message) ends nothing. A delivery that is not tracked (`noAck`, settled already, from an
 * untraced consumer) is ignored.
 */
export function settleDelivery(
  tracker: DeliveryTracker,
  message: unknown,
  multiple: unknown,
  outcome: SettleOutcome,
): void {
  // Inline rather than through `safely`: this runs for every settle, and a closure each adds up.
  try {
    const fields = (
      message as { fields?: { deliveryTag?: unknown; consumerTag?: unknown } } | null | undefined
    )?.fields;
    const tag = fields?.deliveryTag;
    if (typeof tag !== 'number') return;
    // amqplib sends `multiple: !!allUpTo`.
    if (multiple) tracker.settleUpTo(tag, outcome);
    else tracker.settleOne(tag, outcome, fields?.consumerTag);
  } catch (error) {
    logger.error('ending a settled delivery’s span failed; tracing skips this step', error);
  }
}
