// MessagingSpan.runUnawaited: for callers that drop the work's result (event listeners), a rejection is
// recorded and still surfaces as the same error on the promise handed back.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

describe('MessagingSpan.runUnawaited', () => {
  let tracing: TestTracing;
  afterEach(async () => {
    await tracing.shutdown();
  });

  function start() {
    tracing = setupTracing('w3c');
    const telemetry = new MessagingTelemetry({ system: 'test' });
    return telemetry.startSend({ destination: 'q', operationName: 'send', info: undefined });
  }

  it('runs the work inside the span and, asked to, ends it when the promise settles', async () => {
    const span = start();
    let active: string | undefined;
    const result = span.runUnawaited(async () => {
      active = trace.getActiveSpan()?.spanContext().spanId;
      return 7;
    }, true);
    assert.equal(await result, 7);
    assert.equal(active, span.span.spanContext().spanId);
    assert.equal(span.ended, true);
    assert.equal(tracing.spans().length, 1);
  });

  it('a rejection is recorded and rejects the returned promise again with the same error', async () => {
    const span = start();
    const failure = new Error('handler failed');
    const result = span.runUnawaited(() => Promise.reject(failure), false);
    await assert.rejects(result, (error) => error === failure);
    assert.equal(span.ended, false, 'not ended without endWhenDone');
    span.end();
    assert.equal(tracing.spans()[0]?.status.code, SpanStatusCode.ERROR);
  });

  it('a synchronous throw is recorded, ends the span when asked, and is re-thrown', () => {
    const span = start();
    const failure = new Error('boom');
    assert.throws(
      () =>
        span.runUnawaited(() => {
          throw failure;
        }, true),
      (error) => error === failure,
    );
    assert.equal(tracing.spans()[0]?.status.message, 'boom');
  });
});
