/**
 * End-to-end latency across real grpc-js calls: a call made at an ingress carries the origin in its
 * metadata; the server records `tracebridge.rpc.end_to_end.duration` and the span attributes; a server
 * call with no inbound origin is itself an origin for what its handler calls; untrusted ('link', forged
 * signature) and future origins are ignored.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import {
  assertNoEndToEnd,
  atIngress,
  endToEndOf,
  histogramPoints,
  hostileOrigins,
  ORIGIN,
  originHeader,
  pointWith,
  RPC_END_TO_END_METRIC,
  startMsOf,
} from '../../helpers/end-to-end';
import { closedAfterEach, placeOrder } from '../../helpers/orders-fixture';
import { hostileContexts, OUTSIDER_TRACEPARENT, VERIFYING } from '../../helpers/signatures';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestMetrics, TestTracing } from '../../helpers/tracing';

const PLACE_ORDER = 'shop.v1.Orders/PlaceOrder';
const INGRESS_AGO_MS = 150;

const { server, client } = closedAfterEach();
let tracing: TestTracing;
let meters: TestMetrics;
afterEach(async () => {
  await tracing.shutdown();
  await meters.shutdown();
});

function metadataOf(headers: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return metadata;
}

/** The server spans exported so far, waiting for `count` of them (they end just after the reply). */
async function serverSpans(count: number): Promise<ReadableSpan[]> {
  for (let i = 0; i < 300; i++) {
    const spans = tracing.spans().filter((s) => s.name === PLACE_ORDER && s.kind === SpanKind.SERVER);
    if (spans.length >= count) return spans;
    await new Promise((r) => setTimeout(r, 10));
  }
  return assert.fail(`expected ${count} server spans`);
}

describe('gRPC end-to-end latency', () => {
  it('ingress -> call -> call: the origin reaches each server, hops and latency grow', async () => {
    tracing = setupTracing('w3c');
    meters = setupMetrics();
    const seen: string[] = [];
    const inner = await server([grpcServerInterceptor()], undefined, (_method, metadata) => {
      seen.push(String(metadata.get(ORIGIN)[0]));
    });
    const innerClient = client(inner.address, [grpcClientInterceptor()]);
    const outer = await server([grpcServerInterceptor()], async () => {
      await placeOrder(innerClient, 'inner');
    });
    const { ingressStartMs } = await atIngress(tracing, INGRESS_AGO_MS, () =>
      placeOrder(client(outer.address, [grpcClientInterceptor()]), 'outer'),
    );
    const [first, second] = (await serverSpans(2)).sort((a, b) => startMsOf(a) - startMsOf(b));
    assert.deepEqual(seen, [originHeader(ingressStartMs, 2)], 'the inner call carried hop 2');
    const outerHop = endToEndOf(first!, true);
    const innerHop = endToEndOf(second!, true);
    assert.equal(outerHop.hops, 1);
    assert.equal(innerHop.hops, 2);
    assert.ok(outerHop.ms >= INGRESS_AGO_MS, `${outerHop.ms} ms since the ingress`);
    assert.ok(innerHop.ms >= outerHop.ms);
    const point = pointWith(await histogramPoints(meters, RPC_END_TO_END_METRIC), {
      'rpc.system': 'grpc',
      'rpc.service': 'shop.v1.Orders',
      'rpc.method': 'PlaceOrder',
    });
    assert.equal(point.count, 2);
  });

  it("origins under 'link', with a forged signature, from the future or malformed are ignored", async () => {
    tracing = setupTracing('w3c');
    meters = setupMetrics();
    const valid = originHeader(Date.now() - 4000, 2);
    const trusted = await server([grpcServerInterceptor()]);
    const linked = await server([grpcServerInterceptor({ incoming: 'link' })]);
    const verifying = await server([grpcServerInterceptor({ signing: VERIFYING })]);
    const outsider = (origin: string) => metadataOf({ traceparent: OUTSIDER_TRACEPARENT, [ORIGIN]: origin });
    await placeOrder(client(trusted.address), 'control', outsider(valid));
    await placeOrder(client(trusted.address), 'future', outsider(hostileOrigins().future));
    await placeOrder(client(trusted.address), 'malformed', outsider(hostileOrigins().malformed));
    await placeOrder(client(linked.address), 'linked', outsider(valid));
    await placeOrder(
      client(verifying.address),
      'forged',
      metadataOf({ ...hostileContexts().forged, [ORIGIN]: valid }),
    );
    const spans = (await serverSpans(5)).sort((a, b) => startMsOf(a) - startMsOf(b));
    const control = spans.filter((s) => s.attributes['tracebridge.rpc.hops'] !== undefined);
    assert.equal(control.length, 1, 'only the control call recorded');
    assert.equal(endToEndOf(control[0]!, true).hops, 2);
    for (const span of spans.filter((s) => s !== control[0])) assertNoEndToEnd(span, 'ignored', true);
    const points = await histogramPoints(meters, RPC_END_TO_END_METRIC);
    assert.equal(
      points.reduce((n, p) => n + p.count, 0),
      1,
    );
  });
});
