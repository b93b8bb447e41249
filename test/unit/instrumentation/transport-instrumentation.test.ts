/**
 * The instrumentation classes as NodeSDK drives them: providers set after the wrappers exist,
 * enable/disable, setConfig defaults, and configuration from the environment. Spans come from a real SDK
 * and are made by the messaging core and the gRPC interceptor config exactly as the wrappers make them.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { MessagingTelemetry, kafkaHeadersCarrier } from 'tracebridge';
import {
  TracebridgeAmqpInstrumentation,
  TracebridgeGrpcInstrumentation,
  TracebridgeInstrumentation,
  TracebridgeKafkaInstrumentation,
  TracebridgeRedisInstrumentation,
} from 'tracebridge/instrumentation';
import type { TransportInstrumentation } from 'tracebridge/instrumentation';
import { setInstrumentationDefaults } from '../../../src/core/instrumentation-defaults';
import { resolveGrpcConfig } from '../../../src/grpc/grpc-config';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const ENV_KEYS = [
  'TRACEBRIDGE_INCOMING',
  'TRACEBRIDGE_KAFKA_INCOMING',
  'TRACEBRIDGE_ZERO_CODE',
  'TRACEBRIDGE_UNPATCH_CONTRIB',
  'OTEL_SEMCONV_STABILITY_OPT_IN',
  'OTEL_NODE_DISABLED_INSTRUMENTATIONS',
  'TRACEBRIDGE_END_TO_END_LATENCY',
];

function ownProvider(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return {
    exporter,
    provider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  };
}

/** A send and a process as the Kafka wrappers make them: the process message carries the send's context. */
function sendThenProcess(telemetry: MessagingTelemetry): void {
  const send = telemetry.startSend({ destination: 'orders', operationName: 'send', info: undefined });
  const headers = send.inject(kafkaHeadersCarrier, {}) ?? {};
  send.end();
  telemetry.process(
    { destination: 'orders', carrier: kafkaHeadersCarrier, headers, ambient: ROOT_CONTEXT, info: undefined },
    () => undefined,
  );
}

