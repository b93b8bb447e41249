/**
 * The middle policy, `'continue'`, and signature verification as the core applies them, with the real SDK
 * (its default sampler is ParentBased(AlwaysOn): a remote parent's sampled flag decides).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import { SIGNATURE_HEADER } from '../../../src/core/context-signing';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { MessagingTelemetryOptions } from '../../../src/core/messaging-telemetry';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import type { KafkaHeaders } from '../../../src/propagation/kafka-headers-carrier';
import {
  assertAttributes,
  assertChildOf,
  assertLinks,
  assertRoot,
  setupTracing,
} from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
beforeEach(() => (tracing = setupTracing('w3c')));
afterEach(() => tracing.shutdown());

const SECRET = { id: 'k1', secret: 's'.repeat(32) };

/** An outsider's message: a context it chose, with tracestate and baggage to be echoed downstream. */
function outsiderHeaders(sampled: boolean): { headers: KafkaHeaders; sender: SpanContext } {
  const sender: SpanContext = {
    traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    spanId: 'bbbbbbbbbbbbbbbb',
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
  };
  return {
    sender,
    headers: {
      traceparent: `00-${sender.traceId}-${sender.spanId}-${sampled ? '01' : '00'}`,
      tracestate: 'vendor=chosen-by-outsider',
      baggage: 'tenant=evil',
    },
  };
}

/** Processes `headers` and returns the process span and what the handler would inject downstream. */
function processOnce(options: MessagingTelemetryOptions<string, string>, headers: KafkaHeaders) {
  const t = new MessagingTelemetry<string, string>({ system: 'kafka', ...options });
  const downstream = t.process(
    { destination: 'ingress', carrier: kafkaHeadersCarrier, headers, info: 'm' },
    () => ({
      baggage: propagation.getBaggage(context.active())?.getAllEntries() ?? [],
      headers: kafkaHeadersCarrier.inject(context.active(), {}) ?? {},
      recording: trace.getActiveSpan()?.isRecording(),
    }),
  );
  return { downstream, spans: tracing.spans() };
}

describe("the 'continue' policy", () => {
  it('continues the trace under the sender span, without its baggage or tracestate', () => {
    const { headers, sender } = outsiderHeaders(true);
    const { downstream, spans } = processOnce({ incoming: 'continue' }, headers);
    assert.equal(spans.length, 1);
    assertChildOf(spans[0]!, sender);
    assertAttributes(spans[0]!, { 'tracebridge.incoming.policy': 'continue' });
    assert.deepEqual(downstream.baggage, []);
    assert.equal(downstream.headers['tracestate'], undefined, 'tracestate is not echoed to the next hop');
    assert.equal(downstream.headers['baggage'], undefined);
  });

  it("'parent' echoes both, for comparison", () => {
    const { headers } = outsiderHeaders(true);
    const { downstream } = processOnce({ incoming: 'parent' }, headers);
    assert.equal(downstream.headers['tracestate'], 'vendor=chosen-by-outsider');
    assert.equal(downstream.headers['baggage'], 'tenant=evil');
  });

  it('without sampleRatio honours the sender flag; with it the sender can neither force nor stop recording', () => {
    assert.equal(
      processOnce({ incoming: 'continue' }, outsiderHeaders(true).headers).downstream.recording,
      true,
    );
    tracing.reset();
    const never = { incoming: { default: 'continue', sampleRatio: 0 } } as const;
    const forced = processOnce(never, outsiderHeaders(true).headers);
    assert.equal(forced.downstream.recording, false, 'a sampled flag from outside does not force recording');
    assert.equal(forced.spans.length, 0);
    assert.equal(
      (forced.downstream.headers['traceparent'] as string).slice(3, 35),
      'a'.repeat(32),
      'the trace id still propagates',
    );
    const always = { incoming: { default: 'continue', sampleRatio: 1 } } as const;
    assert.equal(processOnce(always, outsiderHeaders(false).headers).downstream.recording, true);
  });
});

describe('signature verification in the core', () => {
  function signedHeaders(): { headers: KafkaHeaders; sendSpanContext: SpanContext } {
    const producer = new MessagingTelemetry<string, string>({
      system: 'kafka',
      signing: { keys: [SECRET], signWith: SECRET.id },
    });
    const send = producer.startSend({ destination: 'orders', operationName: 'send', info: 'm' });
    const headers = send.inject(kafkaHeadersCarrier, {}) ?? {};
    send.end();
    return { headers, sendSpanContext: send.span.spanContext() };
  }
  const verifying = { signing: { keys: [SECRET] } } as const;

  it('continues a verified context as its parent', () => {
    const { headers, sendSpanContext } = signedHeaders();
    assert.ok(typeof headers[SIGNATURE_HEADER] === 'string');
    tracing.reset();
    const { spans } = processOnce(verifying, headers);
    assertChildOf(spans[0]!, sendSpanContext);
    assertAttributes(spans[0]!, { 'tracebridge.trust.signature': 'valid' });
    assert.equal(spans[0]!.attributes['tracebridge.incoming.policy'], undefined);
  });

  it("links an unsigned one (or ignores it, with unverified: 'ignore')", () => {
    const { headers, sender } = outsiderHeaders(true);
    const linked = processOnce(verifying, headers).spans[0]!;
    assertRoot(linked);
    assertLinks(linked, [sender]);
    assertAttributes(linked, {
      'tracebridge.incoming.policy': 'link',
      'tracebridge.trust.signature': 'missing',
    });
    tracing.reset();
    const ignoring = { signing: { keys: [SECRET], unverified: 'ignore' } } as const;
    const ignored = processOnce(ignoring, headers).spans[0]!;
    assertRoot(ignored);
    assertLinks(ignored, []);
    assert.notEqual(ignored.spanContext().traceId, sender.traceId);
  });

  it("does not verify where the policy does not continue anyway ('link')", () => {
    const { headers } = signedHeaders();
    tracing.reset();
    const span = processOnce({ ...verifying, incoming: 'link' }, headers).spans[0]!;
    assertRoot(span);
    assert.equal(span.attributes['tracebridge.trust.signature'], undefined);
  });

  it('with no context at all, there is nothing to verify', () => {
    const span = processOnce(verifying, {}).spans[0]!;
    assertRoot(span);
    assert.equal(span.attributes['tracebridge.trust.signature'], undefined);
  });
});
