/**
 * Every call type × every way a call can end, through real grpc-js clients and servers on 127.0.0.1:0:
 * the exported CLIENT and SERVER spans, their parent relation, their status, and that each ended once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { ordersClient, startOrdersServer } from '../../helpers/orders-fixture';
import type { OrdersClient, RunningServer } from '../../helpers/orders-fixture';
import { countSpanEnds } from '../../helpers/span-end-counter';
import type { SpanEndCounter } from '../../helpers/span-end-counter';
import { assertAttributes, assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

type CallType = 'PlaceOrder' | 'WatchOrder' | 'ImportOrders' | 'Chat';
type Outcome = 'ok' | 'error' | 'throw' | 'cancel' | 'deadline';

interface Ended {
  readonly code: number;
}

let tracing: TestTracing;
let counter: SpanEndCounter;
let server: RunningServer;
let client: OrdersClient;
/** Resolves when a handler has started, so a test can cancel a call the server really received. */
let handlerStarted: (() => void) | undefined;

before(async () => {
  tracing = setupTracing('w3c');
  counter = countSpanEnds(tracing.provider);
  server = await startOrdersServer(
    [grpcServerInterceptor({ tracerProvider: counter.provider })],
    undefined,
    () => handlerStarted?.(),
  );
  client = ordersClient(server.address, [grpcClientInterceptor({ tracerProvider: counter.provider })]);
});
after(async () => {
  client.close();
  await server.close();
  await tracing.shutdown();
});

/** Makes one call of `type`, ending the way `outcome` says, and resolves with the status the client saw. */
function makeCall(type: CallType, outcome: Outcome): Promise<Ended> {
  const metadata = new grpc.Metadata();
  metadata.set('x-scenario', outcome === 'cancel' || outcome === 'deadline' ? 'hang' : outcome);
  const options: grpc.CallOptions = outcome === 'deadline' ? { deadline: Date.now() + 300 } : {};
  const started = new Promise<void>((resolve) => (handlerStarted = resolve));

  return new Promise<Ended>((resolve) => {
    let call: grpc.Call;
    const done = (code: number) => resolve({ code });
    switch (type) {
      case 'PlaceOrder':
        call = client.PlaceOrder(
          { customerId: 'c1', sku: 'sku-1', quantity: 1 },
          metadata,
          options,
          (error: grpc.ServiceError | null) => done(error === null ? grpc.status.OK : error.code),
        );
        break;
      case 'WatchOrder': {
        const stream = client['WatchOrder'](
          { orderId: 'o1' },
          metadata,
          options,
        ) as grpc.ClientReadableStream<unknown>;
        stream.on('data', () => undefined);
        stream.on('error', () => undefined);
        stream.on('status', (status: grpc.StatusObject) => done(status.code));
        call = stream;
        break;
      }
      case 'ImportOrders': {
        const stream = client.ImportOrders(metadata, options, (error: grpc.ServiceError | null) =>
          done(error === null ? grpc.status.OK : error.code),
        );
        stream.write({ sku: 'a' });
        stream.write({ sku: 'b' });
        if (outcome !== 'cancel') stream.end();
        call = stream;
        break;
      }
      case 'Chat': {
        const stream = client.Chat(metadata, options);
        stream.on('data', () => undefined);
        stream.on('error', () => undefined);
        stream.on('status', (status: grpc.StatusObject) => done(status.code));
        stream.write({ orderId: 'o1', text: 'hi' });
        if (outcome !== 'cancel') stream.end();
        call = stream;
        break;
      }
    }
    if (outcome === 'cancel') void started.then(() => call.cancel());
  });
}

/** Waits until both spans of the call named `name` in `traceId` have been exported. */
async function spansOfCall(
  traceId: string,
  name: string,
): Promise<{ client: ReadableSpan; server: ReadableSpan }> {
  for (let i = 0; i < 200; i++) {
    const spans = tracing.spansOfTrace(traceId).filter((s) => s.name === name);
    const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT);
    const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER);
    if (clientSpan !== undefined && serverSpan !== undefined) {
      assert.equal(spans.length, 2, `exactly one CLIENT and one SERVER span for ${name}`);
      return { client: clientSpan, server: serverSpan };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`the spans of ${name} in trace ${traceId} were not both exported`);
}

const EXPECTED_CODE: Record<Outcome, number | undefined> = {
  ok: grpc.status.OK,
  error: grpc.status.NOT_FOUND,
  throw: undefined, // grpc-js picks the code for a thrown handler or destroyed stream; checked against the client's
  cancel: grpc.status.CANCELLED,
  deadline: grpc.status.DEADLINE_EXCEEDED,
};

