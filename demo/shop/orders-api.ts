/**
 * The `shop.v1.Orders` gRPC API (protos/shop/v1/orders.proto), loaded at runtime with proto-loader, and
 * typed client calls for the services that use it. Clients carry tracebridge's client interceptor: one
 * CLIENT span per call, its context in the call's metadata.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { grpcClientInterceptor } from 'tracebridge/grpc';

const PROTO_PATH = join(__dirname, '..', '..', 'protos', 'shop', 'v1', 'orders.proto');

/** An order as the API returns it (proto3 defaults filled in). */
export interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly status: OrderStatus;
  readonly receiptId: string;
}

/** The statuses an order goes through. */
export type OrderStatus = 'placed' | 'completed';

export interface PlaceOrderRequest {
  readonly customerId: string;
  readonly sku: string;
  readonly quantity: number;
}

export interface OrderEvent {
  readonly orderId: string;
  readonly status: OrderStatus;
}

const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: false, defaults: true });
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  shop: { v1: { Orders: grpc.ServiceClientConstructor } };
};

/** The service definition the orders server registers. */
export const ordersService: grpc.ServiceDefinition = loaded.shop.v1.Orders.service;

/** What the other services call. */
export interface OrdersClient {
  placeOrder(request: PlaceOrderRequest): Promise<Order>;
  getOrder(orderId: string): Promise<Order>;
  completeOrder(orderId: string, receiptId: string): Promise<Order>;
  /** The order's status now and at each change, until it is completed. */
  watchOrder(orderId: string): AsyncIterable<OrderEvent>;
  close(): void;
}

type UnaryMethod = (
  request: object,
  callback: (error: grpc.ServiceError | null, response?: Order) => void,
) => void;

function unary(client: grpc.Client, method: string, request: object): Promise<Order> {
  const call = (client as unknown as Record<string, UnaryMethod>)[method]!.bind(client);
  return new Promise((resolve, reject) => {
    call(request, (error, response) => (error ? reject(error) : resolve(response!)));
  });
}

/** A client of the orders service at `address`, traced by tracebridge. */
export function createOrdersClient(address: string): OrdersClient {
  const client = new loaded.shop.v1.Orders(address, grpc.credentials.createInsecure(), {
    interceptors: [grpcClientInterceptor()],
  });
  return {
    placeOrder: (request) => unary(client, 'PlaceOrder', request),
    getOrder: (orderId) => unary(client, 'GetOrder', { orderId }),
    completeOrder: (orderId, receiptId) => unary(client, 'CompleteOrder', { orderId, receiptId }),
    watchOrder: (orderId) =>
      (
        client as unknown as { WatchOrder(request: object): grpc.ClientReadableStream<OrderEvent> }
      ).WatchOrder({
        orderId,
      }),
    close: () => client.close(),
  };
}
