/**
 * Where the demo shop's five services listen and which broker resources they share. The runner decides
 * (fixed ports for `npm run demo`, free ones for the end-to-end test) and hands the same configuration to
 * every service process in the `SHOP_CONFIG` environment variable, so the services never disagree.
 */
import { createServer } from 'node:net';

/** The five services, in the order an order passes through them. */
export const SERVICE_NAMES = ['gateway', 'orders', 'inventory', 'notifier', 'receipts'] as const;

/** One of the demo's services; also its OpenTelemetry `service.name`. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Names of the broker resources the services share. */
export interface ShopResourceNames {
  /** Kafka topic `orders` produces to and `inventory` consumes. */
  readonly orderCreatedTopic: string;
  /** Kafka consumer group of `inventory`. */
  readonly inventoryGroup: string;
  /** RabbitMQ topic exchange `inventory` publishes `order.reserved` to. */
  readonly eventsExchange: string;
  /** Routing key of reservations on the events exchange. */
  readonly reservedRoutingKey: string;
  /** `notifier`'s queue for reservations (dead-letters to the retry exchange). */
  readonly notifierQueue: string;
  /** Exchange rejected reservations are dead-lettered to. */
  readonly retryExchange: string;
  /** Queue rejected reservations wait in before going back to `notifierQueue`. */
  readonly retryQueue: string;
  /** `notifier`'s request queue for receipt deliveries (AMQP request/reply). */
  readonly receiptRequestQueue: string;
  /** Redis stream of receipt jobs. */
  readonly receiptStream: string;
  /** Redis consumer group of `receipts`. */
  readonly receiptGroup: string;
}

/** Everything a service needs to find the others and the brokers. */
export interface ShopConfig {
  /** Directory each service writes its spans to, as OTLP JSON lines (`<service>.jsonl`). */
  readonly traceDir: string;
  /** Port of the gateway's HTTP endpoint (127.0.0.1). */
  readonly gatewayPort: number;
  /** Port of the orders gRPC server (127.0.0.1). */
  readonly ordersPort: number;
  /** Prometheus scrape port per service (127.0.0.1, path `/metrics`). */
  readonly metricsPorts: Readonly<Record<ServiceName, number>>;
  readonly kafkaBrokers: readonly string[];
  readonly amqpUrl: string;
  readonly redisUrl: string;
  readonly names: ShopResourceNames;
  /** Delay of receipt jobs, ms. */
  readonly receiptDelayMs: number;
  /** How long a rejected reservation waits in the retry queue, ms. */
  readonly retryDelayMs: number;
  /** Customers whose first notification fails (the mail provider "times out"), to show a retry. */
  readonly failOnceCustomers: readonly string[];
}

/** The broker resources of `npm run demo`. */
export const DEFAULT_RESOURCE_NAMES: ShopResourceNames = Object.freeze({
  orderCreatedTopic: 'order.created',
  inventoryGroup: 'inventory',
  eventsExchange: 'shop.events',
  reservedRoutingKey: 'order.reserved',
  notifierQueue: 'notifier.order-reserved',
  retryExchange: 'shop.retry',
  retryQueue: 'notifier.order-reserved.retry',
  receiptRequestQueue: 'notifier.receipts',
  receiptStream: 'receipts',
  receiptGroup: 'receipts',
});

/** The environment variable that carries the configuration to each service process. */
export const SHOP_CONFIG_ENV = 'SHOP_CONFIG';

/** Reads the configuration the runner gave this process; throws when there is none. */
export function readShopConfig(env: NodeJS.ProcessEnv = process.env): ShopConfig {
  const text = env[SHOP_CONFIG_ENV];
  if (text === undefined || text === '') {
    throw new Error(`${SHOP_CONFIG_ENV} is not set: start the services with \`npm run demo\``);
  }
  return JSON.parse(text) as ShopConfig;
}

/** How a run's configuration is made. */
export interface ShopConfigOptions {
  readonly traceDir: string;
  /** `'fixed'`: the documented ports (8080, 50051, 9464–9468); `'free'`: ports the system has free. */
  readonly ports: 'fixed' | 'free';
  /** Prefixed to every broker resource name, for runs that must not meet another's (tests). */
  readonly namePrefix?: string;
}

/** The documented ports of `npm run demo`. */
const FIXED_PORTS = {
  gatewayPort: 8080,
  ordersPort: 50051,
  metricsPorts: { gateway: 9464, orders: 9465, inventory: 9466, notifier: 9467, receipts: 9468 },
} as const;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The configuration of one run: local brokers, the demo's timings, ports and names as asked. */
export async function createShopConfig(options: ShopConfigOptions): Promise<ShopConfig> {
  const prefix = options.namePrefix ?? '';
  const names = Object.fromEntries(
    Object.entries(DEFAULT_RESOURCE_NAMES).map(([key, name]) => [key, `${prefix}${name}`]),
  ) as unknown as ShopResourceNames;
  const ports =
    options.ports === 'fixed'
      ? FIXED_PORTS
      : {
          gatewayPort: await freePort(),
          ordersPort: await freePort(),
          metricsPorts: Object.fromEntries(
            await Promise.all(SERVICE_NAMES.map(async (name) => [name, await freePort()] as const)),
          ) as Record<ServiceName, number>,
        };
  return {
    traceDir: options.traceDir,
    ...ports,
    kafkaBrokers: ['127.0.0.1:9092'],
    amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
    redisUrl: 'redis://127.0.0.1:6379',
    names,
    receiptDelayMs: 1000,
    retryDelayMs: 500,
    failOnceCustomers: ['carol'],
  };
}
