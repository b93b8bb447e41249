// traceChannel's options: every documented option is accepted, anything else is refused at setup with
// the closest valid name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceChannel } from '../../../src/amqp/index';
import type { AmqpTracingOptions } from '../../../src/amqp/index';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';

/** A channel every method of which is a no-op: `traceChannel` wraps it without calling any here. */
const channel = new Proxy({}, { get: () => () => undefined }) as never;

function refused(options: object, message: RegExp): void {
  assert.throws(
    () => traceChannel(channel, options as AmqpTracingOptions),
    (error: unknown) =>
      error instanceof TracebridgeConfigError &&
      error.code === TracebridgeErrorCode.InvalidOption &&
      message.test(error.message),
  );
}

describe('traceChannel options', () => {
  it('refuses an unknown option, naming the closest valid one', () => {
    refused(
      { publishHok: () => undefined },
      /^traceChannel: unknown option `publishHok`; did you mean `publishHook`\?$/,
    );
    refused({ maxPending: 10 }, /did you mean `maxPendingSettles`\?$/);
    refused({ recordMessageKeys: false }, /unknown option `recordMessageKeys`/);
  });

  it('accepts every documented option, and type-checks incoming', () => {
    traceChannel(channel, {
      tracerProvider: undefined,
      meterProvider: undefined,
      incoming: 'link',
      publishHook: () => undefined,
      consumeHook: () => undefined,
      setTimestamp: false,
      maxPendingSettles: 5,
    });
    refused({ incoming: 3 }, /option `incoming` must be a string or object, got 3/);
  });
});
