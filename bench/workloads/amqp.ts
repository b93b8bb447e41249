/**
 * RabbitMQ messages per second through the real broker (127.0.0.1:5672) with amqplib 0.10: each timed run
 * publishes `operations` messages of 1 KiB on one channel (honouring `publish`'s backpressure: it waits for
 * `'drain'` when amqplib asks) and ends when a running consumer on another channel (prefetch
 * {@link PREFETCH}) has received and acknowledged every one of them, one `ack` per message. Three variants,
 * interleaved: no tracing at all; tracebridge's `traceChannel` on both channels;
 * `@opentelemetry/instrumentation-amqplib`; and tracebridge with no SDK (what tracing costs when it is
 * off). Both traced variants use the same SDK (see bench-sdk.ts).
 *
 * Each variant has its own copy of amqplib (the contrib instrumentation patches it at `require` time, so
 * only the copy loaded after it is enabled is patched), its own connection, channels and queue, and its
 * consumer is started once in setup and kept running, so a run measures the publish-consume pipeline.
 *
 * Checks, so the comparison cannot silently compare nothing: at setup, {@link CHECK_MESSAGES} messages per
 * variant must give no spans (baseline), or one PRODUCER and one CONSUMER span per message from the
 * variant's own instrumentation, every CONSUMER span the child of a PRODUCER span (the context crossed the
 * broker). After every timed run the exported spans must number exactly two per message, all from the
 * variant's own instrumentation, and every message must have been acknowledged exactly once.
 */
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { ProxyTracerProvider, SpanKind } from '@opentelemetry/api';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import type * as amqplib from 'amqplib';
import type * as tracebridgeAmqp from '../../src/amqp/index';
import { INSTRUMENTATION_NAME } from '../../src/version';
import { loadBuilt } from '../built-package';
import { createBenchSdk, isWrapped, packageCopies } from '../bench-sdk';
import type { BenchSdk } from '../bench-sdk';
import { median } from '../runner';
import type { Variant, Workload, WorkloadResult } from '../runner';

type Amqplib = typeof amqplib;

const URL = 'amqp://guest:guest@127.0.0.1:5672';
/** Unacknowledged deliveries the broker may have in flight to the consumer. */
const PREFETCH = 200;
const CHECK_MESSAGES = 100;
const BODY = randomBytes(1024);
const CONTRIB_SCOPE = '@opentelemetry/instrumentation-amqplib';
const NAMES = {
  baseline: 'no tracing',
  tracebridge: 'tracebridge traceChannel',
  contrib: '@opentelemetry/instrumentation-amqplib',
  off: 'tracebridge traceChannel, no SDK',
} as const;

/** One variant's connection: a publishing channel, and a running consumer counting its acks. */
interface Pipeline {
  readonly amqplib: Amqplib;
  readonly publisher: amqplib.Channel;
  /** Publishes `count` messages, waiting for `'drain'` whenever amqplib asks. */
  publish(count: number): Promise<void>;
  /** Resolves when `count` more messages have been acknowledged since the call. */
  acknowledged(count: number): Promise<void>;
  close(): Promise<void>;
}

async function startPipeline(
  copy: Amqplib,
  wrap: (channel: amqplib.Channel) => amqplib.Channel,
): Promise<Pipeline> {
  const connection = await copy.connect(URL);
  const queue = `amqp-bench-${randomUUID().slice(0, 8)}`;
  const publisher = wrap(await connection.createChannel());
  const consumer = wrap(await connection.createChannel());
  await consumer.assertQueue(queue, { durable: false, exclusive: true });
  await consumer.prefetch(PREFETCH);
  let acked = 0;
  let waiter: { target: number; resolve: () => void } | undefined;
  await consumer.consume(queue, (message) => {
    if (message === null) return;
    consumer.ack(message);
    acked++;
    if (waiter !== undefined && acked >= waiter.target) {
      const { resolve } = waiter;
      waiter = undefined;
      resolve();
    }
  });
  return {
    amqplib: copy,
    publisher,
    async publish(count) {
      for (let i = 0; i < count; i++) {
        if (!publisher.sendToQueue(queue, BODY)) await once(publisher, 'drain');
      }
    },
    acknowledged(count) {
      const target = acked + count;
      return new Promise((resolve) => {
        if (acked >= target) resolve();
        else waiter = { target, resolve };
      });
    },
    async close() {
      await connection.close();
    },
  };
}

