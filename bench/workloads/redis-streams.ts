/**
 * Stream jobs per second through the real Redis (127.0.0.1:6379): enqueue N jobs with XADD and process
 * them with a consumer group (XREADGROUP ... COUNT, a trivial handler per entry, XACK per entry), the
 * producer and the consumer running at once on their own connections, as in a job system.
 *
 * - baseline: the plain ioredis loop, no tracing registered at all;
 * - tracebridge: the same loop through `streamProducer(...).add` and `streamConsumer(...).processRead`
 *   (one PRODUCER and one CONSUMER span per job, context in an extra field, the span ended at XACK), with
 *   the SDK registered: `BasicTracerProvider`, AlwaysOn, a `BatchSpanProcessor` and an exporter that only
 *   counts, the AsyncLocalStorage context manager and the W3C propagator.
 *
 * Both loops send the same commands with the same waits: XADD in chunks of `CHUNK` in flight; per read,
 * each entry's handler, then its XACK without waiting, then all of the batch's XACKs awaited before the
 * next read (what `processRead` does). tracebridge runs from the built dist/ (see bench/built-package.ts).
 *
 * Checks, so the comparison cannot silently compare nothing: at setup, 10 jobs per variant give 0 spans
 * (baseline) or one send and one process span per job, each process span a child of its send span. After
 * every timed run (outside the timed region): every job was processed exactly once, nothing is pending,
 * and the spans exported number exactly two per job (none dropped). Each run uses a fresh stream, deleted
 * afterwards.
 */
import { randomUUID } from 'node:crypto';
import { context, propagation, ProxyTracerProvider, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Tracer, TracerProvider } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import type * as tracebridgeRedis from '../../src/redis/index';
import { createPropagator } from '../../test/helpers/tracing';
import { CountingExporter } from '../bench-sdk';
import { loadBuilt } from '../built-package';
import type { Variant, Workload, WorkloadResult } from '../runner';

const JOBS = 100_000;
/** XADDs in flight at once. */
const CHUNK = 1_000;
/** Entries per XREADGROUP. */
const READ_COUNT = 500;
const CHECK_JOBS = 10;
const GROUP = 'bench';
const CONSUMER = 'c1';
const NAMES = {
  baseline: 'ioredis, no tracing',
  tracebridge: 'tracebridge, SDK recording',
  tracebridgeOff: 'tracebridge, no SDK registered',
  sdkFloor: 'ioredis + 2 bare SDK spans/job',
};

type Entries = [id: string, fields: string[]][];
type ReadReply = [stream: string, entries: Entries][] | null;

/** What one variant does with a stream: add a job, process one read's reply. */
interface Pipeline {
  add(stream: string, n: number): Promise<unknown>;
  processRead(stream: string, reply: ReadReply, handler: (n: string) => void): Promise<void>;
}

/**
 * The plain loop; with `tracer`, it also starts and ends one bare span per send and per process (no
 * propagation, no context): the cost of the SDK itself, which no instrumentation recording these two
 * spans per job can go below.
 */
function plainPipeline(producer: Redis, consumer: Redis, tracer?: Tracer): Pipeline {
  const attributes = { 'messaging.system': 'redis' };
  return {
    add(stream, n) {
      if (tracer === undefined) return producer.xadd(stream, '*', 'n', n);
      const span = tracer.startSpan(`send ${stream}`, { kind: SpanKind.PRODUCER, attributes });
      const reply = producer.xadd(stream, '*', 'n', n);
      reply.then(
        () => span.end(),
        () => span.end(),
      );
      return reply;
    },
    async processRead(stream, reply, handler) {
      const acks: Promise<unknown>[] = [];
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          if (tracer === undefined) {
            handler(fields[1]!);
            acks.push(consumer.xack(stream, GROUP, id));
            continue;
          }
          const span = tracer.startSpan(`process ${stream}`, { kind: SpanKind.CONSUMER, attributes });
          handler(fields[1]!);
          acks.push(consumer.xack(stream, GROUP, id).then(() => span.end()));
        }
      }
      await Promise.all(acks);
    },
  };
}

