/**
 * End-to-end latency through the messaging core, with a real SDK and carrier but no broker: the
 * `originMaxAgeMs` bound, the consumer group on the metric, reply queues by template, span attributes
 * without a MeterProvider, and what the option refuses at setup.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  createNoopMeter,
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  SpanKind,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { EndToEndLatency } from '../../../src/core/end-to-end-latency';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { MessagingTelemetryOptions } from '../../../src/core/messaging-telemetry';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import type { KafkaHeaders } from '../../../src/propagation/kafka-headers-carrier';
import {
  assertNoEndToEnd,
  END_TO_END_METRIC,
  endToEndOf,
  histogramPoints,
  ORIGIN,
  originHeader,
  pointWith,
} from '../../helpers/end-to-end';
import { OUTSIDER, OUTSIDER_TRACEPARENT } from '../../helpers/signatures';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
let meters: TestMetrics | undefined;
beforeEach(() => {
  tracing = setupTracing('w3c');
});
afterEach(async () => {
  await meters?.shutdown();
  meters = undefined;
  await tracing.shutdown();
});

function telemetry(options: MessagingTelemetryOptions = {}): MessagingTelemetry {
  return new MessagingTelemetry({ system: 'rabbitmq', ...options });
}

function processOne(t: MessagingTelemetry, headers: KafkaHeaders, extra: object = {}): void {
  t.process({ destination: 'orders', carrier: kafkaHeadersCarrier, headers, info: 'm', ...extra }, () => {});
}

/** Processes one message with `t` and sends one from its work: the headers that send carries. */
function sentFromWork(t: MessagingTelemetry, headers: KafkaHeaders): KafkaHeaders {
  let sent: KafkaHeaders = {};
  t.process({ destination: 'orders', carrier: kafkaHeadersCarrier, headers, info: 'm' }, () => {
    const send = t.startSend({ operationName: 'send', destination: 'next', info: undefined });
    sent = send.inject(kafkaHeadersCarrier, {});
    send.end();
  });
  return sent;
}

const fromOutsider = (origin: string): KafkaHeaders => ({
  traceparent: OUTSIDER_TRACEPARENT,
  [ORIGIN]: origin,
});

describe('end-to-end latency in the messaging core', () => {
  it('an origin older than originMaxAgeMs is ignored; a younger one is recorded', () => {
    const t = telemetry({ originMaxAgeMs: 10_000 });
    processOne(t, fromOutsider(originHeader(Date.now() - 60_000, 1)));
    processOne(t, fromOutsider(originHeader(Date.now() - 5_000, 1)));
    const [old, young] = tracing.spans();
    assertNoEndToEnd(old!, 'older than the bound');
    assert.ok(endToEndOf(young!).ms >= 5_000);
  });

  it('the metric carries the consumer group; a reply queue is counted by its template', async () => {
    meters = setupMetrics();
    const t = telemetry();
    const origin = fromOutsider(originHeader(Date.now() - 1000, 1));
    processOne(t, origin, { consumerGroup: 'billing' });
    processOne(t, origin, {
      destination: 'amq.gen-Xy1',
      destinationTraits: { template: 'amq.rabbitmq.reply-to', temporary: true },
    });
    const points = await histogramPoints(meters, END_TO_END_METRIC);
    assert.equal(pointWith(points, { 'messaging.consumer.group.name': 'billing' }).count, 1);
    const reply = pointWith(points, { 'messaging.destination.template': 'amq.rabbitmq.reply-to' });
    assert.equal(reply.attributes['messaging.destination.name'], undefined, 'no per-queue series');
  });

  it('without a MeterProvider, recording spans still get the attributes', () => {
    processOne(telemetry(), fromOutsider(originHeader(Date.now() - 1000, 7)));
    assert.equal(endToEndOf(tracing.span('process orders', SpanKind.CONSUMER)).hops, 7);
  });

  it('originMaxAgeMs must be a positive integer of ms', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '1000' as unknown as number]) {
      assert.throws(
        () => telemetry({ originMaxAgeMs: bad }),
        (error: unknown) =>
          error instanceof TracebridgeConfigError && error.code === TracebridgeErrorCode.InvalidOption,
        String(bad),
      );
    }
  });
});

describe('end-to-end latency: what a hop keeps when nothing records', () => {
  const validSpan = trace.wrapSpanContext({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.NONE,
  });

  it('no origin for a span that neither records nor propagates, without a live histogram', () => {
    const latency = new EndToEndLatency(createNoopMeter(), 'messaging', undefined);
    const span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    assert.equal(latency.wants(span, span.isRecording()), false);
  });

  it('no origin for an unsampled span with a valid context, without a live histogram', () => {
    const latency = new EndToEndLatency(createNoopMeter(), 'messaging', undefined);
    assert.equal(latency.wants(validSpan, validSpan.isRecording()), false);
  });

  it('with no SDK at all and no meter, a sampled inbound trace’s origin travels on one hop further (the hops after it sample)', () => {
    const t = telemetry({ tracerProvider: new ProxyTracerProvider() });
    const originMs = Date.now() - 2000;
    const sent = sentFromWork(t, fromOutsider(originHeader(originMs, 4)));
    assert.equal(sent[ORIGIN], originHeader(originMs, 5), 'the hops after it record the sampled trace');
    assert.match(String(sent['traceparent']), new RegExp(`^00-${OUTSIDER.traceId}-`), 'context propagated');
    assert.equal(tracing.spans().length, 0, 'no SDK span was made');
  });

  it('with no SDK at all and no meter, an unsampled inbound trace’s origin is not forwarded; its context is', () => {
    const t = telemetry({ tracerProvider: new ProxyTracerProvider() });
    const sent = sentFromWork(t, {
      traceparent: OUTSIDER_TRACEPARENT.replace(/-01$/, '-00'),
      [ORIGIN]: originHeader(Date.now() - 2000, 4),
    });
    assert.equal(sent[ORIGIN], undefined, 'an unsampled hop that does not meter forwards no origin');
    assert.match(
      String(sent['traceparent']),
      new RegExp(`^00-${OUTSIDER.traceId}-.*-00$`),
      'context propagated',
    );
  });

  it('with no SDK at all but a live meter, an inbound trace’s origin travels on one hop further', () => {
    const t = telemetry({ tracerProvider: new ProxyTracerProvider(), meterProvider: new MeterProvider() });
    const originMs = Date.now() - 2000;
    const sent = sentFromWork(t, fromOutsider(originHeader(originMs, 4)));
    assert.equal(sent[ORIGIN], originHeader(originMs, 5));
    assert.equal(tracing.spans().length, 0, 'no SDK span was made');
  });
});
