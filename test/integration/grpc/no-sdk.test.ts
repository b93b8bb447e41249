/**
 * The interceptors with no SDK registered and no provider given (dormant): every call is handed on as
 * grpc-js runs it without them, so the handler, the client and the statuses see exactly what they see
 * without tracebridge; interceptors made then trace once an SDK registers, from the next call on; a call
 * begun dormant ends normally after that, with no span; a provider given as an option is never dormant.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { context, SpanKind, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { nothingRegistered } from '../../../src/core/api-registrations';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { closedAfterEach } from '../../helpers/orders-fixture';
import type { OrdersClient } from '../../helpers/orders-fixture';
import { registerLateSdk, unregisterAll } from '../../helpers/late-sdk';
import type { LateSdk } from '../../helpers/late-sdk';
import { assertChildOf } from '../../helpers/tracing';

type CallType = 'PlaceOrder' | 'WatchOrder' | 'ImportOrders' | 'Chat';
const CALL_TYPES: readonly CallType[] = ['PlaceOrder', 'WatchOrder', 'ImportOrders', 'Chat'];

/** What the client of one call saw: its status code and the responses it received, in order. */
interface Outcome {
  readonly code: number;
  readonly responses: unknown[];
}

const { server, client } = closedAfterEach();
/** Registered as an application registers it, over the interceptors made before (see late-sdk.ts). */
let sdk: LateSdk | undefined;
afterEach(async () => {
  await sdk?.unregister();
  sdk = undefined;
  unregisterAll();
});

/** One call of `type` with the fixture's `x-scenario`, to its end. */
function call(ordersClient: OrdersClient, type: CallType, scenario: string): Promise<Outcome> {
  const metadata = new grpc.Metadata();
  metadata.set('x-scenario', scenario);
  const responses: unknown[] = [];
  return new Promise((resolve) => {
    const unaryDone = (error: grpc.ServiceError | null, response?: unknown) => {
      if (response !== undefined) responses.push(response);
      resolve({ code: error === null ? grpc.status.OK : error.code, responses });
    };
    const onStream = (
      stream: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown>,
    ) => {
      stream.on('data', (message: unknown) => responses.push(message));
      stream.on('error', () => undefined);
      stream.on('status', (status: grpc.StatusObject) => resolve({ code: status.code, responses }));
    };
    switch (type) {
      case 'PlaceOrder':
        ordersClient.PlaceOrder({ sku: 'sku-1', quantity: 1 }, metadata, {}, unaryDone);
        break;
      case 'WatchOrder':
        onStream(ordersClient.WatchOrder({ orderId: 'o1' }, metadata));
        break;
      case 'ImportOrders': {
        const stream = ordersClient.ImportOrders(metadata, {}, unaryDone);
        stream.write({ sku: 'a' });
        stream.write({ sku: 'b' });
        stream.end();
        break;
      }
      case 'Chat': {
        const stream = ordersClient.Chat(metadata);
        onStream(stream);
        stream.write({ orderId: 'o1', text: 'hi' });
        stream.end();
        break;
      }
    }
  });
}

/** A server and a client with the given interceptors, and the request metadata each handler saw. */
async function pair(interceptors: { client: grpc.Interceptor[]; server: grpc.ServerInterceptor[] }) {
  const seen: Record<string, unknown>[] = [];
  const running = await server(interceptors.server, undefined, (_method, metadata) =>
    seen.push({ ...metadata.getMap() }),
  );
  return { client: client(running.address, interceptors.client), seen };
}

async function waitForSpans(count: number): Promise<void> {
  for (let i = 0; i < 200 && sdk!.spans().length < count; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('gRPC interceptors with no SDK registered', () => {
  it('every call kind and outcome: the same statuses, responses and handler metadata as without them', async () => {
    assert.equal(nothingRegistered(), true);
    const plain = await pair({ client: [], server: [] });
    const dormant = await pair({ client: [grpcClientInterceptor()], server: [grpcServerInterceptor()] });
    for (const type of CALL_TYPES) {
      for (const scenario of ['ok', 'error', 'throw']) {
        const expected = await call(plain.client, type, scenario);
        const actual = await call(dormant.client, type, scenario);
        assert.deepEqual(actual, expected, `${type} ${scenario}`);
      }
    }
    assert.deepEqual(dormant.seen, plain.seen, 'the handlers saw the same request metadata');
    assert.ok(
      dormant.seen.every(
        (fields) => !Object.keys(fields).some((k) => k === 'traceparent' || k.startsWith('tracebridge-')),
      ),
      'no trace context or tracebridge field was written',
    );
  });

  it('interceptors made before an SDK registers trace every call from the next one on', async () => {
    const traced = await pair({ client: [grpcClientInterceptor()], server: [grpcServerInterceptor()] });
    assert.equal((await call(traced.client, 'PlaceOrder', 'ok')).code, grpc.status.OK);

    sdk = registerLateSdk();
    const parent = trace.getTracer('test').startSpan('after registration');
    const outcome = await context.with(trace.setSpan(context.active(), parent), () =>
      call(traced.client, 'Chat', 'ok'),
    );
    parent.end();
    assert.equal(outcome.code, grpc.status.OK);
    await waitForSpans(3);
    const clientSpan = sdk.span('shop.v1.Orders/Chat', SpanKind.CLIENT);
    const serverSpan = sdk.span('shop.v1.Orders/Chat', SpanKind.SERVER);
    assertChildOf(clientSpan, parent);
    assertChildOf(serverSpan, clientSpan);
    assert.equal(traced.seen.length, 2);
    assert.equal(typeof traced.seen[1]!['traceparent'], 'string', 'the second call carried the trace');
  });

  it('a call begun with nothing registered ends normally once an SDK registers, with no span', async () => {
    const traced = await pair({ client: [grpcClientInterceptor()], server: [grpcServerInterceptor()] });
    const metadata = new grpc.Metadata();
    const stream = traced.client.Chat(metadata);
    const responses: unknown[] = [];
    stream.on('data', (message: unknown) => responses.push(message));
    const status = new Promise<number>((resolve) =>
      stream.on('status', (s: grpc.StatusObject) => resolve(s.code)),
    );
    stream.write({ orderId: 'o1', text: 'before' });
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));

    sdk = registerLateSdk();
    stream.write({ orderId: 'o1', text: 'after' });
    stream.end();
    assert.equal(await status, grpc.status.OK);
    assert.equal(responses.length, 2);
    assert.deepEqual(sdk.spans(), [], 'the call begun dormant made no span');

    assert.equal((await call(traced.client, 'PlaceOrder', 'ok')).code, grpc.status.OK);
    await waitForSpans(2);
    assert.equal(sdk.spans().filter((s) => s.name === 'shop.v1.Orders/PlaceOrder').length, 2);
  });

  it('a tracerProvider given as an option traces with nothing registered globally', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const traced = await pair({
      client: [grpcClientInterceptor({ tracerProvider: provider })],
      server: [grpcServerInterceptor({ tracerProvider: provider })],
    });
    assert.equal(nothingRegistered(), true);
    assert.equal((await call(traced.client, 'WatchOrder', 'ok')).code, grpc.status.OK);
    for (let i = 0; i < 200 && exporter.getFinishedSpans().length < 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    const kinds = exporter
      .getFinishedSpans()
      .map((s) => s.kind)
      .sort();
    assert.deepEqual(kinds, [SpanKind.SERVER, SpanKind.CLIENT].sort());
    await provider.shutdown();
  });
});
