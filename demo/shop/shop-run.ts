/**
 * One run of the shop, as the demo and the end-to-end test drive it: prepare the brokers, start the five
 * services, place orders through the gateway's HTTP endpoint, wait until every order's trace is complete
 * in the services' span files, and stop.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseOtlpJson } from 'tracebridge/cli';
import type { TraceSpan } from 'tracebridge/cli';
import { prepareBrokers } from './broker-state';
import type { PlaceOrderRequest } from './orders-api';
import { ServiceProcesses } from './service-processes';
import type { ServiceProcessesOptions } from './service-processes';
import type { ShopConfig } from './shop-config';

const ORDER_TIMEOUT_MS = 60_000;
const TRACE_TIMEOUT_MS = 30_000;
const TRACE_POLL_MS = 300;
/** Pause between placing two orders, ms: they overlap, as real traffic does, without starting at once. */
const ORDER_SPACING_MS = 150;

/** An order the gateway accepted and followed to completion. */
export interface PlacedOrder {
  readonly request: PlaceOrderRequest;
  readonly orderId: string;
  /** The trace the gateway recorded the order in (its HTTP server span's). */
  readonly traceId: string;
  /** The statuses the gateway streamed back, in order. */
  readonly statuses: readonly string[];
}

/** The running shop. */
export class ShopRun {
  private constructor(
    readonly config: ShopConfig,
    private readonly services: ServiceProcesses,
  ) {}

  /** Prepares the brokers, empties the trace directory and starts the services. */
  static async start(config: ShopConfig, options: ServiceProcessesOptions = {}): Promise<ShopRun> {
    rmSync(config.traceDir, { recursive: true, force: true });
    mkdirSync(config.traceDir, { recursive: true });
    await prepareBrokers(config);
    return new ShopRun(config, await ServiceProcesses.start(config, options));
  }

  /** Places an order with `POST /orders` and reads the streamed statuses until the gateway ends it. */
  async placeOrder(request: PlaceOrderRequest): Promise<PlacedOrder> {
    const response = await fetch(`http://127.0.0.1:${this.config.gatewayPort}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(ORDER_TIMEOUT_MS),
    });
    const lines = (await response.text())
      .split('\n')
      .filter((line) => line !== '')
      .map(
        (line) => JSON.parse(line) as { orderId?: string; status?: string; traceId?: string; error?: string },
      );
    const first = lines[0];
    const failure = lines.find((line) => line.error !== undefined);
    if (!response.ok || first?.orderId === undefined || first.traceId === undefined || failure) {
      throw new Error(`the gateway failed the order (HTTP ${response.status}): ${JSON.stringify(lines)}`);
    }
    return {
      request,
      orderId: first.orderId,
      traceId: first.traceId,
      statuses: lines.map((line) => line.status ?? ''),
    };
  }

  /**
   * Places `requests` a moment apart, each followed to completion concurrently with the others, and
   * resolves with them in request order. `onPlaced` hears of each as it completes, with how long it took.
   */
  placeOrders(
    requests: readonly PlaceOrderRequest[],
    onPlaced?: (order: PlacedOrder, elapsedMs: number) => void,
  ): Promise<PlacedOrder[]> {
    return Promise.all(
      requests.map(async (request, index) => {
        await sleep(index * ORDER_SPACING_MS);
        const started = performance.now();
        const order = await this.placeOrder(request);
        onPlaced?.(order, performance.now() - started);
        return order;
      }),
    );
  }

  /** Every span the services have written so far. */
  readSpans(): TraceSpan[] {
    const spans: TraceSpan[] = [];
    for (const file of readdirSync(this.config.traceDir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()) {
      const parsed = parseOtlpJson(readFileSync(join(this.config.traceDir, file), 'utf8'));
      if (parsed.problems.length > 0) {
        throw new Error(`${file}: ${parsed.problems.map((p) => JSON.stringify(p)).join('; ')}`);
      }
      spans.push(...parsed.spans);
    }
    return spans;
  }

  /**
   * Flushes the services until each trace holds `isComplete`'s final span and its span count stopped
   * changing between two flushes (the last spans of a trace end a moment after the order completes: the
   * receipt job is acknowledged after the notifier's reply). Resolves with every span read.
   */
  async waitForTraces(
    traceIds: readonly string[],
    isComplete: (spans: TraceSpan[]) => boolean,
  ): Promise<TraceSpan[]> {
    const deadline = Date.now() + TRACE_TIMEOUT_MS;
    let previousCounts = '';
    for (;;) {
      await this.services.flush();
      const spans = this.readSpans();
      const perTrace = traceIds.map((id) => spans.filter((span) => span.traceId === id));
      const counts = perTrace.map((trace) => trace.length).join(',');
      if (perTrace.every(isComplete) && counts === previousCounts) return spans;
      if (Date.now() > deadline) {
        throw new Error(`traces incomplete after ${TRACE_TIMEOUT_MS} ms (spans per trace: ${counts})`);
      }
      previousCounts = counts;
      await sleep(TRACE_POLL_MS);
    }
  }

  /** The Prometheus exposition of one service. */
  async scrapeMetrics(service: keyof ShopConfig['metricsPorts']): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.config.metricsPorts[service]}/metrics`);
    if (!response.ok) throw new Error(`${service}'s /metrics answered HTTP ${response.status}`);
    return response.text();
  }

  /** Stops every service; each exports its remaining spans first. */
  stop(): Promise<void> {
    return this.services.stop();
  }

  /** Kills every service (after a failure). */
  kill(): void {
    this.services.kill();
  }
}
