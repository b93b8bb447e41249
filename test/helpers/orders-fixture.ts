/**
 * The gRPC fixture: the `shop.v1.Orders` service from protos/, served in-process on 127.0.0.1:0 by a real
 * grpc-js server, with a test-controlled behaviour per call chosen by the `x-scenario` request metadata:
 *
 * - `ok` (default): answer normally;
 * - `error`: end with status NOT_FOUND (a client error, not a server fault);
 * - `internal`: end with status INTERNAL;
 * - `throw`: the handler throws (unary and client-streaming) or emits an error (streams);
 * - `hang`: never answer (for client cancellation and deadlines).
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_PATH = join(__dirname, '..', '..', 'protos', 'shop', 'v1', 'orders.proto');

export interface OrdersClient extends grpc.Client {
  PlaceOrder: grpc.requestCallback<unknown> extends never ? never : (...args: unknown[]) => grpc.ClientUnaryCall;
}

type ServiceClientConstructor = grpc.ServiceClientConstructor;

const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: false, defaults: true });
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  shop: { v1: { Orders: ServiceClientConstructor } };
};

/** The generated client constructor, and the service definition servers register. */
export const OrdersService = loaded.shop.v1.Orders;

/** What a handler may do before answering: used by chain tests to call the next hop. */
export type BeforeAnswer = (call: { metadata: grpc.Metadata }) => Promise<void> | void;

function scenarioOf(metadata: grpc.Metadata): string {
  const value = metadata.get('x-scenario')[0];
  return typeof value === 'string' ? value : 'ok';
}

function statusFor(scenario: string): grpc.StatusObject | undefined {
  if (scenario === 'error') return { code: grpc.status.NOT_FOUND, details: 'no such order', metadata: new grpc.Metadata() };
  if (scenario === 'internal') return { code: grpc.status.INTERNAL, details: 'broken', metadata: new grpc.Metadata() };
  return undefined;
}

/** The service implementation, honouring `x-scenario`. */
export function ordersImplementation(beforeAnswer?: BeforeAnswer): grpc.UntypedServiceImplementation {
  return {
    PlaceOrder: (call: grpc.ServerUnaryCall<{ sku: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
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
      const scenario = scenarioOf(call.metadata);
      if (scenario === 'hang') return;
      if (scenario === 'throw') {
        call.destroy(new Error('stream exploded'));
        return;
      }
      const status = statusFor(scenario);
      if (status !== undefined) {
        call.emit('error', status);
        return;
      }
      for (const s of ['PLACED', 'PACKED', 'SHIPPED']) call.write({ orderId: call.request.orderId, status: s });
      call.end();
    },
    ImportOrders: (call: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
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
      const scenario = scenarioOf(call.metadata);
      call.on('data', (m: { orderId: string; text: string }) => {
        if (scenario === 'ok') call.write({ orderId: m.orderId, text: `echo ${m.text}` });
      });
      call.on('end', () => {
        if (scenario === 'hang') return;
        if (scenario === 'throw') {
          call.destroy(new Error('chat exploded'));
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
): Promise<RunningServer> {
  const server = new grpc.Server({ interceptors });
  server.addService(OrdersService.service, ordersImplementation(beforeAnswer));
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

/** A client of the fixture, with `interceptors`. */
export function ordersClient(address: string, interceptors: grpc.Interceptor[]): grpc.Client & Record<string, any> {
  return new OrdersService(address, grpc.credentials.createInsecure(), { interceptors }) as grpc.Client & Record<string, any>;
}