/**
 * This process's CPU time per message in each timed run, per variant: the broker shares the machine, so
 * wall-clock throughput mixes tracing's cost with the broker's and other load; this is tracing's own.
 */
const cpuNsPerMessage = new Map<string, number[]>();

function recordCpu(variant: string, ns: number): void {
  const samples = cpuNsPerMessage.get(variant) ?? [];
  samples.push(ns);
  cpuNsPerMessage.set(variant, samples);
}

/** tracebridge's AMQP entry point as it ships (see bench/built-package.ts). */
function builtTracebridgeAmqp(): typeof tracebridgeAmqp {
  return loadBuilt<typeof tracebridgeAmqp>('amqp/index', (m) => m.traceChannel);
}

/** What a variant's run must have exported: nothing, or two spans per message from `scope`. */
type Expected = { traced: false } | { traced: true; scope: string };

function checkCounts(variant: string, expected: Expected, sdk: BenchSdk, messages: number): void {
  const want = expected.traced ? 2 * messages : 0;
  const fromScope = expected.traced ? sdk.exporter.from(expected.scope) : 0;
  if (sdk.exporter.total !== want || fromScope !== want) {
    const scopes = JSON.stringify(Object.fromEntries(sdk.exporter.byScope));
    throw new Error(
      `${variant}: ${messages} messages exported ${sdk.exporter.total} spans ${scopes}, expected ${want}`,
    );
  }
}

/** The setup check's span-level part: one PRODUCER and one CONSUMER span per message, linked by parenthood. */
function checkShape(variant: string, sdk: BenchSdk): void {
  const spans = sdk.exporter.kept ?? [];
  const producers = spans.filter((s) => s.kind === SpanKind.PRODUCER);
  const consumers = spans.filter((s) => s.kind === SpanKind.CONSUMER);
  if (producers.length !== CHECK_MESSAGES || consumers.length !== CHECK_MESSAGES)
    throw new Error(
      `${variant}: ${producers.length} PRODUCER, ${consumers.length} CONSUMER spans for ${CHECK_MESSAGES}`,
    );
  const producerIds = new Set(producers.map((s) => `${s.spanContext().traceId}-${s.spanContext().spanId}`));
  for (const consumer of consumers) {
    const parent = consumer.parentSpanContext;
    if (parent === undefined || !producerIds.has(`${parent.traceId}-${parent.spanId}`))
      throw new Error(`${variant}: a CONSUMER span is not a child of a PRODUCER span: context did not cross`);
  }
}

