/**
 * Unary gRPC calls per second through a real grpc-js client and server in this process (127.0.0.1, one
 * connection per variant, a fixed number of calls in flight): with no tracing at all, with tracebridge's
 * interceptors, and with `@opentelemetry/instrumentation-grpc`. Both traced variants use the same SDK: a
 * `BasicTracerProvider`, AlwaysOn sampling, a `BatchSpanProcessor` and an exporter that discards (it only
 * counts), the AsyncLocalStorage context manager and the W3C propagator.
 *
 * How each variant is wired, and why not by switching one client back and forth:
 *
 * - `@opentelemetry/instrumentation-grpc` patches grpc-js when grpc-js is `require`d after the
 *   instrumentation is enabled, and it wraps each client class (`loadPackageDefinition`) and each
 *   registered server handler at creation. `disable()` only unwraps the module's own functions: clients and
 *   servers made while it was enabled keep producing spans, and those made while it was disabled never do,
 *   even after `enable()`. So per-run `enable()`/`disable()` would not switch anything.
 * - So every variant gets its own copy of grpc-js (a fresh `require` after clearing grpc-js from the module
 *   cache) and its own server and client: the baseline's and tracebridge's copies are loaded before the
 *   instrumentation exists; the contrib copy is loaded after, and is the only patched one. Separate copies
 *   also keep the variants from sharing JIT feedback in grpc-js's code.
 * - tracebridge runs as it ships, from the built dist/ (see `compiledTracebridgeGrpc`), like the contrib
 *   instrumentation, which runs as published JavaScript.
 * - `enter()` registers the SDK's context manager, propagator and tracer provider for the traced variants
 *   only; the baseline runs with nothing registered (so no async-hooks-based context propagation either),
 *   like an application without tracing.
 *
 * Checks, so that the comparison cannot silently compare nothing: at setup, 10 calls per variant must give
 * 0 spans (baseline) or exactly one CLIENT and one SERVER span per call from the right instrumentation, the
 * server span a child of the client span. After every timed run the processor is flushed (outside the timed
 * region) and the spans exported during the run must number exactly two per call, all from the variant's
 * own instrumentation: none dropped, none from the other one. Every call must succeed.
 */
import type * as grpcJs from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { SpanKind } from '@opentelemetry/api';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type * as tracebridgeGrpc from '../../src/grpc/index';
import { INSTRUMENTATION_NAME } from '../../src/version';
import { ordersImplementation, PROTO_PATH } from '../../test/helpers/orders-fixture';
import { createBenchSdk, isWrapped, packageCopies } from '../bench-sdk';
import type { CountingExporter } from '../bench-sdk';
import { loadBuilt } from '../built-package';
import type { Variant, Workload, WorkloadResult } from '../runner';

type GrpcJs = typeof grpcJs;

/** Calls in flight at once, pipelined over each variant's one client connection. */
const CONCURRENCY = 16;
/** Calls per variant in the setup check. */
const CHECK_CALLS = 10;
const CONTRIB_SCOPE = '@opentelemetry/instrumentation-grpc';
const NAMES = {
  baseline: 'no tracing',
  tracebridge: 'tracebridge interceptors',
  contrib: '@opentelemetry/instrumentation-grpc',
} as const;

interface PlaceOrderRequest {
  customerId: string;
  sku: string;
  quantity: number;
}

interface OrdersClient extends grpcJs.Client {
  PlaceOrder(
    request: PlaceOrderRequest,
    callback: (error: grpcJs.ServiceError | null) => void,
  ): grpcJs.ClientUnaryCall;
}

type OrdersClientConstructor = new (
  address: string,
  credentials: grpcJs.ChannelCredentials,
  options?: grpcJs.ClientOptions,
) => OrdersClient;

// A fresh copy of grpc-js per variant: see packageCopies in bench-sdk.ts.
const grpcCopies = packageCopies('@grpc/grpc-js');

/** tracebridge's gRPC entry point as it ships (see bench/built-package.ts). */
function compiledTracebridgeGrpc(): typeof tracebridgeGrpc {
  return loadBuilt<typeof tracebridgeGrpc>('grpc/index', (m) => m.grpcClientInterceptor);
}

