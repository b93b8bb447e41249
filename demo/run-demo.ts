/**
 * `npm run demo`: five services, one trace per order.
 *
 * With the brokers up (npm's script starts them first), this starts `gateway`, `orders`, `inventory`,
 * `notifier` and `receipts` as separate Node processes, places three orders through the gateway's HTTP
 * endpoint (one of them fails once and is retried through a dead-letter queue), waits for every order's
 * trace to be complete, and prints each as a waterfall, then what the services' Prometheus endpoints
 * report, with the PromQL that shows the same in Prometheus (which `scripts/brokers.mjs` starts, scraping
 * the services, when it is installed). Spans are read from the OTLP JSON lines files the services write
 * (`.demo/`): no backend needed.
 *
 * Options:
 *   --zipkin [url]    also export to Zipkin (default http://127.0.0.1:9411/api/v2/spans)
 *   --keep-running    leave the services up afterwards (metrics, Jaeger, more orders) until Ctrl-C
 *   --verbose         print the services' own output
 * With OTEL_EXPORTER_OTLP_ENDPOINT set (e.g. http://localhost:4318 for the docker-compose Jaeger), the
 * spans also go there over OTLP/HTTP.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderWaterfall, resolveWidth, shouldUseColor } from 'tracebridge/cli';
import type { TraceSpan } from 'tracebridge/cli';
import { DEMO_ORDERS, hasReceiptJob } from './shop/demo-orders';
import { END_TO_END_PROMQL, PROMETHEUS_URL, TIME_IN_QUEUE_PROMQL } from './shop/prometheus-api';
import { parsePrometheusSamples } from './shop/prometheus-samples';
import { SERVICE_NAMES, createShopConfig } from './shop/shop-config';
import type { ShopConfig } from './shop/shop-config';
import { ShopRun } from './shop/shop-run';
import type { PlacedOrder } from './shop/shop-run';

const TRACE_DIR = join(__dirname, '..', '.demo');
const DEFAULT_ZIPKIN_URL = 'http://127.0.0.1:9411/api/v2/spans';

interface DemoArgs {
  readonly zipkinUrl: string | undefined;
  readonly keepRunning: boolean;
  readonly verbose: boolean;
}

function parseArgs(argv: readonly string[]): DemoArgs {
  let zipkinUrl: string | undefined;
  let keepRunning = false;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--zipkin') {
      const next = argv[i + 1];
      zipkinUrl = next !== undefined && !next.startsWith('--') ? (i++, next) : DEFAULT_ZIPKIN_URL;
    } else if (arg === '--keep-running') keepRunning = true;
    else if (arg === '--verbose') verbose = true;
    else throw new Error(`unknown option ${arg} (expected --zipkin [url], --keep-running, --verbose)`);
  }
  return { zipkinUrl, keepRunning, verbose };
}

function describeServices(config: ShopConfig): string {
  const where: Record<(typeof SERVICE_NAMES)[number], string> = {
    gateway: `HTTP  POST http://127.0.0.1:${config.gatewayPort}/orders`,
    orders: `gRPC  127.0.0.1:${config.ordersPort}, produces to Kafka ${config.names.orderCreatedTopic}`,
    inventory: `Kafka eachBatch, publishes RabbitMQ ${config.names.eventsExchange} ${config.names.reservedRoutingKey}`,
    notifier: `RabbitMQ worker, gRPC client, schedules Redis ${config.names.receiptStream} jobs`,
    receipts: `Redis stream worker, AMQP request/reply to notifier`,
  };
  return SERVICE_NAMES.map(
    (name) =>
      `  ${name.padEnd(10)} ${where[name].padEnd(72)} metrics http://127.0.0.1:${config.metricsPorts[name]}/metrics`,
  ).join('\n');
}

function printPlaced({ request, orderId, statuses, traceId }: PlacedOrder, elapsedMs: number): void {
  console.log(
    `  ${orderId}  ${request.customerId.padEnd(6)} ${request.quantity} × ${request.sku.padEnd(17)}` +
      ` ${statuses.join(' → ').padEnd(20)} ${(elapsedMs / 1000).toFixed(2)} s   trace ${traceId}`,
  );
}

function printWaterfalls(
  config: ShopConfig,
  orders: readonly PlacedOrder[],
  spans: readonly TraceSpan[],
): void {
  const width = resolveWidth({ flag: undefined, env: process.env, stream: process.stdout });
  const color = shouldUseColor({ flag: undefined, env: process.env, stream: process.stdout });
  for (const order of orders) {
    const retried = config.failOnceCustomers.includes(order.request.customerId)
      ? ' (its first notification fails and is retried)'
      : '';
    console.log(`\n── order ${order.orderId} for ${order.request.customerId}${retried}\n`);
    console.log(renderWaterfall(spans, { traceId: order.traceId, width, color }));
  }
}

/** The histograms the summary shows, by the name the Prometheus exporter gives them. */
const SUMMARY_HISTOGRAMS: readonly (readonly [prefix: string, label: string])[] = [
  ['http_server', 'HTTP server'],
  ['rpc_server_call_duration', 'RPC server'],
  ['tracebridge_messaging_time_in_queue', 'time in queue'],
  ['tracebridge_messaging_end_to_end', 'end to end'],
  ['messaging_process_duration', 'processing'],
];