export function workload(): Workload {
  const sdk = createBenchSdk();
  const copies = packageCopies('amqplib');
  const pipelines = new Map<string, Pipeline>();
  let instrumentation: AmqplibInstrumentation | undefined;
  let lastMessages = 0;

  const variant = (name: string, expected: Expected): Variant & { run(n: number): Promise<void> } => ({
    name,
    enter() {
      sdk.exporter.reset();
      if (expected.traced) sdk.register();
    },
    async run(messages) {
      lastMessages = messages;
      const pipeline = pipelines.get(name)!;
      const cpuBefore = process.cpuUsage();
      const done = pipeline.acknowledged(messages);
      await pipeline.publish(messages);
      await done;
      const cpu = process.cpuUsage(cpuBefore);
      recordCpu(name, ((cpu.user + cpu.system) * 1000) / messages);
    },
    async exit() {
      if (expected.traced) await sdk.unregister();
      checkCounts(name, expected, sdk, lastMessages);
    },
  });

  const variants = [
    variant(NAMES.baseline, { traced: false }),
    variant(NAMES.tracebridge, { traced: true, scope: INSTRUMENTATION_NAME }),
    variant(NAMES.contrib, { traced: true, scope: CONTRIB_SCOPE }),
    variant(NAMES.off, { traced: false }),
  ] as const;
  const [baseline, tracebridge, contrib, off] = variants;

  return {
    name: 'amqp',
    description: `1 KiB messages published on one channel and consumed (prefetch ${PREFETCH}, one ack each) on another, same SDK (batch processor, AlwaysOn, discarding exporter)`,
    unit: 'message',
    operations: 25_000,
    rounds: 9,
    variants,
    async setup() {
      // Uninstrumented copies first, before the instrumentation hooks `require`.
      pipelines.set(baseline.name, await startPipeline(copies.fresh<Amqplib>(), (c) => c));
      const { traceChannel } = builtTracebridgeAmqp();
      pipelines.set(
        tracebridge.name,
        await startPipeline(copies.fresh<Amqplib>(), (c) =>
          traceChannel(c, { tracerProvider: sdk.provider }),
        ),
      );
      // What an application pays with tracebridge in place and no SDK: a provider that never gets one.
      const noSdk = new ProxyTracerProvider();
      pipelines.set(
        off.name,
        await startPipeline(copies.fresh<Amqplib>(), (c) => traceChannel(c, { tracerProvider: noSdk })),
      );
      instrumentation = new AmqplibInstrumentation();
      instrumentation.setTracerProvider(sdk.provider);
      pipelines.set(contrib.name, await startPipeline(copies.fresh<Amqplib>(), (c) => c));

      // Only the contrib copy is patched; every variant has its own copy.
      for (const [name, pipeline] of pipelines) {
        const patched = isWrapped(Object.getPrototypeOf(pipeline.publisher) as object, 'publish');
        if (patched !== (name === contrib.name))
          throw new Error(`${name}: amqplib patched=${patched}, expected ${name === contrib.name}`);
      }
      if (new Set([...pipelines.values()].map((p) => p.amqplib)).size !== pipelines.size)
        throw new Error('the variants share a copy of amqplib');

      for (const v of variants) {
        sdk.exporter.kept = [];
        // The check's runs are not timed; neither is their CPU counted.
        await v.enter?.();
        try {
          await v.run(CHECK_MESSAGES);
        } finally {
          await v.exit?.();
        }
        if (v === tracebridge || v === contrib) checkShape(v.name, sdk);
        sdk.exporter.kept = undefined;
      }
      cpuNsPerMessage.clear();
    },
    async teardown() {
      for (const pipeline of pipelines.values()) await pipeline.close();
      instrumentation?.disable();
      await sdk.provider.shutdown();
      copies.restore();
    },
  };
}

/** The line printed under the table: the ratios the target is stated in. */
export function summary({ results }: WorkloadResult): string {
  const ratio = (name: string) => results.find((r) => r.name === name)?.throughputRatio ?? NaN;
  // The runner's warm-up round is each variant's first sample: dropped, as the runner drops it.
  const cpuUs = (name: string) => median((cpuNsPerMessage.get(name) ?? []).slice(1)) / 1000;
  const tracebridge = ratio(NAMES.tracebridge);
  const contrib = ratio(NAMES.contrib);
  const ratios = [
    `tracebridge vs no tracing: ${tracebridge.toFixed(2)}x (target >= 0.90x)`,
    `instrumentation-amqplib vs no tracing: ${contrib.toFixed(2)}x`,
    `tracebridge vs instrumentation-amqplib: ${(tracebridge / contrib).toFixed(2)}x (target > 1.00x)`,
    `tracebridge without an SDK vs no tracing: ${ratio(NAMES.off).toFixed(2)}x`,
  ];
  const cpu = Object.values(NAMES).map((name) => `${name} ${cpuUs(name).toFixed(1)}`);
  return `${ratios.join('; ')}\nthis process's CPU per message (median, µs): ${cpu.join(', ')}`;
}
