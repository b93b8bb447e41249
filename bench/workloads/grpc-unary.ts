/**
 * Unary gRPC calls per second through a real grpc-js client and server in this process (127.0.0.1, one
 * connection per variant, a fixed number of calls in flight):
 *
 * - no tracing: nothing registered, no interceptors;
 * - floor: a pair of bare-API interceptors making tracebridge's spans (their names and all their attributes,
 *   its `tracebridge.*` ones too) and its metadata: a CLIENT span per call, its context (and, when sampled,
 *   the `tracebridge-origin` header: see floor-features.ts) injected into a plain object copied into the
 *   call's metadata, ended at the status; a SERVER span child of the context extracted from the metadata's
 *   plain map, recording the end-to-end latency and hop of the origin a continued caller sent, the handler
 *   run in its context (at half-close, where grpc-js calls unary handlers), ended when the status is sent;
 * - tracebridge: `grpcClientInterceptor` / `grpcServerInterceptor`;
 * - contrib: `@opentelemetry/instrumentation-grpc`;
 *
 * under no SDK (floor, tracebridge) and each sampler (see bench-sdk.ts, matrix.ts).
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
 * - `enter()` registers the shared context manager and propagator for the variants with an SDK, and
 *   points the contrib instrumentation (whose variants share one patched pair) at the sampler's provider;
 *   the baseline and the no-SDK variants run with nothing registered, like an application without tracing.
 *
 * Checks, so that the comparison cannot silently compare nothing: at setup, {@link CHECK_CALLS} calls per
 * variant export what its condition allows, from its own scope only, every trace a CLIENT root and a SERVER
 * child of it. After every timed run the processors are flushed (outside the timed region) and the spans
 * exported number what the condition allows, all from the variant's own scope. Every call must succeed.
 */
import type * as grpcJs from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import type * as tracebridgeGrpc from '../../src/grpc/index';
import { INSTRUMENTATION_NAME } from '../../src/version';
import { ordersImplementation, PROTO_PATH } from '../../test/helpers/orders-fixture';
import {
  checkCounts,
  createBenchSdk,
  FLOOR_SCOPE,
  floorTracer,
  isWrapped,
  packageCopies,
  rootWithChild,
} from '../bench-sdk';
import type { BenchSdk, TraceGroup } from '../bench-sdk';
import { loadBuilt, TRACEBRIDGE_BENCH_OPTIONS } from '../built-package';
import { buildVariants, cells, conditionBlocks, checkEachVariant, enterCell, targetsReport } from '../matrix';
import type { Cell, Family } from '../matrix';
import type { BenchOptions, Variant, Workload, WorkloadResult } from '../runner';
import { carryFloorOrigin, FLOOR_ORIGIN_HEADER, recordFloorArrival } from '../floor-features';

type GrpcJs = typeof grpcJs;

/** Calls in flight at once, pipelined over each variant's one client connection. */
const CONCURRENCY = 16;
/** Calls per variant in the setup check: enough for the ratio sampler to record some traces. */
const CHECK_CALLS = 200;
const CONTRIB_SCOPE = '@opentelemetry/instrumentation-grpc';
const SCOPES: Record<Family, string> = {
  baseline: INSTRUMENTATION_NAME,
  floor: FLOOR_SCOPE,
  tracebridge: INSTRUMENTATION_NAME,
  contrib: CONTRIB_SCOPE,
};

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
    const call = (): void => {
      started++;
      client.PlaceOrder(request, onEnd);
    };
    // Each call is its own trace: the contrib instrumentation runs a call's callback in its CLIENT span's
    // context, and a call started from there would be that span's child.
    const next = (): void => context.with(ROOT_CONTEXT, call);
    for (let i = 0; i < Math.min(CONCURRENCY, operations); i++) next();
  });
}

/**
 * What every span of one method shares: its name and the attributes it starts with, those of tracebridge's
 * spans (see `checkFloorParity` in matrix.ts), made once per method path.
 */
interface FloorMethod {
  readonly name: string;
  readonly attributes: Attributes;
}

