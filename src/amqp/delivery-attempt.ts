/**
 * Which attempt at a message a delivery is, from what RabbitMQ tells the consumer: the `redelivered` flag,
 * the `x-death` header of a dead-lettered message and the `x-delivery-count` header of quorum queues.
 *
 * These headers arrive from the outside world like any other (a publisher can write an `x-death` of any
 * type and size), so they are read defensively: only the first `x-death` entry is looked at, whatever the
 * array's length, and a value of the wrong type counts as absent.
 *
 * @see https://www.rabbitmq.com/docs/dlx#effects
 * @see https://www.rabbitmq.com/docs/quorum-queues#poison-message-handling
 */

/** What a delivery says about earlier attempts at its message. */
export interface DeliveryAttempt {
  /** The broker's `redelivered` flag: the message was delivered before and not acknowledged. */
  readonly redelivered: boolean;
  /** How many times the message was dead-lettered, per the most recent `x-death` entry. */
  readonly deathCount: number | undefined;
  /** Why it was last dead-lettered (`rejected`, `expired`, `maxlen`, `delivery_limit`). */
  readonly deathReason: string | undefined;
  /** This attempt's number, from 1: one more than the deaths and the redeliveries seen. */
  readonly attempt: number;
}

/** A first delivery's attempt: not redelivered, never dead-lettered. */
const FIRST_ATTEMPT: DeliveryAttempt = Object.freeze({
  redelivered: false,
  deathCount: undefined,
  deathReason: undefined,
  attempt: 1,
});

/** Reasons are short words; anything longer is not one RabbitMQ wrote. */
const MAX_REASON_LENGTH = 64;

/**
 * Reads the attempt of a delivery. RabbitMQ keeps `x-death` most recent first, one entry per queue and
 * reason, each with its own count; the most recent entry's count is how many times the message went around
 * the loop it is in (reject → dead-letter → retry queue → back), which is what "attempt" means to a consumer.
 * Redeliveries add `x-delivery-count` when a quorum queue provides it, otherwise 1 when `redelivered` is set.
 * The result is read-only: a first delivery's is one shared frozen object, so copy it to change it.
 */
export function readDeliveryAttempt(redelivered: unknown, headers: unknown): DeliveryAttempt {
  const wasRedelivered = redelivered === true;
  let deathCount: number | undefined;
  let deathReason: string | undefined;
  let deliveryCount: number | undefined;
  if (typeof headers === 'object' && headers !== null) {
    const table = headers as Record<string, unknown>;
    const latest = latestDeath(ownValue(table, 'x-death'));
    if (latest !== undefined) {
      deathCount = countOf(ownValue(latest, 'count'));
      const reason = ownValue(latest, 'reason');
      if (typeof reason === 'string' && reason.length > 0 && reason.length <= MAX_REASON_LENGTH)
        deathReason = reason;
    }
    deliveryCount = countOf(ownValue(table, 'x-delivery-count'));
  }
  const redeliveries = deliveryCount ?? (wasRedelivered ? 1 : 0);
  // Nearly every delivery is a first attempt: one shared answer rather than an object each.
  if (!wasRedelivered && redeliveries === 0 && deathCount === undefined && deathReason === undefined)
    return FIRST_ATTEMPT;
  return {
    redelivered: wasRedelivered,
    deathCount,
    deathReason,
    attempt: 1 + (deathCount ?? 0) + redeliveries,
  };
}

function latestDeath(xDeath: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(xDeath) || xDeath.length === 0) return undefined;
  const first: unknown = xDeath[0];
  return typeof first === 'object' && first !== null && !Array.isArray(first)
    ? (first as Record<string, unknown>)
    : undefined;
}

/** A non-negative safe integer, or `undefined`. */
function countOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** An own property only: a header table decoded from the wire must not answer from its prototype. */
function ownValue(table: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(table, key)
    ? (table as Record<string, unknown>)[key]
    : undefined;
}
