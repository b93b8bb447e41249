/**
 * The origin rule (issue 16) across real grpc-js calls: a client writes `tracebridge-origin` metadata, and
 * a server keeps its caller's origin for the calls its handler makes, only when that hop's span records
 * or its interceptor has a live meter. Sampled and unsampled traces (the SDK's default
 * ParentBased(AlwaysOn) sampler follows the inbound flag), with and without a meter.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { context } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { ORIGIN, originHeader, remoteParent, remoteTraceparent } from '../../helpers/end-to-end';
import { Metadata } from '@grpc/grpc-js';
import { closedAfterEach, placeOrder } from '../../helpers/orders-fixture';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const { server, client } = closedAfterEach();
let tracing: TestTracing;
beforeEach(() => {
  tracing = setupTracing('w3c');
});
afterEach(async () => {
  await tracing.shutdown();
});

const meterOption = (metered: boolean) => (metered ? { meterProvider: new MeterProvider() } : {});

/** A server that records the origin metadata of each call it gets. */
async function recordingServer(seen: (string | undefined)[]) {
  return server([], undefined, (_method, metadata) => {
    const value = metadata.get(ORIGIN)[0];
    seen.push(typeof value === 'string' ? value : undefined);
  });
}

describe('gRPC: the origin rule', () => {
  for (const sampling of ['sampled', 'unsampled'] as const)
    for (const metered of [false, true])
      it(`a client call in a ${sampling} trace, ${metered ? 'with' : 'without'} a meter`, async () => {
        const seen: (string | undefined)[] = [];
        const target = await recordingServer(seen);
        const traced = client(target.address, [grpcClientInterceptor(meterOption(metered))]);
        await context.with(remoteParent(sampling), () => placeOrder(traced, 'sku'));
        assert.equal(seen.length, 1);
        const expected = sampling === 'sampled' || metered;
        assert.equal(seen[0] !== undefined, expected, `origin metadata: ${String(seen[0])}`);
      });

  for (const sampling of ['sampled', 'unsampled'] as const)
    for (const metered of [false, true]) {
      const kept = sampling === 'sampled' || metered;
      it(`a server in a ${sampling} trace, ${metered ? 'with' : 'without'} a meter ${kept ? 'forwards' : 'does not forward'} its caller's origin`, async () => {
        const seen: (string | undefined)[] = [];
        const downstream = await recordingServer(seen);
        // The downstream call's client is metered, so it writes whatever origin the server kept.
        const onward = client(downstream.address, [grpcClientInterceptor(meterOption(true))]);
        const hop = await server([grpcServerInterceptor(meterOption(metered))], async () => {
          await placeOrder(onward, 'onward');
        });
        const originMs = Date.now() - 5_000;
        const metadata = new Metadata();
        metadata.set('traceparent', remoteTraceparent(sampling));
        metadata.set(ORIGIN, originHeader(originMs, 2));
        await placeOrder(client(hop.address), 'sku', metadata);
        assert.equal(seen.length, 1);
        assert.ok(seen[0] !== undefined, 'the metered downstream client writes an origin either way');
        // Kept: the caller's origin goes on; not kept: the downstream client starts a new one.
        assert.equal(seen[0].startsWith(`v1:${originMs}:`), kept, `origin ${seen[0]}`);
      });
    }
});