/**
 * The same loop through tracebridge's helpers. The tracer provider is given explicitly: a tracer obtained
 * from the global provider keeps the SDK it first found even after `trace.disable()`, so the variants
 * could not be kept apart through the globals alone.
 */
function tracebridgePipeline(
  lib: typeof tracebridgeRedis,
  producerConnection: Redis,
  consumerConnection: Redis,
  tracerProvider: TracerProvider,
): Pipeline {
  const producers = new Map<string, tracebridgeRedis.StreamProducer>();
  const consumer = lib.streamConsumer(consumerConnection, {
    group: GROUP,
    consumer: CONSUMER,
    tracerProvider,
  });
  return {
    add(stream, n) {
      let producer = producers.get(stream);
      if (producer === undefined) {
        producers.clear();
        producer = lib.streamProducer(producerConnection, { stream, tracerProvider });
        producers.set(stream, producer);
      }
      return producer.add(['n', n]);
    },
    processRead: (_stream, reply, handler) => consumer.processRead(reply, (job) => handler(job.fields[1]!)),
  };
}

/** Enqueues `jobs` and processes them concurrently; resolves with how many distinct jobs were processed. */
async function runJobs(pipeline: Pipeline, consumer: Redis, stream: string, jobs: number): Promise<number> {
  const seen = new Uint8Array(jobs);
  let processed = 0;
  const handler = (n: string) => {
    const i = Number(n);
    if (seen[i] === 0) processed++;
    seen[i] = 1;
  };
  const produce = async () => {
    for (let start = 0; start < jobs; start += CHUNK) {
      const sends: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(jobs, start + CHUNK); i++) sends.push(pipeline.add(stream, i));
      await Promise.all(sends);
    }
  };
  const consume = async () => {
    while (processed < jobs) {
      const reply = (await consumer.xreadgroup(
        'GROUP',
        GROUP,
        CONSUMER,
        'COUNT',
        READ_COUNT,
        'BLOCK',
        2000,
        'STREAMS',
        stream,
        '>',
      )) as ReadReply;
      if (reply === null) throw new Error(`the stream ran dry after ${processed} of ${jobs} jobs`);
      await pipeline.processRead(stream, reply, handler);
    }
  };
  await Promise.all([produce(), consume()]);
  return processed;
}

