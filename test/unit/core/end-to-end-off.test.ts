/**
 * `endToEndLatency: false` through the messaging core, with a real SDK and carrier but no broker: no
 * `tracebridge-origin` written or read, no end-to-end histogram or span attributes, signing unaffected,
 * the instrumentation's default, and what the option refuses at setup on every adapter.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { setInstrumentationDefaults } from '../../../src/core/instrumentation-defaults';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { MessagingTelemetryOptions } from '../../../src/core/messaging-telemetry';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import type { KafkaHeaders } from '../../../src/propagation/kafka-headers-carrier';
import { traceChannel } from '../../../src/amqp/index';
import { traceConsumer, traceProducer } from '../../../src/kafka/index';
import {
  channelListener,
  channelPublisher,
  delayedJobs,
  listConsumer,
  listProducer,
  streamConsumer,
  streamProducer,
  streamWorker,
} from '../../../src/redis/index';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import { resolveGrpcConfig } from '../../../src/grpc/grpc-config';
import {
  assertNoEndToEnd,
  END_TO_END_METRIC,
  endToEndOf,
  histogramPoints,
  ORIGIN,
  originHeader,
} from '../../helpers/end-to-end';
import { SIGNING } from '../../helpers/signatures';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const SIGNATURE = 'tracebridge-signature';

let tracing: TestTracing;
let meters: TestMetrics;
beforeEach(() => {
  tracing = setupTracing('w3c');
  meters = setupMetrics();
});
afterEach(async () => {
  await meters.shutdown();
  await tracing.shutdown();
});

function telemetry(options: MessagingTelemetryOptions = {}): MessagingTelemetry {
  return new MessagingTelemetry({ system: 'kafka', ...options });
}

/** The headers one send through `t` injects, in the context of `parent` work (when given). */
function sent(t: MessagingTelemetry): KafkaHeaders {
  const send = t.startSend({ destination: 'orders', operationName: 'send', info: 'm' });
  const headers = send.inject(kafkaHeadersCarrier, {}) ?? {};
  send.end();
  return headers;
}

/** Processes `headers` through `t`, and returns the headers a send made inside the processing injects. */
function processAndForward(t: MessagingTelemetry, headers: KafkaHeaders): KafkaHeaders {
  return t.process({ destination: 'orders', carrier: kafkaHeadersCarrier, headers, info: 'm' }, () =>
    sent(t),
  );
}

describe('endToEndLatency: false in the messaging core', () => {
  it('a send writes the trace context and no origin', () => {
    const headers = sent(telemetry({ endToEndLatency: false }));
    assert.equal(typeof headers['traceparent'], 'string');
    assert.equal(headers[ORIGIN], undefined);
    assert.ok(sent(telemetry())[ORIGIN], 'the default writes it');
  });

  it('a message with an origin is processed as before, with no end-to-end attributes, points or origin downstream', async () => {
    const off = telemetry({ endToEndLatency: false });
    const inbound = { ...sent(telemetry()), [ORIGIN]: originHeader(Date.now() - 5_000, 2) };
    const forwarded = processAndForward(off, inbound);
    const sendSpan = tracing.spans().filter((s) => s.name === 'send orders')[0]!;
    const processSpan = tracing.span('process orders', SpanKind.CONSUMER);
    assert.equal(processSpan.parentSpanContext?.spanId, sendSpan.spanContext().spanId, 'parent as before');
    assertNoEndToEnd(processSpan, 'no end-to-end latency when off');
    assert.equal(forwarded[ORIGIN], undefined, 'the work carries no origin on');
    assert.equal(typeof forwarded['traceparent'], 'string');
    assert.deepEqual(await histogramPoints(meters, END_TO_END_METRIC), []);
  });

  it('a downstream hop with the default counts the message as a new origin', () => {
    const headers = sent(telemetry({ endToEndLatency: false }));
    const forwarded = processAndForward(telemetry(), headers);
    const processSpan = tracing.span('process orders', SpanKind.CONSUMER);
    assertNoEndToEnd(processSpan, 'no inbound origin: a new one at this hop');
    assert.match(String(forwarded[ORIGIN]), /^v1:\d+:1$/, 'its sends carry its own origin, at hop 1');
  });

  it('the default still records (the control of the tests above)', async () => {
    processAndForward(telemetry(), { ...sent(telemetry()), [ORIGIN]: originHeader(Date.now() - 5_000, 2) });
    assert.equal(endToEndOf(tracing.span('process orders', SpanKind.CONSUMER)).hops, 2);
    assert.equal((await histogramPoints(meters, END_TO_END_METRIC)).length, 1);
  });

  it('signing keeps working: the signature is written and verified, the origin is not written', () => {
    const headers = sent(telemetry({ endToEndLatency: false, signing: SIGNING }));
    assert.equal(typeof headers[SIGNATURE], 'string');
    assert.equal(headers[ORIGIN], undefined);
    processAndForward(telemetry({ endToEndLatency: false, signing: SIGNING }), headers);
    const sendSpan = tracing.spans().filter((s) => s.name === 'send orders')[0]!;
    const processSpan = tracing.span('process orders', SpanKind.CONSUMER);
    assert.equal(processSpan.parentSpanContext?.spanId, sendSpan.spanContext().spanId, 'verified: continued');
    assertNoEndToEnd(processSpan, 'off');
  });

  it('an instrumentation’s default applies to telemetry created without the option; the option wins', () => {
    setInstrumentationDefaults('kafka', Object.freeze({ endToEndLatency: false }));
    try {
      assert.equal(sent(telemetry())[ORIGIN], undefined);
      assert.ok(sent(telemetry({ endToEndLatency: true }))[ORIGIN]);
      assert.ok(sent(new MessagingTelemetry({ system: 'rabbitmq' }))[ORIGIN], 'defaults are per transport');
    } finally {
      setInstrumentationDefaults('kafka', undefined);
    }
  });

  it('gRPC: no origin writer, reader or end-to-end recorder when off; signing still has its writer', () => {
    const client = resolveGrpcConfig({ endToEndLatency: false }, 'client');
    const server = resolveGrpcConfig({ endToEndLatency: false }, 'server');
    assert.deepEqual(
      [client.ownFieldsWriter, server.ownFieldsReader, server.endToEnd, server.origins],
      [undefined, undefined, undefined, false],
    );
    assert.deepEqual(
      resolveGrpcConfig({ signing: SIGNING, endToEndLatency: false }, 'server').ownFieldsReader?.fields(),
      [SIGNATURE],
    );
    assert.deepEqual(resolveGrpcConfig({}, 'server').ownFieldsReader?.fields(), [ORIGIN]);
  });
});