for (const type of ['PlaceOrder', 'WatchOrder', 'ImportOrders', 'Chat'] as const) {
  describe(`${type}`, () => {
    for (const outcome of ['ok', 'error', 'throw', 'cancel', 'deadline'] as const) {
      it(`${outcome}: one CLIENT and one SERVER span, parented, with the right status, each ended once`, async () => {
        const parent = trace.getTracer('test').startSpan(`test ${type} ${outcome}`);
        const ended = await context.with(trace.setSpan(context.active(), parent), () =>
          makeCall(type, outcome),
        );
        parent.end();
        const expected = EXPECTED_CODE[outcome];
        if (expected !== undefined) assert.equal(ended.code, expected, 'the status the client saw');
        else assert.notEqual(ended.code, grpc.status.OK);

        const { client: clientSpan, server: serverSpan } = await spansOfCall(
          parent.spanContext().traceId,
          `shop.v1.Orders/${type}`,
        );
        assertChildOf(clientSpan, parent);
        assertChildOf(serverSpan, clientSpan);
        for (const span of [clientSpan, serverSpan]) {
          assertAttributes(span, {
            'rpc.system': 'grpc',
            'rpc.service': 'shop.v1.Orders',
            'rpc.method': type,
          });
        }
        assert.equal(clientSpan.attributes['rpc.grpc.status_code'], ended.code);
        const serverCode = serverSpan.attributes['rpc.grpc.status_code'] as number;
        if (outcome === 'deadline') {
          // The client gives up at its deadline and resets the stream; the server's own deadline (the
          // client's timeout, counted from when the request arrived) falls a hair later, so it may see the
          // reset first, as a cancellation. Either way its span ended, once.
          assert.ok(
            [grpc.status.CANCELLED, grpc.status.DEADLINE_EXCEEDED].includes(serverCode),
            `server code ${serverCode}`,
          );
        } else {
          assert.equal(serverCode, ended.code);
        }
        assert.equal(clientSpan.status.code, outcome === 'ok' ? SpanStatusCode.UNSET : SpanStatusCode.ERROR);
        const serverFault = [2, 4, 12, 13, 14, 15].includes(serverCode);
        assert.equal(serverSpan.status.code, serverFault ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
        assert.equal(clientSpan.attributes['server.address'], '127.0.0.1');
        if (type !== 'PlaceOrder') {
          assert.equal(typeof clientSpan.attributes['tracebridge.rpc.messages_sent'], 'number');
        }
        assert.deepEqual(counter.misended(), []);
      });
    }
  });
}

describe('connection lost', () => {
  it('a server that goes away mid-call: the CLIENT span ends as an error, the SERVER span ends too', async () => {
    const doomed = await startOrdersServer(
      [grpcServerInterceptor({ tracerProvider: counter.provider })],
      undefined,
      () => handlerStarted?.(),
    );
    const doomedClient = ordersClient(doomed.address, [
      grpcClientInterceptor({ tracerProvider: counter.provider }),
    ]);
    const parent = trace.getTracer('test').startSpan('connection lost');
    const started = new Promise<void>((resolve) => (handlerStarted = resolve));
    const metadata = new grpc.Metadata();
    metadata.set('x-scenario', 'hang');
    const ended = context.with(
      trace.setSpan(context.active(), parent),
      () =>
        new Promise<number>((resolve) =>
          doomedClient.PlaceOrder({ sku: 'x' }, metadata, {}, (error) =>
            resolve(error?.code ?? grpc.status.OK),
          ),
        ),
    );
    await started;
    doomed.server.forceShutdown();
    // grpc-js reports a reset stream as CANCELLED and a dropped connection as UNAVAILABLE; which one the
    // client sees depends on which the shutdown produces first.
    const code = await ended;
    assert.ok([grpc.status.CANCELLED, grpc.status.UNAVAILABLE].includes(code), `client saw ${code}`);
    parent.end();
    const { client: clientSpan, server: serverSpan } = await spansOfCall(
      parent.spanContext().traceId,
      'shop.v1.Orders/PlaceOrder',
    );
    assert.equal(clientSpan.status.code, SpanStatusCode.ERROR);
    assertAttributes(clientSpan, { 'rpc.grpc.status_code': code });
    assertAttributes(serverSpan, { 'rpc.grpc.status_code': grpc.status.CANCELLED });
    doomedClient.close();
    assert.deepEqual(counter.misended(), []);
  });
});

describe('message counts', () => {
  it('records messages sent and received on streaming calls', async () => {
    const parent = trace.getTracer('test').startSpan('counts');
    await context.with(trace.setSpan(context.active(), parent), () => makeCall('WatchOrder', 'ok'));
    parent.end();
    const { client: clientSpan, server: serverSpan } = await spansOfCall(
      parent.spanContext().traceId,
      'shop.v1.Orders/WatchOrder',
    );
    assertAttributes(clientSpan, {
      'tracebridge.rpc.messages_sent': 1,
      'tracebridge.rpc.messages_received': 3,
    });
    assertAttributes(serverSpan, {
      'tracebridge.rpc.messages_sent': 3,
      'tracebridge.rpc.messages_received': 1,
    });
  });
});
