/**
 * How a delivery left the consumer's hands. Positive acknowledgement leaves the process span's status
 * unset (success, per the OpenTelemetry status rules); every other outcome marks it as an error.
 */
export type SettleOutcome =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nack' | 'reject'; readonly requeue: boolean }
  /**
   * The delivery was never settled by the application: its channel closed, its consumer was cancelled or
   * stopped, or the settle registry had to let it go to stay within its bound.
   */
  | { readonly kind: 'closed' | 'cancelled' | 'evicted'; readonly reason?: string };

/** The `kind` of a {@link SettleOutcome}. */
export type SettleKind = SettleOutcome['kind'];