/** What a histogram series is about: its destination, RPC method or HTTP route, and its error if any. */
function subjectOf(labels: Readonly<Record<string, string>>): string {
  const subject =
    labels['messaging_destination_name'] ??
    labels['messaging_destination_template'] ??
    (labels['rpc_method'] !== undefined ? `${labels['rpc_service']}/${labels['rpc_method']}` : undefined) ??
    (labels['http_request_method'] !== undefined
      ? `${labels['http_request_method']} ${labels['http_route'] ?? ''}`
      : undefined) ??
    '';
  const error = labels['error_type'];
  return error === undefined ? subject : `${subject} (error: ${error})`;
}

/** Time in queue, processing and call durations, from every service's Prometheus endpoint. */
async function printMetrics(run: ShopRun): Promise<void> {
  console.log("\n── metrics, scraped from the services' Prometheus endpoints\n");
  console.log(`  ${'SERVICE'.padEnd(10)} ${'HISTOGRAM'.padEnd(14)} ${'OF'.padEnd(68)} COUNT     MEAN`);
  for (const service of SERVICE_NAMES) {
    const samples = parsePrometheusSamples(await run.scrapeMetrics(service));
    for (const [prefix, label] of SUMMARY_HISTOGRAMS) {
      const counts = samples.filter((s) => s.name.startsWith(prefix) && s.name.endsWith('_count'));
      for (const count of counts) {
        const sumName = `${count.name.slice(0, -'_count'.length)}_sum`;
        const sameSeries = JSON.stringify(count.labels);
        const sum = samples.find((s) => s.name === sumName && JSON.stringify(s.labels) === sameSeries);
        // Every one of these histograms is in seconds, as the semantic conventions define them.
        const mean = sum && count.value > 0 ? `${((sum.value / count.value) * 1000).toFixed(1)} ms` : '-';
        console.log(
          `  ${service.padEnd(10)} ${label.padEnd(14)} ${subjectOf(count.labels).padEnd(68)} ${String(count.value).padStart(5)} ${mean.padStart(10)}`,
        );
      }
    }
  }
  console.log(
    `\n  the same in Prometheus (${PROMETHEUS_URL}/graph, scraping these endpoints when installed):`,
  );
  console.log(`    time in queue per hop, p95:  ${TIME_IN_QUEUE_PROMQL}`);
  console.log(`    end to end per hop, p95:     ${END_TO_END_PROMQL}`);
}

/** One file with every service's spans, for `tracebridge view`. */
function writeCombinedTraces(traceDir: string): string {
  const files = readdirSync(traceDir)
    .filter((f) => f.endsWith('.jsonl') && f !== 'traces.jsonl')
    .sort();
  const combined = join(traceDir, 'traces.jsonl');
  writeFileSync(combined, files.map((f) => readFileSync(join(traceDir, f), 'utf8')).join(''));
  return combined;
}

async function showOrders(run: ShopRun, args: DemoArgs): Promise<void> {
  console.log("placing orders (each answer streams the order's statuses until its receipt is out):\n");
  const orders = await run.placeOrders(DEMO_ORDERS, printPlaced);
  const spans = await run.waitForTraces(
    orders.map((o) => o.traceId),
    hasReceiptJob(run.config),
  );
  printWaterfalls(run.config, orders, spans);
  await printMetrics(run);
  if (args.keepRunning) {
    console.log(`\nthe services keep running: POST http://127.0.0.1:${run.config.gatewayPort}/orders with`);
    console.log('  {"customerId":"dave","sku":"tea","quantity":1}; Ctrl-C stops them.');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = await createShopConfig({ traceDir: TRACE_DIR, ports: 'fixed' });
  const env: NodeJS.ProcessEnv = args.zipkinUrl ? { OTEL_EXPORTER_ZIPKIN_ENDPOINT: args.zipkinUrl } : {};

  console.log('tracebridge demo: five services, one trace per order\n');
  console.log(describeServices(config));
  console.log('\nstarting the services...');
  const run = await ShopRun.start(config, { verbose: args.verbose, env });
  let failure: Error | undefined;
  const fail = (error: unknown): void => {
    failure ??= error instanceof Error ? error : new Error(String(error));
  };
  try {
    await showOrders(run, args);
  } catch (error) {
    fail(error);
  }
  // Stopped gracefully even after a failure, so the Kafka consumer leaves its group and the next run
  // need not wait for its session to time out. (Ctrl-C: the services see the runner go and stop alike.)
  await run.stop().catch((error: unknown) => {
    run.kill();
    fail(error);
  });
  if (failure !== undefined) throw failure;

  const combined = writeCombinedTraces(TRACE_DIR);
  console.log(`\nevery span of this run: ${combined}  (npx tracebridge view ${combined})`);
  if (args.zipkinUrl) console.log(`Zipkin: http://127.0.0.1:9411/zipkin/ (search serviceName=gateway)`);
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT)
    console.log('Jaeger: http://localhost:16686/search?service=gateway');
}

main().catch((error: unknown) => {
  console.error('\ndemo failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
