// A throwing hook is logged under the option the user gave it as (`producerHook`, `consumeHook`), not the
// core's internal name, and the send or process goes ahead.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import { amqpHeadersCarrier } from '../../../src/propagation/amqp-headers-carrier';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
let errors: string[];
beforeEach(() => {
  tracing = setupTracing('w3c');
  errors = [];
  const ignore = () => undefined;
  diag.setLogger(
    {
      error: (_namespace: string, message?: unknown) => {
        errors.push(String(message));
      },
      warn: ignore,
      info: ignore,
      debug: ignore,
      verbose: ignore,
    },
    DiagLogLevel.ERROR,
  );
});
afterEach(async () => {
  diag.disable();
  await tracing.shutdown();
});

const failing = () => {
  throw new Error('hook bug');
};

describe('hook names in logs', () => {
  it('names the adapter’s option when given, the core’s name otherwise', () => {
    const named = new MessagingTelemetry({
      system: 'kafka',
      sendHook: failing,
      processHook: failing,
      hookNames: { send: 'producerHook', process: 'consumerHook' },
    });
    named.startSend({ destination: 'orders', operationName: 'send', info: undefined }).end();
    named
      .startProcess({
        destination: 'orders',
        carrier: amqpHeadersCarrier,
        headers: undefined,
        info: undefined,
      })
      .end();
    new MessagingTelemetry({ system: 'redis', sendHook: failing })
      .startSend({ destination: 'jobs', operationName: 'send', info: undefined })
      .end();
    assert.deepEqual(errors, [
      'producerHook threw; the hook is skipped for this span',
      'consumerHook threw; the hook is skipped for this span',
      'sendHook threw; the hook is skipped for this span',
    ]);
    assert.equal(tracing.spans().length, 3, 'every span still ended');
  });
});