function floorMethods(): (path: string) => FloorMethod {
  const made = new Map<string, FloorMethod>();
  return (path) => {
    let method = made.get(path);
    if (method === undefined) {
      const name = path.slice(1);
      const slash = name.lastIndexOf('/');
      method = {
        name,
        attributes: Object.freeze({
          'rpc.system': 'grpc',
          'rpc.service': name.slice(0, slash),
          'rpc.method': name.slice(slash + 1),
        }),
      };
      made.set(path, method);
    }
    return method;
  };
}

/** `host:port` (as grpc-js's `getPeer()` reports the server) parsed, the last one kept. */
function peerParser(): (peer: string) => { readonly address: string; readonly port: number } {
  let last: { peer: string; address: string; port: number } | undefined;
  return (peer) => {
    if (last?.peer !== peer) {
      const colon = peer.lastIndexOf(':');
      last = { peer, address: peer.slice(0, colon), port: Number(peer.slice(colon + 1)) };
    }
    return last;
  };
}

/** The floor's client interceptor: see the file's comment. */
function floorClientInterceptor(grpc: GrpcJs, tracer: Tracer): grpcJs.Interceptor {
  const methodOf = floorMethods();
  const parsePeer = peerParser();
  return (callOptions, nextCall) => {
    const active = context.active();
    const method = methodOf(callOptions.method_definition.path);
    const span = tracer.startSpan(
      method.name,
      { kind: SpanKind.CLIENT, attributes: method.attributes },
      active,
    );
    const spanContext = trace.setSpan(active, span);
    const call: grpcJs.InterceptingCall = new grpc.InterceptingCall(nextCall(callOptions), {
      start(metadata, listener, next) {
        const carrier: Record<string, string> = {};
        propagation.inject(spanContext, carrier);
        // tracebridge's origin, written (with no MeterProvider) only for a sampled call, as it does.
        carryFloorOrigin(carrier, span, Date.now());
        for (const key in carrier) metadata.set(key, carrier[key]!);
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            if (span.isRecording()) {
              span.setAttribute('rpc.grpc.status_code', status.code);
              const peer = parsePeer(call.getPeer());
              span.setAttribute('server.address', peer.address);
              span.setAttribute('server.port', peer.port);
            }
            span.end();
            nextStatus(status);
          },
        });
      },
    });
    return call;
  };
}

/** The floor's server interceptor: see the file's comment. */
function floorServerInterceptor(grpc: GrpcJs, tracer: Tracer): grpcJs.ServerInterceptor {
  const methodOf = floorMethods();
  return (methodDescriptor, call) => {
    let span: Span | undefined;
    let spanContext: Context | undefined;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const map = metadata.getMap();
            const parent = propagation.extract(context.active(), map);
            const method = methodOf(methodDescriptor.path);
            span = tracer.startSpan(
              method.name,
              { kind: SpanKind.SERVER, attributes: method.attributes },
              parent,
            );
            if (span.isRecording()) {
              const info = call.getConnectionInfo();
              if (info.localAddress !== undefined) span.setAttribute('server.address', info.localAddress);
              if (info.localPort !== undefined) span.setAttribute('server.port', info.localPort);
              if (info.remoteAddress !== undefined)
                span.setAttribute('network.peer.address', info.remoteAddress);
              if (info.remotePort !== undefined) span.setAttribute('network.peer.port', info.remotePort);
              // Believed, as tracebridge believes it, only when the caller's trace is continued.
              if (trace.getSpanContext(parent) !== undefined)
                recordFloorArrival(span, map[FLOOR_ORIGIN_HEADER], Date.now(), 'rpc');
            }
            spanContext = trace.setSpan(parent, span);
            nextMetadata(metadata);
          },
          onReceiveHalfClose: (nextHalfClose) => context.with(spanContext!, nextHalfClose),
        }),
      sendStatus(status, nextStatus) {
        if (span?.isRecording() === true) span.setAttribute('rpc.grpc.status_code', status.code);
        span?.end();
        nextStatus(status);
      },
    });
  };
}

/** One CLIENT root and one SERVER child of it per call. */
const callTraces = (calls: number): TraceGroup[] => [{ traces: calls, spans: 2 }];

interface GrpcVariant extends Variant {
  readonly cell: Cell;
  run(calls: number): Promise<void>;
}

