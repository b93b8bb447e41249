/**
 * `nothingRegistered()` reads the API's global registry directly: each global registered and unregistered
 * through the API itself must flip it, so an API release that moved the registry fails here.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { context, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { nothingRegistered } from '../../../src/core/api-registrations';

describe('nothingRegistered', () => {
  afterEach(() => {
    trace.disable();
    propagation.disable();
    metrics.disable();
    context.disable();
    diag.disable();
  });

  it('is true with nothing registered, and with only a context manager or a diag logger', () => {
    assert.equal(nothingRegistered(), true);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    diag.setLogger({ error() {}, warn() {}, info() {}, debug() {}, verbose() {} });
    assert.equal(nothingRegistered(), true);
  });

  it('is false while a tracer provider is registered, and true again once it is unregistered', () => {
    assert.equal(trace.setGlobalTracerProvider(new BasicTracerProvider()), true);
    assert.equal(nothingRegistered(), false);
    trace.disable();
    assert.equal(nothingRegistered(), true);
  });

  it('is false while a propagator is registered', () => {
    assert.equal(propagation.setGlobalPropagator(new W3CTraceContextPropagator()), true);
    assert.equal(nothingRegistered(), false);
    propagation.disable();
    assert.equal(nothingRegistered(), true);
  });

  it('is false while a meter provider is registered', () => {
    assert.equal(metrics.setGlobalMeterProvider(new MeterProvider()), true);
    assert.equal(nothingRegistered(), false);
    metrics.disable();
    assert.equal(nothingRegistered(), true);
  });
});
