/**
 * Assertions across a hop between tracebridge (spans exported in this process) and a peer process (spans
 * it reported, see `peer-process.ts`): the same trace id on both sides, and the receiving span the child
 * of the sending one.
 */
import assert from 'node:assert/strict';
import type { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { waitUntil } from './kafka-fixture';
import type { PeerSpan } from './peer-process';
import type { TestTracing } from './tracing';

/** Asserts the peer's `received` span continues tracebridge's `sender` span: same trace, parented to it. */
export function assertPeerChildOf(received: PeerSpan, sender: ReadableSpan): void {
  assert.equal(received.traceId, sender.spanContext().traceId, `${received.name}: trace id`);
  assert.equal(received.parentSpanId, sender.spanContext().spanId, `${received.name}: parent span id`);
}

/** Asserts tracebridge's `received` span continues the peer's `sender` span, as a remote parent. */
export function assertChildOfPeer(received: ReadableSpan, sender: PeerSpan): void {
  assert.equal(received.spanContext().traceId, sender.traceId, `${received.name}: trace id`);
  assert.equal(received.parentSpanContext?.spanId, sender.spanId, `${received.name}: parent span id`);
  assert.equal(received.parentSpanContext?.isRemote, true, `${received.name}: remote parent`);
}

/**
 * Waits (as long as a Kafka consumer may take to join its group) for the one span tracebridge exports
 * named `name`, of `kind`.
 */
export async function exportedSpan(
  tracing: TestTracing,
  name: string,
  kind: SpanKind,
): Promise<ReadableSpan> {
  await waitUntil(`tracebridge's span ${name}`, () => tracing.spans().some((s) => s.name === name));
  return tracing.span(name, kind);
}
