// MessagingSpan.inert: a span of an unsampled trace, with no live meter, has nothing to record at its end,
// so its runners end it as the host's promise is handed back, with no reaction on that promise.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { MessagingSpan } from '../../../src/core/messaging-span';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const UNSAMPLED_PARENT = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.NONE,
  isRemote: true,
});

/** A promise that rejects only when told to, and whether anything reacted to it. */
function pendingRejection(): {
  promise: Promise<never>;
  reject: (error: Error) => void;
  reactions: () => number;
} {
  let reject!: (error: Error) => void;
  const promise = new Promise<never>((_resolve, rejectPromise) => {
    reject = rejectPromise;
  });
  let reactions = 0;
  const then = promise.then.bind(promise);
  promise.then = ((...args: Parameters<typeof then>) => {
    reactions++;
    return then(...args);
  }) as typeof promise.then;
  return { promise, reject, reactions: () => reactions };
}

describe('MessagingSpan.inert', () => {
  let tracing: TestTracing | undefined;
  let metrics: TestMetrics | undefined;
  afterEach(async () => {
    await metrics?.shutdown();
    metrics = undefined;
    await tracing?.shutdown();
  });

  function send(sampled: boolean, metered = false): MessagingSpan {
    tracing = setupTracing('w3c');
    if (metered) metrics = setupMetrics();
    const telemetry = new MessagingTelemetry({ system: 'test' });
    return telemetry.startSend({
      destination: 'q',
      operationName: 'send',
      info: undefined,
      ...(sampled ? {} : { parent: UNSAMPLED_PARENT }),
    });
  }

  it('is true for a span that does not record, with no live meter', () => {
    assert.equal(send(false).inert, true);
  });

  it('is false for a recording span', () => {
    assert.equal(send(true).inert, false);
  });

  it('is false for a span a live meter measures, recording or not', () => {
    assert.equal(send(false, true).inert, false);
  });

  it('runAndEnd: an inert span ends at once and the host gets its own promise, unobserved', async () => {
    const span = send(false);
    const pending = pendingRejection();
    const returned = span.runAndEnd(() => pending.promise);
    assert.equal(returned, pending.promise, 'the very promise the work returned');
    assert.equal(span.ended, true);
    assert.equal(pending.reactions(), 0, 'tracebridge added no reaction to it');
    const failure = new Error('the host’s own');
    pending.reject(failure);
    await assert.rejects(returned, (error) => error === failure);
  });

  it('runAndEnd: a recording span still waits for the promise and records its rejection', async () => {
    const span = send(true);
    const pending = pendingRejection();
    const returned = span.runAndEnd(() => pending.promise);
    assert.equal(span.ended, false);
    assert.equal(pending.reactions(), 1);
    pending.reject(new Error('failed'));
    await assert.rejects(returned);
    assert.equal(span.ended, true);
    assert.equal(tracing?.spans()[0]?.attributes['error.type'], 'Error');
  });

  it('runWith and runUnawaitedWith: no reaction on an inert span’s promise either', async () => {
    const span = send(false);
    const first = pendingRejection();
    assert.equal(
      span.runWith((p: Promise<never>) => p, first.promise),
      first.promise,
    );
    const second = pendingRejection();
    assert.equal(
      span.runUnawaitedWith((p: Promise<never>) => p, second.promise, true),
      second.promise,
      'the host’s promise, not a derived one',
    );
    assert.equal(span.ended, true);
    assert.equal(first.reactions() + second.reactions(), 0);
    first.reject(new Error('one'));
    second.reject(new Error('two'));
    await assert.rejects(first.promise);
    await assert.rejects(second.promise);
  });
});
