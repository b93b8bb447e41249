/**
 * `MessagingTelemetry.dormant`, the per-message question every adapter's no-SDK path asks: true only
 * while nothing is registered globally and the telemetry was given no provider of its own (by option or
 * by a `tracebridge/instrumentation` class) and has no live meter; asked per message, so it follows
 * registrations made after the telemetry was created.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { setInstrumentationDefaults } from '../../../src/core/instrumentation-defaults';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { MessagingTelemetryOptions } from '../../../src/core/messaging-telemetry';

function telemetry(options: MessagingTelemetryOptions = {}): MessagingTelemetry {
  return new MessagingTelemetry({ system: 'kafka', ...options });
}

describe('MessagingTelemetry.dormant', () => {
  afterEach(() => {
    setInstrumentationDefaults('kafka', undefined);
    trace.disable();
    propagation.disable();
    metrics.disable();
    context.disable();
  });

  it('is true with nothing registered and no provider of its own', () => {
    assert.equal(telemetry().dormant, true);
  });

  it('is false with a tracer or meter provider given by option, even with nothing registered', () => {
    assert.equal(telemetry({ tracerProvider: new BasicTracerProvider() }).dormant, false);
    assert.equal(telemetry({ meterProvider: new MeterProvider() }).dormant, false);
  });

  it('is false with a tracer or meter provider set by an instrumentation class', () => {
    setInstrumentationDefaults('kafka', Object.freeze({ tracerProvider: new BasicTracerProvider() }));
    assert.equal(telemetry().dormant, false);
    setInstrumentationDefaults('kafka', Object.freeze({ meterProvider: new MeterProvider() }));
    assert.equal(telemetry().dormant, false);
    // Another scope's defaults are not this telemetry's.
    setInstrumentationDefaults('kafka', undefined);
    setInstrumentationDefaults('grpc', Object.freeze({ tracerProvider: new BasicTracerProvider() }));
    try {
      assert.equal(telemetry().dormant, true);
    } finally {
      setInstrumentationDefaults('grpc', undefined);
    }
  });

  it('is false for good with a live meter, even after the meter provider is unregistered', () => {
    metrics.setGlobalMeterProvider(new MeterProvider());
    const t = telemetry();
    metrics.disable();
    // The meter it obtained keeps recording: the telemetry has work to do for every message.
    assert.equal(t.dormant, false);
  });

  it('flips with each global registration made after it was created, and back', () => {
    const t = telemetry();
    assert.equal(t.dormant, true);
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    assert.equal(t.dormant, false, 'a tracer provider');
    trace.disable();
    assert.equal(t.dormant, true);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    assert.equal(t.dormant, false, 'a propagator');
    propagation.disable();
    assert.equal(t.dormant, true);
    metrics.setGlobalMeterProvider(new MeterProvider());
    assert.equal(t.dormant, false, 'a meter provider');
    metrics.disable();
    assert.equal(t.dormant, true);
  });
});
