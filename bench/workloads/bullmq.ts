/**
 * BullMQ jobs per second through the real Redis (127.0.0.1:6379): add N jobs with `Queue.add` (a chunk in
 * flight at a time) and process them with one `Worker` (concurrency 50, a trivial processor), the adds
 * and the processing running at once, as in a job system. Every variant has its own queue and worker and
 * sends the same commands; only the `telemetry` option (or the bare spans) differs.
 *
 * - baseline: BullMQ with no `telemetry` and no SDK registered;
 * - bullmq-otel: BullMQ's own OpenTelemetry package, `new BullMQOtel(...)`; it also records BullMQ's
 *   internal steps (fetching jobs, moving them to completed, ...) as spans of their own;
 * - tracebridge: `bullmqTelemetry()` from the built dist/ (one PRODUCER and one CONSUMER span per job);
 * - floor: no `telemetry`; one bare `send` span around each `add` and one bare `process` span around each
 *   processing, with the same SDK and no propagation: the least any instrumentation recording these two
 *   spans per job can pay.
 *
 * The traced variants share one SDK: `BasicTracerProvider`, AlwaysOn, a `BatchSpanProcessor` and an
 * exporter that only counts, the AsyncLocalStorage context manager and the W3C propagator.
 *
 * Checks, so the comparison cannot silently compare nothing: at setup, 10 jobs per variant give no spans
 * (baseline), or per job a send (add) span and a process span whose parent it is (tracebridge,
 * bullmq-otel), or two spans per job (floor). After every timed run, outside the timed region: every job
 * was processed exactly once, and the spans exported number two per job (tracebridge, floor), at least two
 * (bullmq-otel) or none (baseline).
 */
