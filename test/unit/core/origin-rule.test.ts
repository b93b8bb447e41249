/**
 * The origin rule of issue 16, through the messaging core with a real SDK and carrier: a send writes
 * `tracebridge-origin`, and a consumed message's work keeps the origin for the sends made in it, only
 * when that hop's span records or its telemetry has a live meter. Sampled and unsampled traces (the SDK's
 * default ParentBased(AlwaysOn) sampler follows the inbound flag), with and without a meter.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { context, SpanKind } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import type { KafkaHeaders } from '../../../src/propagation/kafka-headers-carrier';
import {
  endToEndOf,
  ORIGIN,
  originHeader,
  remoteParent,
  remoteTraceparent,
  REMOTE_TRACE_ID,
} from '../../helpers/end-to-end';
import type { Sampling } from '../../helpers/end-to-end';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
beforeEach(() => {
  tracing = setupTracing('w3c');
});
afterEach(async () => {
  await tracing.shutdown();
});

function telemetry(metered: boolean): MessagingTelemetry {
  return new MessagingTelemetry({
    system: 'kafka',
    ...(metered ? { meterProvider: new MeterProvider() } : {}),
  });
}

/** Headers of a message of that sampling, carrying an origin `agoMs` old at hop `hops`. */
function inbound(sampling: Sampling, originMs: number, hops: number): KafkaHeaders {
  return {
    traceparent: remoteTraceparent(sampling),
    [ORIGIN]: originHeader(originMs, hops),
  };
}

/** One send from `parent`: the headers it injects. */
function sendFrom(t: MessagingTelemetry, parent = context.active()): KafkaHeaders {
  const send = t.startSend({ operationName: 'send', destination: 'next', parent, info: undefined });
  const headers = send.inject(kafkaHeadersCarrier, {});
  send.end();
  return headers;
}

/** Processes one message with `consumer`, sending one with `producer` from its work: what that carries. */
function forwarded(consumer: MessagingTelemetry, producer: MessagingTelemetry, headers: KafkaHeaders) {
  return consumer.process({ destination: 'orders', carrier: kafkaHeadersCarrier, headers, info: 'm' }, () =>
    sendFrom(producer),
  );
}

describe('origin rule: a send', () => {
  for (const [sampling, metered, written] of [
    ['sampled', false, true],
    ['sampled', true, true],
    ['unsampled', false, false],
    ['unsampled', true, true],
  ] as const) {
    it(`${sampling}, ${metered ? 'with' : 'without'} a live meter: ${written ? 'writes' : 'no'} origin`, () => {
      const sent = sendFrom(telemetry(metered), remoteParent(sampling));
      assert.match(String(sent['traceparent']), new RegExp(`^00-${REMOTE_TRACE_ID}-`), 'context propagated');
      if (written) assert.match(String(sent[ORIGIN]), /^v1:\d+:1$/);
      else assert.equal(sent[ORIGIN], undefined);
    });
  }
});

describe('origin rule: a span ended before its context is injected', () => {
  // A Kafka batch send's `create` span is started and ended at once, and its message injected after.
  for (const sampling of ['sampled', 'unsampled'] as const)
    it(`${sampling}, without a live meter: ${sampling === 'sampled' ? 'writes' : 'no'} origin`, () => {
      const t = telemetry(false);
      const create = t.startSend({
        operationName: 'create',
        operationType: 'create',
        destination: 'next',
        parent: remoteParent(sampling),
        info: undefined,
      });
      create.end();
      const sent = t.inject(kafkaHeadersCarrier, create.context, {});
      assert.match(String(sent['traceparent']), new RegExp(`^00-${REMOTE_TRACE_ID}-`), 'context propagated');
      if (sampling === 'sampled') assert.match(String(sent[ORIGIN]), /^v1:\d+:1$/);
      else assert.equal(sent[ORIGIN], undefined);
    });
});

describe('origin rule: a consumed message’s work', () => {
  for (const [sampling, metered, kept] of [
    ['sampled', false, true],
    ['sampled', true, true],
    ['unsampled', false, false],
    ['unsampled', true, true],
  ] as const) {
    it(`${sampling}, ${metered ? 'with' : 'without'} a live meter: ${kept ? 'forwards' : 'keeps no'} origin`, () => {
      const originMs = Date.now() - 1500;
      const t = telemetry(metered);
      const sent = forwarded(t, t, inbound(sampling, originMs, 2));
      assert.match(String(sent['traceparent']), new RegExp(`^00-${REMOTE_TRACE_ID}-`), 'context propagated');
      assert.equal(sent[ORIGIN], kept ? originHeader(originMs, 3) : undefined);
      if (sampling === 'sampled') {
        assert.equal(endToEndOf(tracing.span('process orders', SpanKind.CONSUMER)).hops, 2);
      }
    });
  }

  it('an unsampled, unmetered hop neither parses nor keeps the origin: a metered send after it starts anew', () => {
    const originMs = Date.now() - 60_000;
    const before = Date.now();
    const sent = forwarded(telemetry(false), telemetry(true), inbound('unsampled', originMs, 2));
    // The producer's live meter writes an origin with every valid context; the consumer kept none in its
    // work, so this one is a new origin at the send (hop 1), not the inbound one a minute old.
    const match = /^v1:(\d+):1$/.exec(String(sent[ORIGIN]));
    assert.ok(match !== null, `a new origin, got ${String(sent[ORIGIN])}`);
    assert.ok(Number(match[1]) >= before, 'not the inbound origin');
  });

  it('a metered consumer of an unsampled trace keeps the origin for an unmetered send that does not record', () => {
    const originMs = Date.now() - 1500;
    const sent = forwarded(telemetry(true), telemetry(false), inbound('unsampled', originMs, 2));
    // The send neither records nor meters: the rule holds on its side too.
    assert.equal(sent[ORIGIN], undefined);
  });
});
