/**
 * A gRPC server handler that throws a value hostile to inspect, or answers with an error whose getters
 * throw, through real grpc-js servers and clients on 127.0.0.1:0: the client receives exactly the status
 * it receives from the same server without tracebridge, the SERVER span ends once as an error, and
 * tracebridge adds no unhandled rejection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { grpcServerInterceptor } from '../../../src/grpc/index';
import {
  collectUnhandledRejections,
  errorWithThrowingGetters,
  proxyThrowingOnEveryTrap,
  revokedProxy,
  settleTicks,
} from '../../helpers/hostile-values';
import { OrdersService, ordersClient, placeOrder } from '../../helpers/orders-fixture';
import { countSpanEnds } from '../../helpers/span-end-counter';
import type { SpanEndCounter } from '../../helpers/span-end-counter';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

/** An INTERNAL error whose `name`, `stack` and `message` getters throw; grpc-js reads only code and details. */
function internalErrorWithThrowingGetters(): Error {
  const error = new Error('hidden');
  for (const key of ['stack', 'name', 'message']) {
    Object.defineProperty(error, key, {
      get() {
        throw new Error(`${key} getter`);
      },
    });
  }
  return Object.assign(error, { code: grpc.status.INTERNAL, details: 'inventory down' });
}

/** Throws `value`, whatever it is. */
function raise(value: unknown): never {
  throw value;
}

/** What each `x-case` makes the PlaceOrder handler do. */
const CASES: Record<string, (callback: grpc.sendUnaryData<unknown>) => void> = {
  'throw getters': () => raise(errorWithThrowingGetters()),
  'throw proxy': () => raise(proxyThrowingOnEveryTrap()),
  'throw revoked': () => raise(revokedProxy()),
  'throw null': () => raise(null),
  'answer getters': (callback) => callback(internalErrorWithThrowingGetters()),
};

async function startServer(
  interceptors: grpc.ServerInterceptor[],
): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server({ interceptors });
  server.addService(OrdersService.service, {
    PlaceOrder: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      CASES[String(call.metadata.get('x-case')[0])]!(callback);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return { server, address: `127.0.0.1:${port}` };
}

/** The status the client sees for one case. */
async function statusOf(address: string, name: string): Promise<{ code: number; details: string }> {
  const client = ordersClient(address, []);
  const metadata = new grpc.Metadata();
  metadata.set('x-case', name);
  try {
    await placeOrder(client, 'sku', metadata);
    assert.fail(`${name}: the call succeeded`);
  } catch (error) {
    const { code, details } = error as grpc.ServiceError;
    return { code, details };
  } finally {
    client.close();
  }
}

describe('gRPC server: the application’s own values', () => {
  let tracing: TestTracing;
  let counter: SpanEndCounter;
  let traced: { server: grpc.Server; address: string };
  let plain: { server: grpc.Server; address: string };

  before(async () => {
    tracing = setupTracing('w3c');
    counter = countSpanEnds(tracing.provider);
    traced = await startServer([grpcServerInterceptor({ tracerProvider: counter.provider })]);
    plain = await startServer([]);
  });
  after(async () => {
    traced.server.forceShutdown();
    plain.server.forceShutdown();
    await tracing.shutdown();
  });

  for (const name of Object.keys(CASES)) {
    it(`${name}: the client gets the status it gets without tracebridge`, async () => {
      const unhandled = collectUnhandledRejections();
      try {
        tracing.reset();
        counter.started.length = 0;
        const withTracing = await statusOf(traced.address, name);
        assert.deepEqual(withTracing, await statusOf(plain.address, name));
        await settleTicks();

        const [span, ...others] = tracing.spans().filter((s) => s.kind === SpanKind.SERVER);
        assert.equal(others.length, 0);
        assert.equal(span?.status.code, SpanStatusCode.ERROR);
        assert.equal(span.attributes['rpc.grpc.status_code'], withTracing.code);
        assert.deepEqual(counter.misended(), [], 'the span ended exactly once');
        assert.deepEqual(unhandled.reasons, [], 'no unhandled rejection');
      } finally {
        unhandled.uninstall();
      }
    });
  }
});
