/**
 * The gRPC fixture: the `shop.v1.Orders` service from protos/, served in-process on 127.0.0.1:0 by a real
 * grpc-js server, with a test-controlled behaviour per call chosen by the `x-scenario` request metadata:
 *
 * - `ok` (default): answer normally;
 * - `error`: end with status NOT_FOUND (a client error, not a server fault);
 * - `internal`: end with status INTERNAL;
 * - `throw`: the handler throws (unary, server streaming), fails its callback (client streaming) or its
 *   stream emits an error (bidi);
 * - `hang`: never answer (for client cancellation and deadlines).
 */
import { join } from 'node:path';
import { afterEach } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_PATH = join(__dirname, '..', '..', 'protos', 'shop', 'v1', 'orders.proto');

type ServiceClientConstructor = grpc.ServiceClientConstructor;

const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: false, defaults: true });
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  shop: { v1: { Orders: ServiceClientConstructor } };
};

/** The generated client constructor, and the service definition servers register. */
export const OrdersService = loaded.shop.v1.Orders;

/** What a handler may do before answering: used by chain tests to call the next hop. */
export type BeforeAnswer = (call: { metadata: grpc.Metadata }) => Promise<void> | void;

/** Called as each handler starts, with the method and the request metadata the handler sees. */
export type OnHandlerStart = (method: string, metadata: grpc.Metadata) => void;

function scenarioOf(metadata: grpc.Metadata): string {
  const value = metadata.get('x-scenario')[0];
  return typeof value === 'string' ? value : 'ok';
}

function statusFor(scenario: string): grpc.StatusObject | undefined {
  if (scenario === 'error')
    return { code: grpc.status.NOT_FOUND, details: 'no such order', metadata: new grpc.Metadata() };
  if (scenario === 'internal')
    return { code: grpc.status.INTERNAL, details: 'broken', metadata: new grpc.Metadata() };
  return undefined;
}