export function workload(options: BenchOptions): Workload {
  const sdk: BenchSdk = createBenchSdk();
  const pairs = new Map<string, Pair>();
  let instrumentation: GrpcInstrumentation | undefined;
  let lastCalls = 0;

  const variants = buildVariants(cells(true), options.include, (cell): GrpcVariant => {
    const samplerSdk = cell.condition === undefined ? undefined : sdk.of(cell.condition);
    return {
      name: cell.name,
      cell,
      enter: () => enterCell(sdk, cell, samplerSdk, instrumentation),
      run(calls) {
        lastCalls = calls;
        return placeOrders(pairs.get(cell.name)!.client, calls);
      },
      async exit() {
        if (samplerSdk !== undefined) await sdk.unregister();
        checkCounts(cell.name, cell.condition ?? 'no SDK', sdk, SCOPES[cell.family], callTraces(lastCalls));
      },
    };
  });

  return {
    name: 'grpc-unary',
    description: `unary calls to an in-process server, ${CONCURRENCY} in flight`,
    unit: 'call',
    operations: options.quick ? 2_000 : 5_000,
    rounds: options.quick ? 3 : 7,
    variants,
    blocks: conditionBlocks(variants),
    async setup() {
      const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: false, defaults: true });
      const { grpcClientInterceptor, grpcServerInterceptor } = loadBuilt<typeof tracebridgeGrpc>(
        'grpc/index',
        (m) => m.grpcClientInterceptor,
      );
      // Uninstrumented copies first, before the instrumentation hooks `require`.
      for (const v of variants) {
        const { family, condition } = v.cell;
        if (family === 'contrib') continue;
        const grpc = grpcCopies.fresh<GrpcJs>();
        const samplerSdk = condition === undefined ? undefined : sdk.of(condition);
        const withProvider = {
          ...TRACEBRIDGE_BENCH_OPTIONS,
          ...(samplerSdk === undefined ? {} : { tracerProvider: samplerSdk.provider }),
        };
        const interceptors =
          family === 'baseline'
            ? undefined
            : family === 'floor'
              ? {
                  client: [floorClientInterceptor(grpc, floorTracer(samplerSdk))],
                  server: [floorServerInterceptor(grpc, floorTracer(samplerSdk))],
                }
              : {
                  client: [grpcClientInterceptor({ grpc, ...withProvider })],
                  server: [grpcServerInterceptor({ grpc, ...withProvider })],
                };
        pairs.set(v.name, await startPair(grpc, definition, interceptors));
      }
      const contribs = variants.filter((v) => v.cell.family === 'contrib');
      if (contribs.length > 0) {
        instrumentation = new GrpcInstrumentation();
        const patched = await startPair(grpcCopies.fresh<GrpcJs>(), definition);
        for (const v of contribs) pairs.set(v.name, patched);
      }

      // Only the contrib copy is patched, and its client class is wrapped.
      for (const v of variants) {
        const pair = pairs.get(v.name)!;
        const patched = isWrapped(pair.grpc.Server.prototype, 'register');
        const clientWrapped = isWrapped(pair.client, 'PlaceOrder');
        const shouldBe = v.cell.family === 'contrib';
        if (patched !== shouldBe || clientWrapped !== shouldBe)
          throw new Error(
            `${v.name}: grpc-js patched=${patched}, client wrapped=${clientWrapped}, expected ${shouldBe}`,
          );
      }
      if (new Set([...pairs.values()].map((p) => p.grpc)).size !== new Set(pairs.values()).size)
        throw new Error('the variants share a copy of grpc-js');

      await checkEachVariant(sdk, variants, CHECK_CALLS, (v) => ({
        scope: SCOPES[v.cell.family],
        groups: callTraces(CHECK_CALLS),
        checkTrace: rootWithChild(SpanKind.CLIENT, SpanKind.SERVER),
      }));
    },
    async teardown() {
      for (const pair of new Set(pairs.values())) await pair.close();
      instrumentation?.disable();
      await sdk.shutdown();
      // Later requires of grpc-js get the copy this process had before setup.
      grpcCopies.restore();
    },
  };
}

export function summary(result: WorkloadResult): string {
  return targetsReport(result, 'instrumentation-grpc');
}
