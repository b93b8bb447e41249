/** The AMQP request/reply between `receipts` (requester) and `notifier` (responder). */

/** What `receipts` asks the notifier to deliver. */
export interface ReceiptRequest {
  readonly orderId: string;
  readonly receiptId: string;
  readonly customerId: string;
}

/** The notifier's answer. */
export interface ReceiptReply {
  readonly delivered: boolean;
  readonly orderId: string;
}