describe('tracebridge/instrumentation', () => {
  let tracing: TestTracing;
  const made: TransportInstrumentation[] = [];
  const saved = new Map<string, string | undefined>();
  const track = <T extends TransportInstrumentation>(instrumentation: T): T => {
    made.push(instrumentation);
    return instrumentation;
  };

  beforeEach(() => {
    tracing = setupTracing('w3c');
    for (const key of ENV_KEYS) saved.set(key, process.env[key]);
  });
  afterEach(async () => {
    for (const instrumentation of made.splice(0)) instrumentation.disable();
    for (const scope of ['kafka', 'rabbitmq', 'grpc', 'redis'] as const)
      setInstrumentationDefaults(scope, undefined);
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await tracing.shutdown();
  });

  it('wrappers made before NodeSDK sets the provider record to that provider from then on', () => {
    const instrumentation = track(new TracebridgeKafkaInstrumentation());
    const telemetry = new MessagingTelemetry({ system: 'kafka' });
    const own = ownProvider();
    instrumentation.setTracerProvider(own.provider);
    sendThenProcess(telemetry);
    assert.deepEqual(
      own.exporter.getFinishedSpans().map((s) => [s.name, s.kind]),
      [
        ['send orders', SpanKind.PRODUCER],
        ['process orders', SpanKind.CONSUMER],
      ],
    );
    assert.equal(tracing.spans().length, 0, 'nothing went to the global provider');
  });

  it('disable() makes its wrappers record nothing, and enable() brings them back', () => {
    const instrumentation = track(new TracebridgeKafkaInstrumentation());
    const telemetry = new MessagingTelemetry({ system: 'kafka' });
    instrumentation.disable();
    sendThenProcess(telemetry);
    assert.equal(tracing.spans().length, 0);
    instrumentation.enable();
    sendThenProcess(telemetry);
    assert.equal(tracing.spans().length, 2);
  });

  it('an option given to a wrapper wins over the instrumentation', () => {
    const instrumentation = track(new TracebridgeKafkaInstrumentation());
    const own = ownProvider();
    const telemetry = new MessagingTelemetry({ system: 'kafka', tracerProvider: own.provider });
    instrumentation.disable();
    sendThenProcess(telemetry);
    assert.equal(own.exporter.getFinishedSpans().length, 2, 'its own provider, not the disabled default');
  });

  it('setConfig({ incoming }) is the policy of wrappers created afterwards without one', () => {
    const instrumentation = track(new TracebridgeKafkaInstrumentation());
    instrumentation.setConfig({ incoming: 'link' });
    sendThenProcess(new MessagingTelemetry({ system: 'kafka' }));
    const send = tracing.span('send orders');
    const processed = tracing.span('process orders');
    assert.notEqual(processed.spanContext().traceId, send.spanContext().traceId, 'a new trace');
    assert.deepEqual(
      processed.links.map((l) => l.context.spanId),
      [send.spanContext().spanId],
    );
    assert.equal(processed.attributes['tracebridge.incoming.policy'], 'link');
  });

  it('the gRPC instrumentation gives the interceptors its provider', () => {
    const instrumentation = track(new TracebridgeGrpcInstrumentation());
    const own = ownProvider();
    instrumentation.setTracerProvider(own.provider);
    resolveGrpcConfig({}, 'client').tracer.startSpan('call').end();
    assert.deepEqual(
      own.exporter.getFinishedSpans().map((s) => s.name),
      ['call'],
    );
  });

  it('reads TRACEBRIDGE_* and OTEL_* variables when created, the transport’s own first', () => {
    process.env['TRACEBRIDGE_INCOMING'] = 'ignore';
    process.env['TRACEBRIDGE_KAFKA_INCOMING'] = 'link';
    process.env['TRACEBRIDGE_ZERO_CODE'] = 'true';
    process.env['TRACEBRIDGE_UNPATCH_CONTRIB'] = 'false';
    process.env['OTEL_SEMCONV_STABILITY_OPT_IN'] = 'http, messaging/dup';
    const kafka = track(new TracebridgeKafkaInstrumentation()).getConfig();
    assert.deepEqual(
      [kafka.incoming, kafka.zeroCode, kafka.unpatchContrib, kafka.semconvStability],
      ['link', true, false, 'duplicate'],
    );
    assert.equal(track(new TracebridgeRedisInstrumentation()).getConfig().incoming, 'ignore');
    assert.equal(
      track(new TracebridgeAmqpInstrumentation({ incoming: 'parent' })).getConfig().incoming,
      'parent',
      'options win over the environment',
    );
  });

  it('TRACEBRIDGE_END_TO_END_LATENCY=false: wrappers made without the option write no origin; setConfig wins', () => {
    const sentHeaders = (): Record<string, unknown> => {
      const send = new MessagingTelemetry({ system: 'kafka' }).startSend({
        destination: 'orders',
        operationName: 'send',
        info: undefined,
      });
      const headers = send.inject(kafkaHeadersCarrier, {}) ?? {};
      send.end();
      return headers;
    };
    process.env['TRACEBRIDGE_END_TO_END_LATENCY'] = 'false';
    const kafka = track(new TracebridgeKafkaInstrumentation());
    assert.equal(kafka.getConfig().endToEndLatency, false);
    const off = sentHeaders();
    assert.equal(typeof off['traceparent'], 'string');
    assert.equal(off['tracebridge-origin'], undefined);
    kafka.setConfig({ endToEndLatency: true });
    assert.equal(
      typeof sentHeaders()['tracebridge-origin'],
      'string',
      'the option wins over the environment',
    );
    process.env['TRACEBRIDGE_END_TO_END_LATENCY'] = 'nope';
    assert.equal(track(new TracebridgeRedisInstrumentation()).getConfig().endToEndLatency, true, 'ignored');
  });

  it('an invalid environment value is ignored (with a diag warning): the default applies, nothing throws', () => {
    process.env['TRACEBRIDGE_INCOMING'] = 'trust-everyone';
    process.env['TRACEBRIDGE_ZERO_CODE'] = 'yes';
    const config = track(new TracebridgeKafkaInstrumentation()).getConfig();
    assert.deepEqual([config.incoming, config.zeroCode], [undefined, false]);
    const processed = (() => {
      sendThenProcess(new MessagingTelemetry({ system: 'kafka' }));
      return tracing.span('process orders');
    })();
    assert.equal(processed.parentSpanContext?.spanId, tracing.span('send orders').spanContext().spanId);
  });

  it('OTEL_NODE_DISABLED_INSTRUMENTATIONS turns one transport, or all of tracebridge, off', () => {
    process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] = 'fs, tracebridge-kafka';
    assert.equal(track(new TracebridgeKafkaInstrumentation()).isEnabled(), false);
    assert.equal(track(new TracebridgeRedisInstrumentation()).isEnabled(), true);
    process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] = 'tracebridge';
    const bundle = new TracebridgeInstrumentation();
    made.push(...(['kafka', 'rabbitmq', 'grpc', 'redis'] as const).map((t) => bundle.transport(t)));
    assert.equal(bundle.getConfig().enabled, false, 'NodeSDK will call enable() on it');
  });

  it('a malformed option throws a TracebridgeConfigError, from the constructor and from setConfig', () => {
    const instrumentation = track(new TracebridgeKafkaInstrumentation());
    const invalid = [
      { incoming: 'trust' },
      { incoming: { rules: [{ destination: 42, policy: 'link' }] } },
      { zeroCode: 'yes' },
      { semconvStability: 'old' },
      { endToEndLatency: 'off' },
    ];
    for (const config of invalid) {
      assert.throws(() => instrumentation.setConfig(config as never), { name: 'TracebridgeConfigError' });
      assert.throws(() => new TracebridgeKafkaInstrumentation(config as never), {
        name: 'TracebridgeConfigError',
      });
    }
    assert.throws(() => new TracebridgeInstrumentation({ grpc: { zeroCode: 1 } } as never), {
      name: 'TracebridgeConfigError',
      message: /TracebridgeInstrumentation\.grpc/,
    });
  });

  it('the bundle passes shared fields to every transport, and a transport’s own over them', () => {
    const bundle = new TracebridgeInstrumentation({ incoming: 'link', grpc: { incoming: 'ignore' } });
    const transports = (['kafka', 'rabbitmq', 'grpc', 'redis'] as const).map((t) => bundle.transport(t));
    made.push(...transports);
    assert.deepEqual(
      transports.map((t) => t.getConfig().incoming),
      ['link', 'link', 'ignore', 'link'],
    );
    bundle.setConfig({ zeroCode: true });
    assert.deepEqual(
      transports.map((t) => [t.getConfig().zeroCode, t.getConfig().incoming]),
      [
        [true, undefined],
        [true, undefined],
        [true, undefined],
        [true, undefined],
      ],
    );
    const own = ownProvider();
    bundle.setTracerProvider(own.provider);
    sendThenProcess(new MessagingTelemetry({ system: 'rabbitmq' }));
    assert.equal(own.exporter.getFinishedSpans().length, 2);
    bundle.disable();
    assert.equal(bundle.getConfig().enabled, false);
  });
});
