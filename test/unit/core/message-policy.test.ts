/**
 * A message's own `policy` (a BullMQ scheduled job's run starts its own trace): it can make one message
 * trust its context less than its destination does, never more.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import { context } from '@opentelemetry/api';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { IncomingPolicy } from '../../../src/core/trust-policy';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import { assertChildOf, assertLinks, assertRoot, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
beforeEach(() => {
  tracing = setupTracing('w3c');
});
afterEach(() => tracing.shutdown());

function sendAndProcess(destinationPolicy: IncomingPolicy, messagePolicy: IncomingPolicy | undefined) {
  const t = new MessagingTelemetry<string, string>({ system: 'bullmq', incoming: destinationPolicy });
  const send = t.startSend({
    destination: 'jobs',
    operationName: 'send',
    parent: context.active(),
    info: '',
  });
  const headers = send.inject(kafkaHeadersCarrier, {});
  send.end();
  t.startProcess({
    destination: 'jobs',
    carrier: kafkaHeadersCarrier,
    headers,
    policy: messagePolicy,
    info: '',
  }).end();
  return { send: tracing.span('send jobs'), processing: tracing.span('process jobs') };
}

describe("a message's own incoming policy", () => {
  it("links a message whose policy is 'link' on a destination that trusts its parents", () => {
    const { send, processing } = sendAndProcess('parent', 'link');
    assertRoot(processing);
    assertLinks(processing, [send]);
  });

  it('never trusts more than the destination does', () => {
    const { send, processing } = sendAndProcess('link', 'parent');
    assertRoot(processing);
    assertLinks(processing, [send]);
  });

  it("leaves the destination's policy in force when it gives none", () => {
    const { send, processing } = sendAndProcess('parent', undefined);
    assertChildOf(processing, send);
  });

  it("keeps 'ignore' over a message's 'link'", () => {
    const { processing } = sendAndProcess('ignore', 'link');
    assertRoot(processing);
    assertLinks(processing, []);
  });
});