interface Pair {
  readonly grpc: GrpcJs;
  readonly client: OrdersClient;
  close(): Promise<void>;
}

/** A server and a client of the fixture, both built with `grpc` (and its patches, if it has any). */
async function startPair(
  grpc: GrpcJs,
  definition: protoLoader.PackageDefinition,
  interceptors?: { client: grpcJs.Interceptor[]; server: grpcJs.ServerInterceptor[] },
): Promise<Pair> {
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    shop: { v1: { Orders: grpcJs.ServiceClientConstructor } };
  };
  const Orders = loaded.shop.v1.Orders;
  const server =
    interceptors === undefined ? new grpc.Server() : new grpc.Server({ interceptors: interceptors.server });
  server.addService(Orders.service, ordersImplementation());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  const ordersClass = Orders as unknown as OrdersClientConstructor;
  const address = `127.0.0.1:${port}`;
  const credentials = grpc.credentials.createInsecure();
  const client =
    interceptors === undefined
      ? new ordersClass(address, credentials)
      : new ordersClass(address, credentials, { interceptors: interceptors.client });
  return {
    grpc,
    client,
    close: async () => {
      client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

/** `operations` unary calls, `CONCURRENCY` in flight; rejects after all have ended if any failed. */
function placeOrders(client: OrdersClient, operations: number): Promise<void> {
  const request: PlaceOrderRequest = { customerId: 'c-1', sku: 'sku-1', quantity: 1 };
  return new Promise((resolve, reject) => {
    let started = 0;
    let ended = 0;
    let failed = 0;
    let firstError: grpcJs.ServiceError | undefined;
    const onEnd = (error: grpcJs.ServiceError | null): void => {
      ended++;
      if (error !== null) {
        failed++;
        firstError ??= error;
      }
      if (started < operations) next();
      else if (ended === operations) {
        if (failed === 0) resolve();
        else reject(new Error(`${failed} of ${operations} calls failed; first: ${firstError?.message}`));
      }
    };
    const next = (): void => {
      started++;
      client.PlaceOrder(request, onEnd);
    };
    for (let i = 0; i < Math.min(CONCURRENCY, operations); i++) next();
  });
}

/** A variant whose `exit` checks what its run exported. */
interface CheckedVariant extends Variant {
  enter(): void;
  run(operations: number): Promise<void>;
  exit(): Promise<void>;
}

/** What a variant's run must have exported: nothing, or one CLIENT and one SERVER span per call from `scope`. */
type Expected = { traced: false } | { traced: true; scope: string };

function checkCounts(variant: string, expected: Expected, exporter: CountingExporter, calls: number): void {
  const want = expected.traced ? 2 * calls : 0;
  const fromScope = expected.traced ? (exporter.byScope.get(expected.scope) ?? 0) : 0;
  if (exporter.total !== want || fromScope !== want) {
    const scopes = JSON.stringify(Object.fromEntries(exporter.byScope));
    throw new Error(
      `${variant}: ${calls} calls exported ${exporter.total} spans ${scopes}, expected ${want}`,
    );
  }
}

/** The setup check's span-level part: one CLIENT root per call and one SERVER child of it. */
function checkShape(variant: string, spans: readonly ReadableSpan[]): void {
  const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
  const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
  if (clients.length !== CHECK_CALLS || servers.length !== CHECK_CALLS)
    throw new Error(
      `${variant}: ${clients.length} CLIENT and ${servers.length} SERVER spans for ${CHECK_CALLS} calls`,
    );
  const clientIds = new Set(clients.map((s) => `${s.spanContext().traceId}-${s.spanContext().spanId}`));
  if (clients.some((s) => s.parentSpanContext !== undefined))
    throw new Error(`${variant}: CLIENT spans are not roots: calls are not independent traces`);
  for (const server of servers) {
    const parent = server.parentSpanContext;
    if (parent === undefined || !clientIds.has(`${parent.traceId}-${parent.spanId}`))
      throw new Error(`${variant}: a SERVER span is not a child of a CLIENT span: context did not propagate`);
  }
}

export function grpcUnaryWorkload(): Workload {
  const sdk = createBenchSdk();
  const { exporter, provider } = sdk;
  const pairs = new Map<string, Pair>();
  let instrumentation: GrpcInstrumentation | undefined;
  let lastOperations = 0;

  const variant = (name: string, expected: Expected): CheckedVariant => ({
    name,
    enter() {
      exporter.reset();
      if (expected.traced) sdk.register();
    },
    run(operations) {
      lastOperations = operations;
      return placeOrders(pairs.get(name)!.client, operations);
    },
    async exit() {
      if (expected.traced) await sdk.unregister();
      checkCounts(name, expected, exporter, lastOperations);
    },
  });

  const variants = [
    variant(NAMES.baseline, { traced: false }),
    variant(NAMES.tracebridge, { traced: true, scope: INSTRUMENTATION_NAME }),
    variant(NAMES.contrib, { traced: true, scope: CONTRIB_SCOPE }),
  ] as const;
  const [baseline, tracebridge, contrib] = variants;

  return {
    name: 'grpc-unary',
    description: `unary calls to an in-process server, ${CONCURRENCY} in flight, same SDK (batch processor, AlwaysOn, discarding exporter)`,
    unit: 'call',
    operations: 6_000,
    rounds: 7,
    variants,
    async setup() {
      const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: false, defaults: true });
      // Uninstrumented copies first, before the instrumentation hooks `require`.
      const plainGrpc = grpcCopies.fresh<GrpcJs>();
      pairs.set(baseline.name, await startPair(plainGrpc, definition));
      const { grpcClientInterceptor, grpcServerInterceptor } = compiledTracebridgeGrpc();
      const tracedGrpc = grpcCopies.fresh<GrpcJs>();
      pairs.set(
        tracebridge.name,
        await startPair(tracedGrpc, definition, {
          client: [grpcClientInterceptor({ grpc: tracedGrpc, tracerProvider: provider })],
          server: [grpcServerInterceptor({ grpc: tracedGrpc, tracerProvider: provider })],
        }),
      );

      instrumentation = new GrpcInstrumentation();
      instrumentation.setTracerProvider(provider);
      const patchedGrpc = grpcCopies.fresh<GrpcJs>();
      pairs.set(contrib.name, await startPair(patchedGrpc, definition));

      // Only the contrib copy is patched, and its client class is wrapped.
      for (const [name, pair] of pairs) {
        const patched = isWrapped(pair.grpc.Server.prototype, 'register');
        const clientWrapped = isWrapped(pair.client, 'PlaceOrder');
        const shouldBe = name === contrib.name;
        if (patched !== shouldBe || clientWrapped !== shouldBe)
          throw new Error(
            `${name}: grpc-js patched=${patched}, client wrapped=${clientWrapped}, expected ${shouldBe}`,
          );
      }
      if (new Set([...pairs.values()].map((p) => p.grpc)).size !== pairs.size)
        throw new Error('the variants share a copy of grpc-js');

      for (const v of variants) {
        exporter.kept = [];
        v.enter();
        try {
          await v.run(CHECK_CALLS);
        } finally {
          await v.exit();
        }
        if (v !== baseline) checkShape(v.name, exporter.kept);
        exporter.kept = undefined;
      }
    },
    async teardown() {
      for (const pair of pairs.values()) await pair.close();
      instrumentation?.disable();
      await provider.shutdown();
      // Later requires of grpc-js get the copy this process had before setup.
      grpcCopies.restore();
    },
  };
}

/** The line printed under the table: the ratios the target is stated in. */
export function grpcUnarySummary({ results }: WorkloadResult): string {
  const ratio = (name: string) => results.find((r) => r.name === name)?.throughputRatio ?? NaN;
  const tracebridge = ratio(NAMES.tracebridge);
  const contrib = ratio(NAMES.contrib);
  return [
    `tracebridge vs no tracing: ${tracebridge.toFixed(2)}x (target >= 0.85x)`,
    `instrumentation-grpc vs no tracing: ${contrib.toFixed(2)}x`,
    `tracebridge vs instrumentation-grpc: ${(tracebridge / contrib).toFixed(2)}x (target > 1.00x)`,
  ].join('; ');
}
