// MessagingSpan.settle: a settle other than ack marks the span an error, but never hides an error already
// recorded on it, by the handler or by the application, which says more than "nack".
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

describe('MessagingSpan.settle', () => {
  let tracing: TestTracing;
  afterEach(async () => {
    await tracing.shutdown();
  });

  function start() {
    tracing = setupTracing('w3c');
    const telemetry = new MessagingTelemetry({ system: 'test' });
    return telemetry.startSend({ destination: 'q', operationName: 'send', info: undefined });
  }

  it('a nack marks an otherwise healthy span an error, with the outcome as its type', () => {
    start().settle({ kind: 'nack', requeue: false });
    const [span] = tracing.spans();
    assert.deepEqual(span!.status, { code: SpanStatusCode.ERROR, message: 'nack' });
    assert.equal(span!.attributes['error.type'], 'nack');
    assert.equal(span!.attributes['tracebridge.messaging.settle.outcome'], 'nack');
  });

  it('keeps the status the application set on the span before nacking', () => {
    const messaging = start();
    messaging.span.setStatus({ code: SpanStatusCode.ERROR, message: 'mail provider timed out' });
    messaging.settle({ kind: 'nack', requeue: false });
    const [span] = tracing.spans();
    assert.deepEqual(span!.status, { code: SpanStatusCode.ERROR, message: 'mail provider timed out' });
    assert.equal(span!.attributes['error.type'], 'nack', 'the application set no type; the outcome is one');
    assert.equal(span!.attributes['tracebridge.messaging.settle.outcome'], 'nack');
  });

  it('keeps the handler error recorded through the span, type included', () => {
    const messaging = start();
    messaging.recordError(new RangeError('out of stock'));
    messaging.settle({ kind: 'reject', requeue: false });
    const [span] = tracing.spans();
    assert.deepEqual(span!.status, { code: SpanStatusCode.ERROR, message: 'out of stock' });
    assert.equal(span!.attributes['error.type'], 'RangeError');
    assert.equal(span!.attributes['tracebridge.messaging.settle.outcome'], 'reject');
  });
});
