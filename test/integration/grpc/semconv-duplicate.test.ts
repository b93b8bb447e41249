// semconvStability over real grpc-js calls: the RPC names tracebridge emits are the ones the contrib grpc
// instrumentation and the Java agent emit by default (rpc.system, rpc.service, rpc.method,
// rpc.grpc.status_code, server.address and server.port), so there are no older names to add: a
// 'duplicate' option, or OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup through TracebridgeInstrumentation,
// leaves the client and server spans exactly as they are by default.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import type { GrpcInterceptorOptions } from '../../../src/grpc/index';
import { ordersClient, placeOrder, startOrdersServer } from '../../helpers/orders-fixture';
import { assertNoLegacyNames, withMessagingDupInstrumentation } from '../../helpers/semconv-duplicate';
import { assertAttributes, assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const PLACE_ORDER = 'shop.v1.Orders/PlaceOrder';

describe('gRPC: semconvStability', () => {
  let tracing: TestTracing;
  afterEach(async () => {
    await tracing.shutdown();
  });

  /** One unary call through traced interceptors; returns the exported client and server spans. */
  async function call(
    options: GrpcInterceptorOptions,
  ): Promise<{ client: ReadableSpan; server: ReadableSpan }> {
    const server = await startOrdersServer([grpcServerInterceptor(options)]);
    const client = ordersClient(server.address, [grpcClientInterceptor(options)]);
    try {
      await placeOrder(client, 'semconv');
      for (let i = 0; i < 300 && tracing.spans().length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      client.close();
      await server.close();
    }
    const clientSpan = tracing.span(PLACE_ORDER, SpanKind.CLIENT);
    const serverSpan = tracing.span(PLACE_ORDER, SpanKind.SERVER);
    assertChildOf(serverSpan, clientSpan);
    for (const span of [clientSpan, serverSpan]) {
      assertAttributes(span, {
        'rpc.system': 'grpc',
        'rpc.service': 'shop.v1.Orders',
        'rpc.method': 'PlaceOrder',
        'rpc.grpc.status_code': 0,
      });
      assertNoLegacyNames(span);
    }
    assert.equal(typeof clientSpan.attributes['server.address'], 'string');
    assert.equal(typeof clientSpan.attributes['server.port'], 'number');
    return { client: clientSpan, server: serverSpan };
  }

  /** The attribute names of a span, sorted: what a 'duplicate' call must share with a default one. */
  const names = (span: ReadableSpan) => Object.keys(span.attributes).sort();

  it("'duplicate', as an option or from the environment, leaves the spans as they are by default", async () => {
    tracing = setupTracing('w3c');
    const byDefault = await call({});
    tracing.reset();
    const duplicate = await call({ semconvStability: 'duplicate' });
    tracing.reset();
    const fromEnvironment = await withMessagingDupInstrumentation(() => call({}));
    for (const spans of [duplicate, fromEnvironment]) {
      assert.deepEqual(names(spans.client), names(byDefault.client));
      assert.deepEqual(names(spans.server), names(byDefault.server));
    }
  });
});
