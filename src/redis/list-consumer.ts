/**
 * Consumer side of list queues: runs a handler for each value popped from a list, inside its process span.
 */
import { TracebridgeArgumentError, TracebridgeErrorCode } from '../core/errors';
import type { MessagingTelemetry } from '../core/messaging-telemetry';
import { checkOptionTypes } from '../core/option-checks';
import { startEnvelopeProcess, valueBytes } from './envelope-jobs';
import { withoutKeyPrefix } from './key-prefix';
import { CONSUMER_TELEMETRY_OPTIONS, createRedisTelemetry } from './redis-config';
import type { ListConsumerOptions, ListJob } from './redis-options';

/** A handler of list jobs. */
export type ListJobHandler = (job: ListJob) => unknown;

/**
 * Processes popped values. Each runs inside a process span named `process {list}`, parented to the context
 * its producer wrapped it with; a value that is not an envelope is handed over byte for byte, in a new
 * trace. Use the Buffer commands (`brpopBuffer`, `blmoveBuffer`, ...) so envelopes arrive intact.
 * Both methods resolve when every handler has finished, and reject with the first handler error
 * (unchanged) after that.
 */
export interface ListConsumer {
  /**
   * For a reply that names its list: `BRPOP` / `BLPOP` (`[list, value]`) or `BLMPOP` / `LMPOP`
   * (`[list, [value, ...]]`). `null` (a timeout) does nothing. The reply names the list with the client's
   * `keyPrefix`, which the `keyPrefix` option strips. Rejects with `TracebridgeArgumentError`
   * (`TRACEBRIDGE_UNEXPECTED_REPLY`), before any handler runs, for a reply of another shape, so popped
   * values are never silently dropped: that is a mistake in the calling code (the reply of another
   * command), not a setup error, and no handler or span is involved.
   */
  process(reply: unknown, handler: ListJobHandler): Promise<void>;
  /**
   * For values popped from `list` by a command whose reply does not name it: `BLMOVE`, `LMOVE`,
   * `BRPOPLPUSH`, `RPOP` / `LPOP` (one value, or an array with a count). `null` does nothing. `list` is
   * the name the application uses (without a `keyPrefix`). Rejects like {@link process} when `values`
   * holds something other than strings or Buffers.
   */
  processValues(list: string, values: unknown, handler: ListJobHandler): Promise<void>;
}

/** Every option of {@link ListConsumerOptions}. */
const LIST_CONSUMER_OPTIONS = { ...CONSUMER_TELEMETRY_OPTIONS, keyPrefix: 'string' } as const;

/**
 * Creates the consumer-side helper for lists. Throws `TracebridgeConfigError` on an unknown or mistyped
 * option.
 */
export function listConsumer(options: ListConsumerOptions = {}): ListConsumer {
  checkOptionTypes('listConsumer', options, LIST_CONSUMER_OPTIONS);
  const { keyPrefix } = options;
  const telemetry = createRedisTelemetry<never, ListJob>(options);
  return {
    process(reply, handler) {
      if (reply === null || reply === undefined) return Promise.resolve();
      if (!Array.isArray(reply) || reply.length !== 2 || !isValue(reply[0]))
        return Promise.reject(unreadable('process expects a BRPOP, BLPOP or BLMPOP reply'));
      const key = withoutKeyPrefix(reply[0], keyPrefix === '' ? undefined : keyPrefix);
      const list = typeof key === 'string' ? key : key.toString();
      return processValues(telemetry, list, reply[1], handler);
    },
    processValues(list, values, handler) {
      return processValues(telemetry, list, values, handler);
    },
  };
}

async function processValues(
  telemetry: MessagingTelemetry<never, ListJob>,
  list: string,
  values: unknown,
  handler: ListJobHandler,
): Promise<void> {
  if (values === null || values === undefined) return;
  const popped = isValue(values) ? [values] : values;
  if (!Array.isArray(popped) || !popped.every(isValue))
    throw unreadable('the popped values must be strings or Buffers');
  let firstError: { error: unknown } | undefined;
  for (const value of popped) {
    const { span, job } = startEnvelopeProcess(telemetry, list, valueBytes(value), (payload, enveloped) => ({
      list,
      payload,
      enveloped,
    }));
    try {
      await (span === undefined ? handler(job) : span.runAndEnd(() => handler(job)));
    } catch (error) {
      firstError ??= { error };
    }
  }
  if (firstError !== undefined) throw firstError.error;
}

function isValue(value: unknown): value is string | Buffer {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

function unreadable(message: string): TracebridgeArgumentError {
  return new TracebridgeArgumentError(TracebridgeErrorCode.UnexpectedReply, message);
}
