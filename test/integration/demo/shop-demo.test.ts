/**
 * The demo's order flow end to end: the five services as separate processes over the real brokers, every
 * service exporting to the real Zipkin server (127.0.0.1:9411) besides its span file. Each order must be
 * one trace in Zipkin, read back through Zipkin's HTTP API, with spans from all five services, every
 * parent present, the kinds where the flow puts them, and the retried order showing both attempts. The
 * Prometheus endpoints must carry the RPC and messaging histograms, time in queue included, and a real
 * Prometheus server (127.0.0.1:9090, started by `scripts/brokers.mjs` when installed) must have scraped
 * them: its HTTP API is asked for the run's histograms. No Prometheus is a failure, not a skip.
 *
 * The run uses free ports and broker resources of its own (prefixed), removed afterwards; Prometheus
 * scrapes the run's ports through a target file of its own (labelled with the run), removed afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { renderWaterfall } from '../../../src/cli/render-waterfall';
import type { TraceSpan } from '../../../src/cli/trace-span';
import { removeBrokerResources } from '../../../demo/shop/broker-state';
import { DEMO_ORDERS, hasReceiptJob } from '../../../demo/shop/demo-orders';
import { addRunTargets, queryPrometheus } from '../../../demo/shop/prometheus-api';
import type { RunTargets } from '../../../demo/shop/prometheus-api';
import { parsePrometheusSamples } from '../../../demo/shop/prometheus-samples';
import type { PrometheusSample } from '../../../demo/shop/prometheus-samples';
import { SERVICE_NAMES, createShopConfig } from '../../../demo/shop/shop-config';
import type { ServiceName, ShopConfig, ShopResourceNames } from '../../../demo/shop/shop-config';
import { ShopRun } from '../../../demo/shop/shop-run';
import type { PlacedOrder } from '../../../demo/shop/shop-run';

const ZIPKIN = 'http://127.0.0.1:9411';
const ZIPKIN_TIMEOUT_MS = 30_000;

/** A span as Zipkin's v2 API returns it (names and service names lowercased by Zipkin). */
interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  readonly name: string;
  readonly localEndpoint?: { readonly serviceName?: string };
  readonly tags?: Readonly<Record<string, string>>;
}

/** Zipkin's copy of a trace, once it holds `expected` spans (it stores what it receives asynchronously). */
async function zipkinTrace(traceId: string, expected: number): Promise<ZipkinSpan[]> {
  const deadline = Date.now() + ZIPKIN_TIMEOUT_MS;
  let last: ZipkinSpan[] = [];
  while (Date.now() < deadline) {
    const response = await fetch(`${ZIPKIN}/api/v2/trace/${traceId}`);
    if (response.ok) {
      last = (await response.json()) as ZipkinSpan[];
      if (last.length >= expected) return last;
    } else if (response.status !== 404) {
      throw new Error(`Zipkin answered HTTP ${response.status} for trace ${traceId}`);
    }
    await sleep(250);
  }
  throw new Error(`Zipkin holds ${last.length} of ${expected} spans of trace ${traceId}`);
}

const PROMETHEUS_TIMEOUT_MS = 30_000;
const TIME_IN_QUEUE = 'tracebridge_messaging_time_in_queue';
const END_TO_END = 'tracebridge_messaging_end_to_end_duration';

/** Waits until Prometheus has scraped every endpoint of the run at or after `since` (epoch seconds). */
async function waitForScrapes(run: string, since: number): Promise<void> {
  const deadline = Date.now() + PROMETHEUS_TIMEOUT_MS;
  let scraped = 0;
  while (Date.now() < deadline) {
    // timestamp() of a plain selector is the scrape's time (of any other expression, the query's).
    const ups = await queryPrometheus(`timestamp(up{tracebridge_run="${run}"})`);
    scraped = ups.filter((s) => s.value >= since).length;
    if (scraped === SERVICE_NAMES.length) return;
    await sleep(250);
  }
  throw new Error(
    `Prometheus scraped ${scraped} of the run's ${SERVICE_NAMES.length} endpoints after its orders completed`,
  );
}

