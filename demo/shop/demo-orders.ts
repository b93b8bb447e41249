/** The orders a run places, and when an order's trace is complete. */
import type { TraceSpan } from 'tracebridge/cli';
import type { PlaceOrderRequest } from './orders-api';
import type { ShopConfig } from './shop-config';

/** Three orders; carol's first notification fails (see `ShopConfig.failOnceCustomers`). */
export const DEMO_ORDERS: readonly PlaceOrderRequest[] = [
  { customerId: 'alice', sku: 'tea-earl-grey', quantity: 2 },
  { customerId: 'bob', sku: 'mug-blue', quantity: 1 },
  { customerId: 'carol', sku: 'teapot-cast-iron', quantity: 1 },
];

/**
 * Whether an order's trace has reached its end: the `receipts` job span, which ends last (at the job's
 * acknowledgement, after the notifier's reply).
 */
export function hasReceiptJob(config: ShopConfig): (spans: TraceSpan[]) => boolean {
  const name = `process ${config.names.receiptStream}`;
  return (spans) =>
    spans.some((span) => span.serviceName === 'receipts' && span.kind === 'CONSUMER' && span.name === name);
}
