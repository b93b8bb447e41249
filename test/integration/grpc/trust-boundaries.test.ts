/**
 * Trust boundaries across real grpc-js calls: a per-method `'continue'` rule, and signed creation context
 * (the client interceptor signs, the server interceptor verifies) with valid, forged, expired, unsigned
 * and copied contexts.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { context, propagation, SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TracebridgeConfigError } from '../../../src/core/errors';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { closedAfterEach, placeOrder } from '../../helpers/orders-fixture';
import {
  assertLinkedUnverified,
  EXPECTED_FAILURE,
  hostileContexts,
  OUTSIDER,
  SIGNING,
  verificationFailures,
  VERIFYING,
} from '../../helpers/signatures';
import { assertAttributes, assertChildOf, setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const PLACE_ORDER = 'shop.v1.Orders/PlaceOrder';

const { server, client } = closedAfterEach();
let tracing: TestTracing;
afterEach(async () => {
  await tracing.shutdown();
});

/** The server spans exported so far, waiting for `count` of them (they end just after the reply). */
async function serverSpans(count: number): Promise<ReadableSpan[]> {
  for (let i = 0; i < 300; i++) {
    const spans = tracing.spans().filter((s) => s.name === PLACE_ORDER && s.kind === SpanKind.SERVER);
    if (spans.length >= count) return spans;
    await new Promise((r) => setTimeout(r, 10));
  }
  return assert.fail(`expected ${count} server spans`);
}

function metadataOf(headers: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return metadata;
}

describe('gRPC trust boundaries', () => {
  it("a 'continue' rule for a method path keeps the trace, not the caller's baggage", async () => {
    tracing = setupTracing('w3c');
    let baggage: string | undefined = 'not seen';
    const s = await server(
      [
        grpcServerInterceptor({
          incoming: { rules: [{ destination: `/${PLACE_ORDER}`, policy: 'continue' }] },
        }),
      ],
      () => {
        baggage = propagation.getBaggage(context.active())?.getEntry('tenant')?.value;
      },
    );
    await placeOrder(
      client(s.address),
      'x',
      metadataOf({ traceparent: `00-${OUTSIDER.traceId}-${OUTSIDER.spanId}-01`, baggage: 'tenant=evil' }),
    );
    const [span] = await serverSpans(1);
    assertChildOf(span!, { ...OUTSIDER, traceFlags: 1 });
    assertAttributes(span!, { 'tracebridge.incoming.policy': 'continue' });
    assert.equal(baggage, undefined, 'the handler does not see the caller’s baggage');
  });

  it('a signing client is continued by a verifying server', async () => {
    tracing = setupTracing('w3c');
    const s = await server([grpcServerInterceptor({ signing: VERIFYING })]);
    await placeOrder(client(s.address, [grpcClientInterceptor({ signing: SIGNING })]), 'x');
    const [serverSpan] = await serverSpans(1);
    const clientSpan = tracing.spans().find((x) => x.kind === SpanKind.CLIENT)!;
    assertChildOf(serverSpan!, clientSpan);
    assertAttributes(serverSpan!, { 'tracebridge.trust.signature': 'valid' });
  });

  it('links forged, expired, unsigned and copied contexts, and counts each failure', async () => {
    tracing = setupTracing('w3c');
    const metrics = setupMetrics();
    try {
      const s = await server([
        grpcServerInterceptor({ signing: VERIFYING, meterProvider: metrics.provider }),
      ]);
      const plain = client(s.address);
      const cases = hostileContexts();
      for (const [name, headers] of Object.entries(cases)) {
        await placeOrder(plain, 'x', metadataOf(headers));
        const spans = await serverSpans(1);
        assertLinkedUnverified(spans[0]!, EXPECTED_FAILURE[name as keyof typeof cases]);
        tracing.reset();
      }
      const counts = await verificationFailures(metrics);
      assert.deepEqual(counts, { mismatch: 2, expired: 1, missing: 1 });
    } finally {
      await metrics.shutdown();
    }
  });

  it('a malformed signing option is a named error at setup', () => {
    tracing = setupTracing('w3c');
    assert.throws(
      () => grpcClientInterceptor({ signing: { keys: [{ id: 'k', secret: 'short' }], signWith: 'k' } }),
      TracebridgeConfigError,
    );
    assert.throws(() => grpcServerInterceptor({ signing: { keys: [] } }), TracebridgeConfigError);
  });
});