/** One hop of a histogram as Prometheus holds it for a run: the service and destination it was recorded at. */
interface HopHistogram {
  readonly service: string;
  readonly destination: string;
  readonly count: number;
  readonly sum: number;
}

/** A histogram's count and sum per service and destination, for the series of `run` (any histogram). */
async function histogramByHop(run: string, histogram: string): Promise<HopHistogram[]> {
  const query = (part: string) =>
    queryPrometheus(
      `sum by (service, messaging_destination_name) (${histogram}_${part}{tracebridge_run="${run}"})`,
    );
  const [counts, sums] = await Promise.all([query('count'), query('sum')]);
  const key = (labels: Readonly<Record<string, string>>) =>
    `${labels['service']} ${labels['messaging_destination_name']}`;
  const sumOf = new Map(sums.map((s) => [key(s.labels), s.value]));
  return counts.map((c) => ({
    service: c.labels['service'] ?? '',
    destination: c.labels['messaging_destination_name'] ?? '',
    count: c.value,
    sum: sumOf.get(key(c.labels)) ?? Number.NaN,
  }));
}

/**
 * The messaging hops an order passes, in order, as (service, destination) of the end-to-end histogram:
 * Kafka at inventory, the reservation at notifier (through the events exchange, or the retry queue's
 * dead-letter hop), the receipt job at receipts, and the receipt request back at notifier.
 */
function orderHops(
  n: ShopResourceNames,
): readonly { service: ServiceName; at: (destination: string) => boolean }[] {
  return [
    { service: 'inventory', at: (d) => d === n.orderCreatedTopic },
    { service: 'notifier', at: (d) => d !== n.receiptRequestQueue },
    { service: 'receipts', at: (d) => d === n.receiptStream },
    { service: 'notifier', at: (d) => d === n.receiptRequestQueue },
  ];
}

/**
 * Each hop's mean end-to-end latency (since the originating request) is at least the previous hop's, and
 * every hop recorded one value per order at least.
 */
function assertEndToEndGrowsPerHop(
  hops: readonly HopHistogram[],
  n: ShopResourceNames,
  orderCount: number,
): void {
  let previous = 0;
  for (const { service, at } of orderHops(n)) {
    const own = hops.filter((h) => h.service === service && at(h.destination));
    const count = own.reduce((sum, h) => sum + h.count, 0);
    assert.ok(count >= orderCount, `${service}: ${count} end-to-end values for ${orderCount} orders`);
    const mean = own.reduce((sum, h) => sum + h.sum, 0) / count;
    assert.ok(
      mean >= previous,
      `${service} (${own.map((h) => h.destination).join(', ')}): mean end-to-end ${mean} s is at least the previous hop's ${previous} s`,
    );
    previous = mean;
  }
}

const serviceOf = (span: ZipkinSpan): string | undefined => span.localEndpoint?.serviceName;

/** The one span of `trace` named `name` in `service`, with `kind`; fails when there is not exactly one. */
function only(trace: readonly ZipkinSpan[], service: ServiceName, kind: ZipkinSpan['kind'], name: string) {
  const found = trace.filter((s) => serviceOf(s) === service && s.kind === kind && s.name === name);
  assert.equal(found.length, 1, `one ${kind ?? 'INTERNAL'} "${name}" in ${service}, got ${found.length}`);
  return found[0]!;
}

function childrenOf(trace: readonly ZipkinSpan[], parent: ZipkinSpan, name: string): ZipkinSpan[] {
  return trace.filter((s) => s.parentId === parent.id && s.name === name);
}

