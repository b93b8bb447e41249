/**
 * `endToEndLatency: false` across real grpc-js calls: a client interceptor with it sends no
 * `tracebridge-origin` metadata, a server interceptor with it records no
 * `tracebridge.rpc.end_to_end.duration` point or span attribute, and the spans and parents stay as with
 * the default; a downstream server with the default sees the call as a new origin, which its handler's
 * calls carry on.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import {
  assertNewOrigin,
  assertNoEndToEnd,
  atIngress,
  histogramPoints,
  ORIGIN,
  RPC_END_TO_END_METRIC,
  startMsOf,
} from '../../helpers/end-to-end';
import { closedAfterEach, placeOrder } from '../../helpers/orders-fixture';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const PLACE_ORDER = 'shop.v1.Orders/PlaceOrder';

const { server, client } = closedAfterEach();
let tracing: TestTracing;
let meters: TestMetrics;
afterEach(async () => {
  await tracing.shutdown();
  await meters.shutdown();
});

/** The spans of `kind` exported so far, waiting for `count` of them. */
async function spansOf(kind: SpanKind, count: number): Promise<ReadableSpan[]> {
  for (let i = 0; i < 300; i++) {
    const spans = tracing.spans().filter((s) => s.name === PLACE_ORDER && s.kind === kind);
    if (spans.length >= count) return spans;
    await new Promise((r) => setTimeout(r, 10));
  }
  return assert.fail(`expected ${count} spans of kind ${kind}`);
}

describe('gRPC: endToEndLatency: false', () => {
  it('ingress -> call (off) -> call (default server) -> call: no origin metadata, no end-to-end, same trace', async () => {
    tracing = setupTracing('w3c');
    meters = setupMetrics();
    const seen: (string | undefined)[] = [];
    const record = (_method: string, metadata: { get(key: string): unknown[] }) => {
      const value = metadata.get(ORIGIN)[0];
      seen.push(typeof value === 'string' ? value : undefined);
    };
    const off = { endToEndLatency: false };
    const innermost = await server([grpcServerInterceptor()], undefined, record);
    const innermostClient = client(innermost.address, [grpcClientInterceptor()]);
    const inner = await server(
      [grpcServerInterceptor()],
      async () => {
        await placeOrder(innermostClient, 'innermost');
      },
      record,
    );
    const innerClient = client(inner.address, [grpcClientInterceptor(off)]);
    const outer = await server(
      [grpcServerInterceptor(off)],
      async () => {
        await placeOrder(innerClient, 'inner');
      },
      record,
    );
    const { ingress } = await atIngress(tracing, 150, () =>
      placeOrder(client(outer.address, [grpcClientInterceptor(off)]), 'outer'),
    );
    const servers = await spansOf(SpanKind.SERVER, 3);
    const clients = await spansOf(SpanKind.CLIENT, 3);

    // Handlers start outermost first: outer, inner, innermost.
    assert.equal(seen.length, 3);
    assert.deepEqual(seen.slice(0, 2), [undefined, undefined], 'no origin in the off clients’ metadata');
    const traceId = ingress.spanContext().traceId;
    // Each hop's CLIENT span is the child of the previous hop's SERVER span (of the ingress, first).
    const chain: ReadableSpan[] = [];
    let parent = ingress.spanContext().spanId;
    for (let hop = 1; hop <= 3; hop++) {
      const clientSpan = clients.find((s) => s.parentSpanContext?.spanId === parent);
      assert.ok(clientSpan, `the client span of hop ${hop}`);
      const serverSpan = servers.find((s) => s.parentSpanContext?.spanId === clientSpan.spanContext().spanId);
      assert.ok(serverSpan, `the server span of hop ${hop}`);
      for (const span of [clientSpan, serverSpan]) assert.equal(span.spanContext().traceId, traceId);
      chain.push(serverSpan);
      parent = serverSpan.spanContext().spanId;
    }
    assertNoEndToEnd(chain[0]!, 'off', true);
    assertNoEndToEnd(chain[1]!, 'no origin came: the call is a new origin, nothing to measure', true);
    // The default server's handler calls on with its new origin, not the ingress's.
    assertNewOrigin(seen[2], startMsOf(chain[0]!), 'the call from the default server');
    const points = await histogramPoints(meters, RPC_END_TO_END_METRIC);
    assert.equal(
      points.reduce((n, p) => n + p.count, 0),
      1,
      'only the innermost server measures, from the new origin',
    );
  });
});