import { randomUUID } from 'node:crypto';
import { SpanKind, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Queue, Worker } from 'bullmq';
import type { Job, Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import type * as tracebridgeBullmq from '../../src/bullmq/index';
import { INSTRUMENTATION_NAME } from '../../src/version';
import { createBenchSdk } from '../bench-sdk';
import type { SamplerSdk } from '../bench-sdk';
import { loadBuilt } from '../built-package';
import { median } from '../runner';
import type { Variant, Workload, WorkloadResult } from '../runner';

const CONNECTION = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const JOBS = 2_000;
/** `Queue.add` calls in flight at once. */
const CHUNK = 200;
const CONCURRENCY = 50;
const CHECK_JOBS = 10;
const OTEL_SCOPE = 'bullmq-bench';
const FLOOR_SCOPE = 'bench-floor';
const NAMES = {
  baseline: 'BullMQ, no telemetry',
  bullmqOtel: 'bullmq-otel, SDK recording',
  tracebridge: 'tracebridge, SDK recording',
  floor: 'BullMQ + 2 bare SDK spans/job',
};

/** How a variant's spans are made, and what a run must have exported. */
interface Tracing {
  readonly telemetry?: Telemetry;
  /** The floor's bare spans. */
  readonly bareTracer?: boolean;
  /** Spans per job a run exports: exactly, or (bullmq-otel) at least. */
  readonly spansPerJob: number;
  readonly atLeast?: boolean;
  /** The instrumentation scope of its spans; the setup check inspects its send and process spans. */
  readonly scope?: string;
}

/** One variant's queue and worker; `run` adds `jobs` and resolves when all of them are processed. */
interface Pipeline {
  run(jobs: number): Promise<void>;
  close(): Promise<void>;
}

async function startPipeline(queueName: string, tracing: Tracing, tracer: () => Tracer): Promise<Pipeline> {
  const queue = new Queue(queueName, { connection: CONNECTION, telemetry: tracing.telemetry });
  let seen = new Uint8Array(0);
  let processed = 0;
  let whenDone: (() => void) | undefined;
  const processor = tracing.bareTracer
    ? async (job: Job<{ n: number }>) => {
        tracer().startSpan(`process ${queueName}`, { kind: SpanKind.CONSUMER }).end();
        return job.data.n;
      }
    : async (job: Job<{ n: number }>) => job.data.n;
  const worker = new Worker(queueName, processor, {
    connection: CONNECTION,
    telemetry: tracing.telemetry,
    concurrency: CONCURRENCY,
  });
  worker.on('error', (error) => console.error(`${queueName}: worker error`, error));
  // Counted at 'completed', once BullMQ has moved the job; the process span ends right after, so the run
  // resolves a macrotask later, when every span of the run has ended.
  worker.on('completed', (_job, n: number) => {
    if (seen[n] === 0) processed++;
    seen[n] = 1;
    if (processed === seen.length) setImmediate(() => whenDone?.());
  });
  await worker.waitUntilReady();
  const opts = { removeOnComplete: true, removeOnFail: true };
  const add = (n: number) => {
    if (!tracing.bareTracer) return queue.add('job', { n }, opts);
    const span = tracer().startSpan(`send ${queueName}`, { kind: SpanKind.PRODUCER });
    return queue.add('job', { n }, opts).finally(() => span.end());
  };
  return {
    async run(jobs) {
      seen = new Uint8Array(jobs);
      processed = 0;
      const done = new Promise<void>((resolve) => (whenDone = resolve));
      for (let start = 0; start < jobs; start += CHUNK) {
        const adds: Promise<unknown>[] = [];
        for (let n = start; n < Math.min(jobs, start + CHUNK); n++) adds.push(add(n));
        await Promise.all(adds);
      }
      await done;
      if (processed !== jobs) throw new Error(`${queueName}: processed ${processed} of ${jobs} jobs`);
    },
    async close() {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    },
  };
}

/**
 * Counted per instrumentation scope: bullmq-otel's idle worker keeps recording its polling steps while
 * the other variants run (its tracer holds on to the SDK it first found), and those spans are not theirs.
 */
/**
 * This process's CPU time per job, per variant: on a shared machine it drifts less than wall time, which
 * here is mostly Redis round trips.
 */
const cpuNsPerJob = new Map<string, number[]>();

function recordCpu(variant: string, ns: number): void {
  const samples = cpuNsPerJob.get(variant) ?? [];
  samples.push(ns);
  cpuNsPerJob.set(variant, samples);
}

function checkCounts(variant: string, tracing: Tracing, sdk: SamplerSdk, jobs: number): void {
  const want = tracing.spansPerJob * jobs;
  const got =
    tracing.scope === undefined
      ? sdk.exporter.from(FLOOR_SCOPE) + sdk.exporter.from(INSTRUMENTATION_NAME)
      : sdk.exporter.from(tracing.scope);
  if (tracing.atLeast ? got < want : got !== want)
    throw new Error(
      `${variant}: exported ${got} spans for ${jobs} jobs, expected ${tracing.atLeast ? '>= ' : ''}${want}`,
    );
}

/** Each process span of `scope` is the child of a send (add) span of the same scope: context crossed. */
function checkShape(variant: string, scope: string, spans: readonly ReadableSpan[]): void {
  const mine = spans.filter((s) => s.instrumentationScope.name === scope);
  const sends = mine.filter((s) => s.kind === SpanKind.PRODUCER);
  const processes = mine.filter((s) => s.kind === SpanKind.CONSUMER);
  if (sends.length !== CHECK_JOBS || processes.length !== CHECK_JOBS)
    throw new Error(
      `${variant}: ${sends.length} send, ${processes.length} process spans for ${CHECK_JOBS} jobs`,
    );
  const sendIds = new Set(sends.map((s) => s.spanContext().spanId));
  for (const span of processes) {
    if (!sendIds.has(span.parentSpanContext?.spanId ?? ''))
      throw new Error(`${variant}: a process span is not a child of a send span: context did not cross`);
  }
}

export function workload(): Workload {
  // AlwaysOn only, for now: this workload is not yet on the sampler matrix the others run.
  const sdks = createBenchSdk();
  const sdk = sdks.of('AlwaysOn')!;
  const { bullmqTelemetry } = loadBuilt<typeof tracebridgeBullmq>('bullmq/index', (m) => m.bullmqTelemetry);
  const suffix = randomUUID().slice(0, 8);
  const pipelines = new Map<string, Pipeline>();
  let lastJobs = 0;
  const tracer = () => trace.getTracer(FLOOR_SCOPE);

  const tracings: Record<string, Tracing> = {
    [NAMES.baseline]: { spansPerJob: 0 },
    [NAMES.bullmqOtel]: {
      telemetry: new BullMQOtel(OTEL_SCOPE),
      spansPerJob: 2,
      atLeast: true,
      scope: OTEL_SCOPE,
    },
    [NAMES.tracebridge]: {
      telemetry: bullmqTelemetry({ tracerProvider: sdk.provider }),
      spansPerJob: 2,
      scope: INSTRUMENTATION_NAME,
    },
    [NAMES.floor]: { bareTracer: true, spansPerJob: 2, scope: FLOOR_SCOPE },
  };
  const traced = (name: string) => tracings[name]!.spansPerJob > 0;

  const variants: Variant[] = Object.keys(tracings).map((name) => ({
    name,
    enter() {
      sdks.reset();
      if (traced(name)) {
        sdks.register();
        // bullmq-otel and the floor take the global tracer provider.
        trace.setGlobalTracerProvider(sdk.provider);
      }
    },
    async run(jobs) {
      lastJobs = jobs;
      const cpuBefore = process.cpuUsage();
      await pipelines.get(name)!.run(jobs);
      const cpu = process.cpuUsage(cpuBefore);
      recordCpu(name, ((cpu.user + cpu.system) * 1000) / jobs);
    },
    async exit() {
      if (traced(name)) {
        await sdks.unregister();
        trace.disable();
      }
      checkCounts(name, tracings[name]!, sdk, lastJobs);
    },
  }));

  return {
    name: 'bullmq',
    description: `jobs added with Queue.add (${CHUNK} in flight) and processed by one Worker (concurrency ${CONCURRENCY}) on the real Redis, same SDK (batch processor, AlwaysOn, discarding exporter)`,
    unit: 'job',
    operations: JOBS,
    rounds: 7,
    variants,
    async setup() {
      for (const [i, name] of Object.keys(tracings).entries()) {
        pipelines.set(name, await startPipeline(`bench-bullmq-${suffix}-${i}`, tracings[name]!, tracer));
      }
      for (const v of variants) {
        sdks.keep(true);
        await v.enter?.();
        try {
          await v.run(CHECK_JOBS);
        } finally {
          await v.exit?.();
        }
        const { scope, telemetry } = tracings[v.name]!;
        const kept = sdks.keep(false);
        if (scope !== undefined && telemetry !== undefined) checkShape(v.name, scope, kept);
      }
      cpuNsPerJob.clear();
    },
    async teardown() {
      for (const pipeline of pipelines.values()) await pipeline.close();
      await sdks.shutdown();
    },
  };
}

/** The line printed under the table: the ratios against no telemetry, against bullmq-otel, the floor. */
export function summary({ results }: WorkloadResult): string {
  const ratio = (name: string) => results.find((r) => r.name === name)?.throughputRatio ?? NaN;
  const tracebridge = ratio(NAMES.tracebridge);
  // The runner's warm-up round is each variant's first sample: dropped, as the runner drops it.
  const cpuUs = (name: string) => median((cpuNsPerJob.get(name) ?? []).slice(1)) / 1000;
  const cpu = Object.values(NAMES).map((name) => `${name} ${cpuUs(name).toFixed(0)}`);
  const ratios = [
    `tracebridge vs no telemetry: ${tracebridge.toFixed(2)}x`,
    `bullmq-otel vs no telemetry: ${ratio(NAMES.bullmqOtel).toFixed(2)}x`,
    `tracebridge vs bullmq-otel: ${(tracebridge / ratio(NAMES.bullmqOtel)).toFixed(2)}x`,
    `floor vs no telemetry: ${ratio(NAMES.floor).toFixed(2)}x`,
    `tracebridge vs floor: ${(tracebridge / ratio(NAMES.floor)).toFixed(2)}x`,
  ];
  return `${ratios.join('; ')}\nthis process's CPU per job (median, µs): ${cpu.join(', ')}`;
}
