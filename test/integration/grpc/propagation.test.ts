/**
 * Traces across real grpc-js calls: chains of servers, concurrency without context bleed, interop with
 * callers that speak B3 or Jaeger, hostile metadata, and the interceptors' options.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TracebridgeConfigError } from '../../../src/core/errors';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { closedAfterEach, placeOrder } from '../../helpers/orders-fixture';
import {
  assertAttributes,
  assertChildOf,
  assertLinks,
  assertRoot,
  setupMetrics,
  setupTracing,
} from '../../helpers/tracing';
import type { PropagatorName, TestTracing } from '../../helpers/tracing';

const PLACE_ORDER = 'shop.v1.Orders/PlaceOrder';

const { server, client } = closedAfterEach();
let tracing: TestTracing | undefined;
function useTracing(name: PropagatorName = 'w3c'): TestTracing {
  tracing = setupTracing(name);
  return tracing;
}
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

/** Waits until `count` spans named `name` have been exported (server spans end just after the reply). */
async function exported(t: TestTracing, name: string, count: number): Promise<ReadableSpan[]> {
  for (let i = 0; i < 300; i++) {
    const spans = t.spans().filter((s) => s.name === name);
    if (spans.length >= count) return spans;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(
    `expected ${count} spans named ${name}, got ${t.spans().filter((s) => s.name === name).length}`,
  );
}

describe('traces across calls', () => {
  it('a chain A -> B -> C across three servers is one trace', async () => {
    const t = useTracing();
    const serverC = await server([grpcServerInterceptor()]);
    const toC = client(serverC.address, [grpcClientInterceptor()]);
    const serverB = await server([grpcServerInterceptor()], async () => {
      await placeOrder(toC, 'from-b');
    });
    const toB = client(serverB.address, [grpcClientInterceptor()]);
    const serverA = await server([grpcServerInterceptor()], async () => {
      await placeOrder(toB, 'from-a');
    });
    const toA = client(serverA.address, [grpcClientInterceptor()]);

    const root = trace.getTracer('test').startSpan('request');
    await context.with(trace.setSpan(context.active(), root), () => placeOrder(toA, 'order'));
    root.end();
    const spans = await exported(t, PLACE_ORDER, 6);
    // Walk down from the root: each hop must be the only child of the one before.
    let parent: ReadableSpan | typeof root = root;
    const kinds: SpanKind[] = [];
    for (let hop = 0; hop < 6; hop++) {
      const parentId: string = parent.spanContext().spanId;
      const children: ReadableSpan[] = spans.filter((x) => x.parentSpanContext?.spanId === parentId);
      assert.equal(children.length, 1, `hop ${hop}: one child`);
      assertChildOf(children[0]!, parent);
      kinds.push(children[0]!.kind);
      parent = children[0]!;
    }
    assert.deepEqual(kinds, [
      SpanKind.CLIENT,
      SpanKind.SERVER,
      SpanKind.CLIENT,
      SpanKind.SERVER,
      SpanKind.CLIENT,
      SpanKind.SERVER,
    ]);
  });

  it('200 concurrent calls with distinct parents: every SERVER span is the child of its own CLIENT span', async () => {
    const t = useTracing();
    const s = await server([grpcServerInterceptor()]);
    const c = client(s.address, [grpcClientInterceptor()]);
    const parents = Array.from({ length: 200 }, (_, i) => trace.getTracer('test').startSpan(`caller ${i}`));
    await Promise.all(
      parents.map((p, i) =>
        context.with(trace.setSpan(context.active(), p), () => placeOrder(c, `sku-${i}`)),
      ),
    );
    for (const p of parents) p.end();
    await exported(t, PLACE_ORDER, 400);
    for (const p of parents) {
      const spans = t.spansOfTrace(p.spanContext().traceId).filter((x) => x.name === PLACE_ORDER);
      const clientSpan = spans.find((x) => x.kind === SpanKind.CLIENT);
      const serverSpan = spans.find((x) => x.kind === SpanKind.SERVER);
      assert.equal(spans.length, 2);
      assert.ok(clientSpan !== undefined && serverSpan !== undefined);
      assertChildOf(clientSpan, p);
      assertChildOf(serverSpan, clientSpan);
    }
  });

  it('spans the handler starts are children of the SERVER span', async () => {
    const t = useTracing();
    const s = await server([grpcServerInterceptor()], () => {
      trace.getTracer('test').startSpan('inside handler').end();
    });
    await placeOrder(client(s.address, [grpcClientInterceptor()]), 'x');
    const [serverSpan] = (await exported(t, PLACE_ORDER, 2)).filter((x) => x.kind === SpanKind.SERVER);
    assert.ok(serverSpan !== undefined);
    assertChildOf(t.span('inside handler'), serverSpan);
  });
});

describe('interop with callers that do not use tracebridge', () => {
  const TRACE_ID = '463ac35c9f6413ad48485a3953bb6124';
  const SPAN_ID = 'a2fb4a1d1a96d312';

  for (const [propagator, header, value] of [
    ['b3-single', 'b3', `${TRACE_ID}-${SPAN_ID}-1`],
    ['b3-multi', 'x-b3-traceid', TRACE_ID],
    ['jaeger', 'uber-trace-id', `${TRACE_ID}:${SPAN_ID}:0:1`],
  ] as const) {
    it(`a caller sending only ${header} (${propagator}) is continued, and other metadata passes untouched`, async () => {
      const t = useTracing(propagator);
      let seen: grpc.Metadata | undefined;
      const s = await server([grpcServerInterceptor()], undefined, (_method, metadata) => {
        seen = metadata;
      });
      // A plain client, as an Envoy or Istio sidecar would forward: no tracebridge on this side.
      const metadata = new grpc.Metadata();
      metadata.set(header, value);
      if (propagator === 'b3-multi') {
        metadata.set('x-b3-spanid', SPAN_ID);
        metadata.set('x-b3-sampled', '1');
      }
      metadata.set('x-request-id', 'req-42');
      metadata.set('x-trace-bin', Buffer.from([0, 1, 2, 255]));
      await placeOrder(client(s.address, []), 'x', metadata);
      const [serverSpan] = await exported(t, PLACE_ORDER, 1);
      assert.ok(serverSpan !== undefined);
      assert.equal(serverSpan.spanContext().traceId, TRACE_ID);
      assert.equal(serverSpan.parentSpanContext?.spanId, SPAN_ID);
      assert.deepEqual(seen?.get('x-request-id'), ['req-42']);
      assert.deepEqual(seen?.get('x-trace-bin'), [Buffer.from([0, 1, 2, 255])]);
    });
  }
});

describe('hostile metadata', () => {
  for (const [label, set] of [
    ['a malformed traceparent', (m: grpc.Metadata) => m.set('traceparent', '00-not-a-trace-01')],
    ['an oversized traceparent', (m: grpc.Metadata) => m.set('traceparent', `00-${'a'.repeat(8000)}`)],
    [
      'an all-zero traceparent',
      (m: grpc.Metadata) => m.set('traceparent', `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`),
    ],
    [
      'a binary traceparent-bin key',
      (m: grpc.Metadata) => m.set('traceparent-bin', Buffer.from([0xff, 0x00])),
    ],
    [
      'a huge baggage',
      (m: grpc.Metadata) => m.set('baggage', Array.from({ length: 500 }, (_, i) => `k${i}=v`).join(',')),
    ],
  ] as const) {
    it(`${label}: the call succeeds and starts a new trace`, async () => {
      const t = useTracing();
      const s = await server([grpcServerInterceptor()]);
      const metadata = new grpc.Metadata();
      set(metadata);
      const reply = await placeOrder(client(s.address, []), 'x', metadata);
      assert.equal(reply.status, 'PLACED');
      const [serverSpan] = await exported(t, PLACE_ORDER, 1);
      assert.ok(serverSpan !== undefined);
      assertRoot(serverSpan);
    });
  }

  it('a propagator that writes an illegal metadata key does not break the call', async () => {
    const t = useTracing();
    propagation.disable();
    propagation.setGlobalPropagator({
      inject: (_ctx, carrier, setter) => setter.set(carrier, 'Bad Key!', 'x'),
      extract: (ctx) => ctx,
      fields: () => ['Bad Key!'],
    });
    const s = await server([grpcServerInterceptor()]);
    const reply = await placeOrder(client(s.address, [grpcClientInterceptor()]), 'x');
    assert.equal(reply.status, 'PLACED');
    assert.equal((await exported(t, PLACE_ORDER, 2)).length, 2);
  });
});

describe('options', () => {
  it('ignoreMethods: an ignored method makes no span, on either side', async () => {
    const t = useTracing();
    const s = await server([grpcServerInterceptor({ ignoreMethods: ['shop.v1.Orders'] })]);
    await placeOrder(client(s.address, [grpcClientInterceptor({ ignoreMethods: [/PlaceOrder$/] })]), 'x');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(t.spans(), []);
  });

  it('metadataAttributes: records only the allow-listed keys, on both sides', async () => {
    const t = useTracing();
    const s = await server([grpcServerInterceptor({ metadataAttributes: ['X-Tenant'] })]);
    const metadata = new grpc.Metadata();
    metadata.set('x-tenant', 'acme');
    metadata.set('authorization', 'Bearer secret');
    await placeOrder(
      client(s.address, [grpcClientInterceptor({ metadataAttributes: ['x-tenant'] })]),
      'x',
      metadata,
    );
    for (const span of await exported(t, PLACE_ORDER, 2)) {
      assertAttributes(span, { 'rpc.grpc.request.metadata.x-tenant': ['acme'] });
      assert.equal(span.attributes['rpc.grpc.request.metadata.authorization'], undefined);
    }
  });

  it("incoming: 'link' starts a new trace on the server, linked to the caller", async () => {
    const t = useTracing();
    const s = await server([grpcServerInterceptor({ incoming: 'link' })]);
    await placeOrder(client(s.address, [grpcClientInterceptor()]), 'x');
    const spans = await exported(t, PLACE_ORDER, 2);
    const clientSpan = spans.find((x) => x.kind === SpanKind.CLIENT)!;
    const serverSpan = spans.find((x) => x.kind === SpanKind.SERVER)!;
    assertRoot(serverSpan);
    assertLinks(serverSpan, [clientSpan]);
    assertAttributes(serverSpan, { 'tracebridge.incoming.policy': 'link' });
  });

  it('hooks are called, and a throwing hook never breaks the call', async () => {
    const t = useTracing();
    const seen: string[] = [];
    const boom = () => {
      throw new Error('hook');
    };
    const s = await server([
      grpcServerInterceptor({
        requestHook: (span, info) => {
          seen.push(`server request ${info.method}`);
          span.setAttribute('app.hooked', true);
        },
        responseHook: boom,
      }),
    ]);
    const c = client(s.address, [
      grpcClientInterceptor({
        requestHook: boom,
        responseHook: (_span, info) => seen.push(`client response ${info.code}`),
      }),
    ]);
    assert.equal((await placeOrder(c, 'x')).status, 'PLACED');
    await exported(t, PLACE_ORDER, 2);
    assert.deepEqual(seen.sort(), ['client response 0', 'server request PlaceOrder']);
    assertAttributes(t.span(PLACE_ORDER, SpanKind.SERVER), { 'app.hooked': true });
  });

  it('messageEvents adds an event per message', async () => {
    const t = useTracing();
    const s = await server([grpcServerInterceptor({ messageEvents: true })]);
    await placeOrder(client(s.address, [grpcClientInterceptor({ messageEvents: true })]), 'x');
    for (const span of await exported(t, PLACE_ORDER, 2)) {
      assert.deepEqual(
        span.events.map((e) => e.attributes?.['rpc.message.type']).sort(),
        ['RECEIVED', 'SENT'],
        `${span.name} ${span.kind}`,
      );
    }
  });

  it('misconfiguration throws a named error at setup', () => {
    for (const bad of [
      { ignoreMethods: [/x/g] },
      { ignoreMethods: [42] },
      { metadataAttributes: ['x-token-bin'] },
      { metadataAttributes: [''] },
    ]) {
      assert.throws(
        () => grpcClientInterceptor(bad as never),
        (e) => e instanceof TracebridgeConfigError && e.code === 'TRACEBRIDGE_INVALID_OPTION',
      );
    }
    assert.throws(
      () => grpcServerInterceptor({ incoming: 'trust-everyone' as never }),
      (e) => e instanceof TracebridgeConfigError && e.code === 'TRACEBRIDGE_INVALID_INCOMING_POLICY',
    );
  });
});

describe('metrics', () => {
  it('records rpc.client.call.duration and rpc.server.call.duration', async () => {
    useTracing();
    const meter = setupMetrics();
    try {
      const s = await server([grpcServerInterceptor()]);
      await placeOrder(client(s.address, [grpcClientInterceptor()]), 'x');
      await new Promise((r) => setTimeout(r, 50));
      const [resourceMetrics] = await meter.collect();
      const all = resourceMetrics!.scopeMetrics.flatMap((x) => x.metrics);
      for (const name of ['rpc.client.call.duration', 'rpc.server.call.duration']) {
        const metric = all.find((m) => m.descriptor.name === name);
        assert.ok(metric !== undefined, `${name} recorded`);
        assert.equal(metric.descriptor.unit, 's');
        assert.deepEqual(metric.dataPoints[0]?.attributes, {
          'rpc.system': 'grpc',
          'rpc.service': 'shop.v1.Orders',
          'rpc.method': 'PlaceOrder',
          'rpc.grpc.status_code': 0,
        });
      }
    } finally {
      await meter.shutdown();
    }
  });
});