export function workload(): Workload {
  const exporter = new CountingExporter();
  const provider = new BasicTracerProvider({
    sampler: new AlwaysOnSampler(),
    // Large enough for every span of a run: the check after each run requires that none was dropped.
    spanProcessors: [
      new BatchSpanProcessor(exporter, { maxQueueSize: 2 * JOBS + 1_000, maxExportBatchSize: 4_096 }),
    ],
  });
  const propagator = createPropagator('w3c');
  const connections: Redis[] = [];
  const pipelines = new Map<string, { pipeline: Pipeline; consumer: Redis; admin: Redis }>();
  let stream = '';
  let lastJobs = 0;
  let lastProcessed = 0;

  /** `traced`: the SDK is registered globally during the run, and two spans per job must come out. */
  const variant = (
    name: string,
    traced: boolean,
  ): Variant & { run(n: number): Promise<void>; exit(): Promise<void> } => ({
    name,
    async enter() {
      stream = `redis-bench-${randomUUID().slice(0, 8)}`;
      const { admin } = pipelines.get(name)!;
      await admin.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
      exporter.reset();
      if (!traced) return;
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(propagator);
      trace.setGlobalTracerProvider(provider);
    },
    async run(jobs) {
      const { pipeline, consumer } = pipelines.get(name)!;
      lastJobs = jobs;
      lastProcessed = await runJobs(pipeline, consumer, stream, jobs);
    },
    async exit() {
      const { admin } = pipelines.get(name)!;
      if (traced) {
        await provider.forceFlush();
        trace.disable();
        context.disable();
        propagation.disable();
      }
      const pending = Number((await admin.xpending(stream, GROUP))[0]);
      await admin.del(stream);
      const wantSpans = traced ? 2 * lastJobs : 0;
      if (lastProcessed !== lastJobs || pending !== 0 || exporter.total !== wantSpans)
        throw new Error(
          `${name}: ${lastJobs} jobs: ${lastProcessed} processed, ${pending} pending, ${exporter.total} spans (expected ${wantSpans})`,
        );
    },
  });

  const variants = [
    variant(NAMES.baseline, false),
    variant(NAMES.tracebridge, true),
    variant(NAMES.tracebridgeOff, false),
    variant(NAMES.sdkFloor, true),
  ];

  return {
    name: 'redis-streams',
    description: `stream jobs through Redis: XADD (${CHUNK} in flight) while a consumer group reads ${READ_COUNT} at a time and XACKs each`,
    unit: 'job',
    operations: JOBS,
    rounds: 5,
    variants,
    async setup() {
      const lib = loadBuilt<typeof tracebridgeRedis>('redis/index', (m) => m.streamProducer);
      const open = async () => {
        const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
        connections.push(client);
        await client.connect();
        return client;
      };
      for (const v of variants) {
        const [producer, consumer, admin] = await Promise.all([open(), open(), open()]);
        const pipeline =
          v.name === NAMES.baseline
            ? plainPipeline(producer, consumer)
            : v.name === NAMES.sdkFloor
              ? plainPipeline(producer, consumer, provider.getTracer('bench-sdk-floor'))
              : tracebridgePipeline(
                  lib,
                  producer,
                  consumer,
                  // No SDK: what a provider without a delegate gives, as when none is registered.
                  v.name === NAMES.tracebridge ? provider : new ProxyTracerProvider(),
                );
        pipelines.set(v.name, { pipeline, consumer, admin });
      }
      for (const v of variants) {
        exporter.kept = [];
        await v.enter?.();
        try {
          await v.run(CHECK_JOBS);
        } finally {
          await v.exit();
        }
        if (v.name === NAMES.tracebridge) checkShape(exporter.kept);
        exporter.kept = undefined;
      }
    },
    async teardown() {
      await provider.shutdown();
      for (const client of connections) client.disconnect();
    },
  };
}

/** One PRODUCER root and one CONSUMER child of it per job. */
function checkShape(spans: readonly ReadableSpan[]): void {
  const sends = spans.filter((s) => s.kind === SpanKind.PRODUCER);
  const processes = spans.filter((s) => s.kind === SpanKind.CONSUMER);
  if (sends.length !== CHECK_JOBS || processes.length !== CHECK_JOBS)
    throw new Error(
      `tracebridge: ${sends.length} send and ${processes.length} process spans for ${CHECK_JOBS} jobs`,
    );
  const sendIds = new Set(sends.map((s) => s.spanContext().spanId));
  if (!processes.every((s) => s.parentSpanContext !== undefined && sendIds.has(s.parentSpanContext.spanId)))
    throw new Error('tracebridge: a process span is not a child of a send span: context did not travel');
}

/** The lines under the table: the ratio the target is stated in, and what the SDK alone costs. */
export function summary({ results }: WorkloadResult): string {
  const ratio = (name: string) => results.find((r) => r.name === name)?.throughputRatio ?? NaN;
  const ns = (name: string) => results.find((r) => r.name === name)?.medianNsPerOp ?? NaN;
  const own = ns(NAMES.tracebridge) - ns(NAMES.sdkFloor);
  return [
    `tracebridge (SDK recording) vs plain ioredis: ${ratio(NAMES.tracebridge).toFixed(2)}x throughput (target >= 0.90x)`,
    `tracebridge with no SDK registered: ${ratio(NAMES.tracebridgeOff).toFixed(2)}x`,
    `the SDK alone, two bare spans per job: ${ratio(NAMES.sdkFloor).toFixed(2)}x; tracebridge's own cost above it: ${own.toFixed(0)} ns/job`,
  ].join('\n');
}
