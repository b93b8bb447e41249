import { context } from '@opentelemetry/api';
import type { MessagingSpan } from '../core/messaging-span';
import { isPromiseLike } from '../core/promise-like';

/**
 * Runs a consumer callback with `span` active, recording what it throws or its promise rejects with, and
 * ending the span when it returns or its promise settles if `endWhenDone` (`noAck` deliveries).
 *
 * Why not the core's `MessagingSpan.run`: amqplib drops whatever the consumer callback returns (it is an
 * event listener). An application whose async callback rejects therefore gets an `unhandledRejection` without
 * tracing; observing that promise with `then(undefined, record)` would mark it handled and silence the
 * application's own error. So the rejection is recorded on a derived promise that rejects in turn with the
 * same error: handed back to amqplib, which drops it, it surfaces as the unhandled rejection it was.
 */
export function runInSpan<T>(span: MessagingSpan, endWhenDone: boolean, callback: () => T): T {
  let result: T;
  try {
    result = context.with(span.context, callback);
  } catch (error) {
    span.recordError(error);
    if (endWhenDone) span.end();
    throw error;
  }
  if (!isPromiseLike(result)) {
    if (endWhenDone) span.end();
    return result;
  }
  return result.then(
    (value) => {
      if (endWhenDone) span.end();
      return value;
    },
    (error: unknown) => {
      span.recordError(error);
      if (endWhenDone) span.end();
      throw error;
    },
  ) as T;
}
