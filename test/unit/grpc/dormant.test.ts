/**
 * When the interceptors are dormant (no provider given, nothing registered globally), each call is the
 * very call grpc-js (or the next interceptor) made: no wrapper of any kind. Asked per call, so a global
 * registration, or a provider given as an option, makes the next call a traced one.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';

const METHOD = { path: '/shop.v1.Orders/PlaceOrder', requestStream: false, responseStream: false };

/** What `nextCall` returns: never started here, so no method of it is called. */
const nextCallResult = { marker: 'next call' } as unknown as grpc.InterceptingCall;
const callOptions = { method_definition: METHOD } as unknown as grpc.InterceptorOptions;
const nextCall: grpc.NextCall = () => nextCallResult;

/** The call grpc-js hands a server interceptor: only identity matters here. */
const serverCall = { marker: 'server call' } as unknown as grpc.ServerInterceptingCall;
const serverMethod = METHOD as unknown as grpc.ServerMethodDefinition<unknown, unknown>;

afterEach(() => {
  trace.disable();
  propagation.disable();
});

describe('dormant gRPC interceptors', () => {
  it('hand back the very call they were given, with nothing registered', () => {
    assert.equal(grpcClientInterceptor()(callOptions, nextCall), nextCallResult);
    assert.equal(grpcServerInterceptor()(serverMethod, serverCall), serverCall);
  });

  it('wrap the next call once a propagator or a tracer provider is registered', () => {
    const clientInterceptor = grpcClientInterceptor();
    const serverInterceptor = grpcServerInterceptor();
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    assert.ok(clientInterceptor(callOptions, nextCall) instanceof grpc.InterceptingCall);
    assert.ok(serverInterceptor(serverMethod, serverCall) instanceof grpc.ServerInterceptingCall);
    propagation.disable();
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    assert.ok(clientInterceptor(callOptions, nextCall) instanceof grpc.InterceptingCall);
    assert.ok(serverInterceptor(serverMethod, serverCall) instanceof grpc.ServerInterceptingCall);
    trace.disable();
    assert.equal(clientInterceptor(callOptions, nextCall), nextCallResult, 'dormant again');
  });

  it('are never dormant with a tracer provider given as an option', () => {
    const tracerProvider = new BasicTracerProvider();
    const traced = grpcClientInterceptor({ tracerProvider })(callOptions, nextCall);
    assert.ok(traced instanceof grpc.InterceptingCall);
    assert.notEqual(traced, nextCallResult);
    assert.ok(
      grpcServerInterceptor({ tracerProvider })(serverMethod, serverCall) instanceof
        grpc.ServerInterceptingCall,
    );
  });

  it('hand back an ignored method’s call untouched, traced or not', () => {
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    const ignoreMethods = ['shop.v1.Orders'];
    assert.equal(grpcClientInterceptor({ ignoreMethods })(callOptions, nextCall), nextCallResult);
    assert.equal(grpcServerInterceptor({ ignoreMethods })(serverMethod, serverCall), serverCall);
  });
});