describe('endToEndLatency is checked at setup', () => {
  const wrapped = new Proxy({}, { get: () => () => undefined }) as never;
  const bad = 'no' as unknown as boolean;
  const refusals: [string, () => unknown][] = [
    ['core', () => telemetry({ endToEndLatency: bad })],
    ['traceProducer', () => traceProducer(wrapped, { endToEndLatency: bad })],
    ['traceConsumer', () => traceConsumer(wrapped, { endToEndLatency: bad })],
    ['traceChannel', () => traceChannel(wrapped, { endToEndLatency: bad })],
    ['streamProducer', () => streamProducer(wrapped, { stream: 'jobs', endToEndLatency: bad })],
    ['streamConsumer', () => streamConsumer(wrapped, { group: 'g', consumer: 'c', endToEndLatency: bad })],
    [
      'streamWorker',
      () =>
        streamWorker(wrapped, {
          stream: 'jobs',
          group: 'g',
          consumer: 'c',
          handler: () => undefined,
          endToEndLatency: bad,
        }),
    ],
    ['listProducer', () => listProducer(wrapped, { list: 'jobs', endToEndLatency: bad })],
    ['listConsumer', () => listConsumer({ endToEndLatency: bad })],
    ['channelPublisher', () => channelPublisher(wrapped, { endToEndLatency: bad })],
    ['channelListener', () => channelListener(wrapped, () => undefined, { endToEndLatency: bad })],
    ['delayedJobs', () => delayedJobs(wrapped, { stream: 'jobs', endToEndLatency: bad })],
    ['grpcClientInterceptor', () => grpcClientInterceptor({ endToEndLatency: bad })],
    ['grpcServerInterceptor', () => grpcServerInterceptor({ endToEndLatency: bad })],
    ['bullmqTelemetry', () => bullmqTelemetry({ endToEndLatency: bad })],
  ];
  for (const [where, create] of refusals) {
    it(`${where} refuses a value other than a boolean`, () => {
      assert.throws(
        create,
        (error: unknown) =>
          error instanceof TracebridgeConfigError &&
          error.code === TracebridgeErrorCode.InvalidOption &&
          /endToEndLatency/.test(error.message),
      );
    });
  }

  it('the adapters accept both values', () => {
    for (const value of [true, false]) {
      telemetry({ endToEndLatency: value });
      traceProducer(wrapped, { endToEndLatency: value });
      traceConsumer(wrapped, { endToEndLatency: value });
      traceChannel(wrapped, { endToEndLatency: value });
      streamProducer(wrapped, { stream: 'jobs', endToEndLatency: value });
      listProducer(wrapped, { list: 'jobs', endToEndLatency: value });
      listConsumer({ endToEndLatency: value });
      channelPublisher(wrapped, { endToEndLatency: value });
      grpcClientInterceptor({ endToEndLatency: value });
      grpcServerInterceptor({ endToEndLatency: value });
      bullmqTelemetry({ endToEndLatency: value });
    }
  });

  it('a malformed originMaxAgeMs is refused with the option off too', () => {
    assert.throws(() => telemetry({ endToEndLatency: false, originMaxAgeMs: -1 }), {
      name: 'TracebridgeConfigError',
      message: /originMaxAgeMs/,
    });
  });
});