describe('the demo shop, five services exporting to a real Zipkin server', () => {
  let config: ShopConfig;
  let run: ShopRun | undefined;
  let orders: PlacedOrder[];
  let fileSpans: TraceSpan[];
  const zipkin = new Map<string, ZipkinSpan[]>();
  const metrics = new Map<ServiceName, PrometheusSample[]>();
  let targets: RunTargets | undefined;
  let timeInQueue: HopHistogram[];
  let endToEnd: HopHistogram[];

  before(async () => {
    const runId = `e2e-${randomBytes(4).toString('hex')}`;
    config = await createShopConfig({
      traceDir: mkdtempSync(join(tmpdir(), 'tracebridge-demo-')),
      ports: 'free',
      namePrefix: `${runId}.`,
    });
    targets = await addRunTargets(runId, config.metricsPorts);
    run = await ShopRun.start(config, {
      env: { OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${ZIPKIN}/api/v2/spans` },
    });
    const shop = run;
    orders = await shop.placeOrders(DEMO_ORDERS);
    fileSpans = await shop.waitForTraces(
      orders.map((o) => o.traceId),
      hasReceiptJob(config),
    );
    for (const service of SERVICE_NAMES) {
      metrics.set(service, parsePrometheusSamples(await shop.scrapeMetrics(service)));
    }
    // Asked while the services still serve: once they stop, Prometheus marks their series stale.
    await waitForScrapes(runId, Date.now() / 1000);
    timeInQueue = await histogramByHop(runId, TIME_IN_QUEUE);
    endToEnd = await histogramByHop(runId, END_TO_END);
    // Stopping flushes every exporter, Zipkin's included.
    await shop.stop();
    run = undefined;
    for (const order of orders) {
      const expected = fileSpans.filter((s) => s.traceId === order.traceId).length;
      zipkin.set(order.traceId, await zipkinTrace(order.traceId, expected));
    }
  });

  after(async () => {
    run?.kill();
    targets?.remove();
    if (config === undefined) return;
    await removeBrokerResources(config);
    rmSync(config.traceDir, { recursive: true, force: true });
  });

  it('completes every order through the gateway', () => {
    assert.equal(orders.length, DEMO_ORDERS.length);
    for (const order of orders) {
      assert.match(order.orderId, /^ord-[0-9a-f]{6}$/);
      assert.match(order.traceId, /^[0-9a-f]{32}$/);
      assert.deepEqual(order.statuses, ['placed', 'completed']);
    }
    assert.equal(new Set(orders.map((o) => o.traceId)).size, orders.length, 'one trace per order');
  });

  it('puts each order in one trace in Zipkin, with spans from all five services and every parent present', () => {
    for (const order of orders) {
      const trace = zipkin.get(order.traceId)!;
      const fromFiles = fileSpans.filter((s) => s.traceId === order.traceId);
      assert.equal(trace.length, fromFiles.length, 'Zipkin has every span the services wrote to their files');
      assert.deepEqual(new Set(trace.map(serviceOf)), new Set(SERVICE_NAMES));
      const ids = new Set(trace.map((s) => s.id));
      const roots = trace.filter((s) => s.parentId === undefined);
      assert.equal(roots.length, 1, 'a single root');
      assert.equal(roots[0]!.name, 'post /orders');
      assert.equal(serviceOf(roots[0]!), 'gateway');
      assert.equal(roots[0]!.tags?.['shop.order.id'], order.orderId);
      for (const span of trace) {
        if (span.parentId !== undefined)
          assert.ok(ids.has(span.parentId), `the parent of ${span.name} is in the trace`);
      }
    }
  });

  it('connects every hop with the right kinds: HTTP → gRPC → Kafka → RabbitMQ → Redis → AMQP request/reply', () => {
    const n = config.names;
    for (const order of orders) {
      const trace = zipkin.get(order.traceId)!;
      const http = only(trace, 'gateway', 'SERVER', 'post /orders');
      const placeClient = only(trace, 'gateway', 'CLIENT', 'shop.v1.orders/placeorder');
      const placeServer = only(trace, 'orders', 'SERVER', 'shop.v1.orders/placeorder');
      const send = only(trace, 'orders', 'PRODUCER', `send ${n.orderCreatedTopic}`);
      const kafkaProcess = only(trace, 'inventory', 'CONSUMER', `process ${n.orderCreatedTopic}`);
      const reserve = only(trace, 'inventory', undefined, 'reserve stock');
      const publish = only(
        trace,
        'inventory',
        'PRODUCER',
        `publish ${n.eventsExchange}:${n.reservedRoutingKey}`,
      );
      const schedule = only(trace, 'notifier', 'PRODUCER', `schedule ${n.receiptStream}`);
      const job = only(trace, 'receipts', 'CONSUMER', `process ${n.receiptStream}`);
      const request = only(trace, 'receipts', 'PRODUCER', `publish ${n.receiptRequestQueue}`);
      const requestProcess = only(trace, 'notifier', 'CONSUMER', `process ${n.receiptRequestQueue}`);
      const complete = only(trace, 'notifier', 'CLIENT', 'shop.v1.orders/completeorder');
      const reply = only(trace, 'notifier', 'PRODUCER', 'publish amq.rabbitmq.reply-to');
      const replyProcess = only(trace, 'receipts', 'CONSUMER', 'process amq.rabbitmq.reply-to');
      const watchClient = only(trace, 'gateway', 'CLIENT', 'shop.v1.orders/watchorder');
      const watchServer = only(trace, 'orders', 'SERVER', 'shop.v1.orders/watchorder');

      const chain: [child: ZipkinSpan, parent: ZipkinSpan][] = [
        [placeClient, http],
        [placeServer, placeClient],
        [send, placeServer],
        [kafkaProcess, send],
        [reserve, kafkaProcess],
        [publish, kafkaProcess],
        [job, schedule],
        [request, job],
        [requestProcess, request],
        [complete, requestProcess],
        [only(trace, 'orders', 'SERVER', 'shop.v1.orders/completeorder'), complete],
        [reply, requestProcess],
        [replyProcess, reply],
        [watchClient, http],
        [watchServer, watchClient],
      ];
      for (const [child, parent] of chain) {
        assert.equal(
          child.parentId,
          parent.id,
          `${child.name} (${serviceOf(child)}) is the child of ${parent.name}`,
        );
      }
      // The notifier's delivery of the reservation (the last attempt) schedules the receipt and asks orders.
      const deliveries = trace.filter(
        (s) => serviceOf(s) === 'notifier' && s.kind === 'CONSUMER' && s.parentId === publish.id,
      );
      const lastDelivery = deliveries.find((d) => d.id === schedule.parentId);
      assert.ok(lastDelivery, 'the receipt is scheduled by a delivery of the reservation');
      assert.equal(childrenOf(trace, lastDelivery, 'shop.v1.orders/getorder').length, 1);
      assert.equal(job.tags?.['tracebridge.messaging.delay_ms'] !== undefined, true, 'the job was delayed');
      assert.ok(Number(job.tags?.['tracebridge.messaging.delay_ms']) >= config.receiptDelayMs - 50);
      assert.ok(Number(kafkaProcess.tags?.['tracebridge.messaging.time_in_queue_ms']) >= 0);
    }
  });

  it('shows both attempts of the order whose first notification failed, and one of the others', () => {
    const n = config.names;
    for (const order of orders) {
      const trace = zipkin.get(order.traceId)!;
      const publish = only(
        trace,
        'inventory',
        'PRODUCER',
        `publish ${n.eventsExchange}:${n.reservedRoutingKey}`,
      );
      const deliveries = trace.filter(
        (s) => serviceOf(s) === 'notifier' && s.kind === 'CONSUMER' && s.parentId === publish.id,
      );
      if (!config.failOnceCustomers.includes(order.request.customerId)) {
        assert.equal(deliveries.length, 1, `${order.request.customerId}: one delivery`);
        assert.equal(deliveries[0]!.tags?.['error'], undefined);
        continue;
      }
      assert.equal(deliveries.length, 2, `${order.request.customerId}: the failed attempt and the retry`);
      const [first, retry] = deliveries.sort(
        (a, b) =>
          Number(a.tags?.['tracebridge.messaging.attempt'] ?? 1) -
          Number(b.tags?.['tracebridge.messaging.attempt'] ?? 1),
      );
      assert.match(first!.tags?.['error'] ?? '', /mail provider timed out/);
      assert.equal(first!.name, `process ${n.eventsExchange}:${n.reservedRoutingKey}:${n.notifierQueue}`);
      // Dead-lettered back through the default exchange to the notifier's queue, after the retry queue's TTL.
      assert.equal(retry!.name, `process ${n.notifierQueue}`);
      assert.equal(retry!.tags?.['tracebridge.messaging.attempt'], '2');
      assert.equal(retry!.tags?.['tracebridge.messaging.rabbitmq.death_count'], '1');
      assert.equal(retry!.tags?.['error'], undefined);
      assert.ok(Number(retry!.tags?.['tracebridge.messaging.time_in_queue_ms']) >= config.retryDelayMs - 50);
    }
  });

  it('writes span files that tracebridge view prints as connected waterfalls', () => {
    for (const order of orders) {
      const text = renderWaterfall(fileSpans, { traceId: order.traceId, width: 120 });
      assert.match(text, new RegExp(`5 services: ${SERVICE_NAMES.join(', ')}`));
      assert.doesNotMatch(text, /~ parent/, 'no span without its parent');
      const jobRow = text
        .split('\n')
        .find((line) => line.includes(` process ${config.names.receiptStream} `));
      assert.match(jobRow ?? '', /CONSUMER.*\| *\.{10,}=*\|$/, 'the delayed job is drawn waiting');
    }
  });

  it('exposes the RPC and messaging histograms on the Prometheus endpoints, time in queue included', () => {
    const count = (service: ServiceName, name: string, labels: Record<string, string>): number =>
      metrics
        .get(service)!
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((sum, s) => sum + s.value, 0);
    const n = config.names;
    const orderCount = orders.length;
    assert.equal(
      count('gateway', 'http_server_request_duration_count', { http_route: '/orders' }),
      orderCount,
    );
    assert.equal(count('orders', 'rpc_server_call_duration_count', { rpc_method: 'PlaceOrder' }), orderCount);
    assert.equal(
      count('gateway', 'rpc_client_call_duration_count', { rpc_method: 'WatchOrder' }),
      orderCount,
    );
    assert.equal(
      count('inventory', 'tracebridge_messaging_time_in_queue_count', {
        messaging_destination_name: n.orderCreatedTopic,
      }),
      orderCount,
    );
    assert.equal(
      count('receipts', 'tracebridge_messaging_time_in_queue_count', {
        messaging_destination_name: n.receiptStream,
      }),
      orderCount,
    );
    assert.equal(
      count('notifier', 'messaging_process_duration_count', {
        messaging_destination_name: n.receiptRequestQueue,
      }),
      orderCount,
    );
    assert.equal(
      count('notifier', 'tracebridge_messaging_time_in_queue_count', {
        messaging_destination_name: n.notifierQueue,
      }),
      1,
      'the one retried delivery',
    );
    // Reply-to addresses stay out of the metrics: one series, under the template.
    assert.equal(
      count('notifier', 'messaging_client_sent_messages_total', {
        messaging_destination_template: 'amq.rabbitmq.reply-to',
      }),
      orderCount,
    );
    assert.ok(
      metrics
        .get('notifier')!
        .every((s) => !(s.labels['messaging_destination_name'] ?? '').startsWith('amq.rabbitmq.reply-to.')),
    );
  });

  it('has a real Prometheus scrape the time-in-queue histograms: one count per message consumed at each hop', () => {
    const n = config.names;
    const countAt = (service: ServiceName, destination: string): number | undefined =>
      timeInQueue.find((h) => h.service === service && h.destination === destination)?.count;
    assert.equal(countAt('inventory', n.orderCreatedTopic), orders.length);
    assert.equal(countAt('receipts', n.receiptStream), orders.length);
    assert.equal(countAt('notifier', n.notifierQueue), 1, 'the one retried delivery');
    // Prometheus holds exactly what the endpoints served, hop by hop.
    const served = SERVICE_NAMES.flatMap((service) => {
      const byDestination = new Map<string, number>();
      for (const s of metrics.get(service)!) {
        if (s.name !== `${TIME_IN_QUEUE}_count`) continue;
        const destination = s.labels['messaging_destination_name'] ?? '';
        byDestination.set(destination, (byDestination.get(destination) ?? 0) + s.value);
      }
      return [...byDestination].map(([destination, count]) => `${service} ${destination} ${count}`);
    });
    const scraped = timeInQueue.map((h) => `${h.service} ${h.destination} ${h.count}`);
    assert.deepEqual(scraped.sort(), served.sort());
    for (const hop of timeInQueue) assert.ok(hop.sum >= 0, `${hop.service} ${hop.destination}: a sum`);
  });

  it('has Prometheus show the end-to-end latency since the order was placed growing hop by hop', () => {
    assertEndToEndGrowsPerHop(endToEnd, config.names, orders.length);
  });
});