/** The service implementation, honouring `x-scenario`. */
export function ordersImplementation(
  beforeAnswer?: BeforeAnswer,
  onStart?: OnHandlerStart,
): grpc.UntypedServiceImplementation {
  return {
    PlaceOrder: (
      call: grpc.ServerUnaryCall<{ sku: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      onStart?.('PlaceOrder', call.metadata);
      const scenario = scenarioOf(call.metadata);
      if (scenario === 'hang') return;
      if (scenario === 'throw') throw new Error('handler exploded');
      const status = statusFor(scenario);
      if (status !== undefined) return callback(status);
      void Promise.resolve(beforeAnswer?.(call)).then(
        () => callback(null, { orderId: `o-${call.request.sku}`, sku: call.request.sku, status: 'PLACED' }),
        (error: Error) => callback({ code: grpc.status.UNAVAILABLE, details: error.message }),
      );
    },
    WatchOrder: (call: grpc.ServerWritableStream<{ orderId: string }, unknown>) => {
      onStart?.('WatchOrder', call.metadata);
      const scenario = scenarioOf(call.metadata);
      if (scenario === 'hang') return;
      // A synchronous throw: grpc-js turns it into status UNKNOWN.
      if (scenario === 'throw') throw new Error('stream exploded');
      const status = statusFor(scenario);
      if (status !== undefined) {
        call.emit('error', status);
        return;
      }
      for (const s of ['PLACED', 'PACKED', 'SHIPPED'])
        call.write({ orderId: call.request.orderId, status: s });
      call.end();
    },
    ImportOrders: (
      call: grpc.ServerReadableStream<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      onStart?.('ImportOrders', call.metadata);
      const scenario = scenarioOf(call.metadata);
      let imported = 0;
      call.on('data', () => imported++);
      call.on('end', () => {
        if (scenario === 'hang') return;
        if (scenario === 'throw') return callback(new Error('import exploded'));
        const status = statusFor(scenario);
        if (status !== undefined) return callback(status);
        callback(null, { imported });
      });
    },
    Chat: (call: grpc.ServerDuplexStream<{ orderId: string; text: string }, unknown>) => {
      onStart?.('Chat', call.metadata);
      const scenario = scenarioOf(call.metadata);
      call.on('data', (m: { orderId: string; text: string }) => {
        if (scenario === 'ok') call.write({ orderId: m.orderId, text: `echo ${m.text}` });
      });
      call.on('end', () => {
        if (scenario === 'hang') return;
        // An asynchronous failure: the stream's error event, which grpc-js sends as status UNKNOWN.
        // (call.destroy(error) would send no status at all, leaving the client to its deadline.)
        if (scenario === 'throw') {
          call.emit('error', new Error('chat exploded'));
          return;
        }
        const status = statusFor(scenario);
        if (status !== undefined) {
          call.emit('error', status);
          return;
        }
        call.end();
      });
    },
  };
}

export interface RunningServer {
  readonly server: grpc.Server;
  readonly address: string;
  close(): Promise<void>;
}

/** Starts a real server on 127.0.0.1:0 with `interceptors`, serving the fixture. */
export async function startOrdersServer(
  interceptors: grpc.ServerInterceptor[],
  beforeAnswer?: BeforeAnswer,
  onStart?: OnHandlerStart,
): Promise<RunningServer> {
  const server = new grpc.Server({ interceptors });
  server.addService(OrdersService.service, ordersImplementation(beforeAnswer, onStart));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return {
    server,
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

export interface PlaceOrderRequest {
  customerId?: string;
  sku: string;
  quantity?: number;
}
export interface Order {
  orderId: string;
  sku: string;
  status: string;
}
export interface ChatMessage {
  orderId: string;
  text: string;
}
type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;

/** The generated client, typed for the tests. */
export interface OrdersClient extends grpc.Client {
  PlaceOrder(
    request: PlaceOrderRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: Callback<Order>,
  ): grpc.ClientUnaryCall;
  WatchOrder(
    request: { orderId: string },
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<{ orderId: string; status: string }>;
  ImportOrders(
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: Callback<{ imported: number }>,
  ): grpc.ClientWritableStream<PlaceOrderRequest>;
  Chat(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<ChatMessage, ChatMessage>;
}

/** A client of the fixture, with `interceptors`. */
export function ordersClient(address: string, interceptors: grpc.Interceptor[]): OrdersClient {
  return new OrdersService(address, grpc.credentials.createInsecure(), {
    interceptors,
  }) as unknown as OrdersClient;
}

/** One unary PlaceOrder call as a promise of the response (rejecting with the ServiceError). */
export function placeOrder(
  client: OrdersClient,
  sku: string,
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<Order> {
  return new Promise((resolve, reject) =>
    client.PlaceOrder({ customerId: 'c1', sku, quantity: 1 }, metadata, options, (error, response) =>
      error === null && response !== undefined
        ? resolve(response)
        : reject(error ?? new Error('no response')),
    ),
  );
}

/** `startOrdersServer` and `ordersClient` for one test file, whose servers and clients close after each test. */
export interface ClosedAfterEach {
  readonly server: (...args: Parameters<typeof startOrdersServer>) => Promise<RunningServer>;
  readonly client: (address: string, interceptors?: grpc.Interceptor[]) => OrdersClient;
}

/**
 * Registers, for the calling test file, an `afterEach` that closes every client and server opened through
 * the returned functions. Call it before the file's own `afterEach` hooks (a file's hooks run in the order
 * they were registered), so that servers are closed before the SDK they export to shuts down.
 */
export function closedAfterEach(): ClosedAfterEach {
  const servers: RunningServer[] = [];
  const clients: OrdersClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return {
    server: async (...args) => {
      const s = await startOrdersServer(...args);
      servers.push(s);
      return s;
    },
    client: (address, interceptors = []) => {
      const c = ordersClient(address, interceptors);
      clients.push(c);
      return c;
    },
  };
}
