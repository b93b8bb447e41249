/**
 * `gateway`: the shop's HTTP front door. `POST /orders` places the order with `orders` over gRPC, then
 * follows it with the server-streaming `WatchOrder` call, writing each status as a line of JSON until the
 * order is completed.
 *
 * The HTTP server span comes from `@opentelemetry/instrumentation-http`, not from tracebridge: the trace
 * starts in the OpenTelemetry ecosystem, and tracebridge's gRPC client interceptor continues it.
 */
// First: the HTTP instrumentation must be enabled before `node:http` is required.
import { httpInstrumentation } from '../shop/http-instrumentation';
import * as http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, trace } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { createOrdersClient } from '../shop/orders-api';
import type { OrdersClient, PlaceOrderRequest } from '../shop/orders-api';
import { runService } from '../shop/service-process';
import type { ShopConfig } from '../shop/shop-config';

const ORDERS_ROUTE = '/orders';

/** The first line of a `POST /orders` answer. */
export interface OrderPlacedLine {
  readonly orderId: string;
  readonly status: string;
  /** The trace the order's journey is recorded in. */
  readonly traceId: string;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function isPlaceOrderRequest(body: unknown): body is PlaceOrderRequest {
  const candidate = body as Partial<PlaceOrderRequest> | null;
  return (
    typeof candidate?.customerId === 'string' &&
    typeof candidate.sku === 'string' &&
    Number.isInteger(candidate.quantity)
  );
}

async function placeAndFollow(orders: OrdersClient, body: unknown, response: ServerResponse): Promise<void> {
  if (!isPlaceOrderRequest(body)) {
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'expected { customerId, sku, quantity }' }));
    return;
  }
  const span = trace.getActiveSpan(); // the HTTP server span
  const order = await orders.placeOrder(body);
  span?.setAttribute('shop.order.id', order.orderId);

  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const placed: OrderPlacedLine = {
    orderId: order.orderId,
    status: order.status,
    traceId: span?.spanContext().traceId ?? '',
  };
  response.write(`${JSON.stringify(placed)}\n`);
  for await (const event of orders.watchOrder(order.orderId)) {
    if (event.status !== order.status) response.write(`${JSON.stringify(event)}\n`);
  }
  response.end();
}

async function start(config: ShopConfig) {
  const orders = createOrdersClient(`127.0.0.1:${config.ordersPort}`);

  const server = http.createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== ORDERS_ROUTE) {
      response.writeHead(404).end();
      return;
    }
    // What a web framework does for the HTTP instrumentation: name the route, so the span is named
    // `POST /orders` and the duration histogram is labelled with it.
    const rpcMetadata = getRPCMetadata(context.active());
    if (rpcMetadata?.type === RPCType.HTTP) rpcMetadata.route = ORDERS_ROUTE;
    readJson(request)
      .then((body) => placeAndFollow(orders, body, response))
      .catch((error: unknown) => {
        trace.getActiveSpan()?.recordException(error instanceof Error ? error : String(error));
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
        response.end(`${JSON.stringify({ error: String(error) })}\n`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.gatewayPort, '127.0.0.1', () => resolve());
  });

  return {
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      orders.close();
    },
  };
}

runService({ name: 'gateway', instrumentations: [httpInstrumentation], start });
