/**
 * `orders`: the gRPC server that owns orders. `PlaceOrder` stores the order and produces `order.created` to
 * Kafka; `WatchOrder` streams its status until it is completed; `GetOrder` and `CompleteOrder` serve the
 * notifier. tracebridge's server interceptor gives each call a SERVER span parented to the caller, and the
 * traced producer puts the send's context in the Kafka message headers.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { Kafka, logLevel } from 'kafkajs';
import { grpcServerInterceptor } from 'tracebridge/grpc';
import { traceProducer } from 'tracebridge/kafka';
import { ordersService } from '../shop/orders-api';
import type { Order, OrderEvent, PlaceOrderRequest } from '../shop/orders-api';
import { runService } from '../shop/service-process';
import type { ShopConfig } from '../shop/shop-config';

/** The orders this process knows, and a change feed for watchers. */
class OrderBook {
  private readonly orders = new Map<string, Order>();
  private readonly changes = new EventEmitter();

  add(request: PlaceOrderRequest): Order {
    const order: Order = {
      orderId: `ord-${randomBytes(3).toString('hex')}`,
      customerId: request.customerId,
      sku: request.sku,
      quantity: request.quantity,
      status: 'placed',
      receiptId: '',
    };
    this.orders.set(order.orderId, order);
    return order;
  }

  get(orderId: string): Order | undefined {
    return this.orders.get(orderId);
  }

  complete(orderId: string, receiptId: string): Order | undefined {
    const order = this.orders.get(orderId);
    if (order === undefined) return undefined;
    const completed: Order = { ...order, status: 'completed', receiptId };
    this.orders.set(orderId, completed);
    this.changes.emit(orderId, completed);
    return completed;
  }

  /** Calls `listener` at each change of `orderId` until the returned function is called. */
  onChange(orderId: string, listener: (order: Order) => void): () => void {
    this.changes.on(orderId, listener);
    return () => this.changes.off(orderId, listener);
  }
}

function notFound(orderId: string): Partial<grpc.StatusObject> {
  return { code: grpc.status.NOT_FOUND, details: `no order ${orderId}` };
}

function eventOf(order: Order): OrderEvent {
  return { orderId: order.orderId, status: order.status };
}

async function start(config: ShopConfig) {
  const kafka = new Kafka({ clientId: 'orders', brokers: [...config.kafkaBrokers], logLevel: logLevel.WARN });
  const producer = traceProducer(kafka.producer({ allowAutoTopicCreation: false }));
  await producer.connect();
  const book = new OrderBook();

  const server = new grpc.Server({ interceptors: [grpcServerInterceptor()] });
  server.addService(ordersService, {
    PlaceOrder: (
      call: grpc.ServerUnaryCall<PlaceOrderRequest, Order>,
      callback: grpc.sendUnaryData<Order>,
    ) => {
      const order = book.add(call.request);
      // The handler runs in the SERVER span, so this send is its child.
      producer
        .send({
          topic: config.names.orderCreatedTopic,
          messages: [{ key: order.orderId, value: JSON.stringify(order) }],
        })
        .then(
          () => callback(null, order),
          (error: Error) => callback({ code: grpc.status.UNAVAILABLE, details: error.message }),
        );
    },
    WatchOrder: (call: grpc.ServerWritableStream<{ orderId: string }, OrderEvent>) => {
      const order = book.get(call.request.orderId);
      if (order === undefined) {
        call.emit('error', notFound(call.request.orderId));
        return;
      }
      call.write(eventOf(order));
      if (order.status === 'completed') {
        call.end();
        return;
      }
      const unsubscribe = book.onChange(order.orderId, (changed) => {
        call.write(eventOf(changed));
        if (changed.status === 'completed') {
          unsubscribe();
          call.end();
        }
      });
      call.on('cancelled', unsubscribe);
    },
    GetOrder: (
      call: grpc.ServerUnaryCall<{ orderId: string }, Order>,
      callback: grpc.sendUnaryData<Order>,
    ) => {
      const order = book.get(call.request.orderId);
      if (order === undefined) callback(notFound(call.request.orderId));
      else callback(null, order);
    },
    CompleteOrder: (
      call: grpc.ServerUnaryCall<{ orderId: string; receiptId: string }, Order>,
      callback: grpc.sendUnaryData<Order>,
    ) => {
      const order = book.complete(call.request.orderId, call.request.receiptId);
      if (order === undefined) callback(notFound(call.request.orderId));
      else callback(null, order);
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${config.ordersPort}`, grpc.ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve(),
    ),
  );

  return {
    async stop() {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await producer.disconnect();
    },
  };
}

runService({ name: 'orders', start });
