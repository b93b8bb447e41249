/**
 * BullMQ jobs per second through the real Redis (127.0.0.1:6379): add N jobs with `Queue.add` (a chunk in
 * flight at a time) and process them with one `Worker` (concurrency 50, a trivial processor), the adds
 * and the processing running at once, as in a job system. Every variant has its own queue and sends the
 * same commands; only the `telemetry` option (or the bare spans) differs.
 *
 * - no tracing: BullMQ with no `telemetry` and nothing registered;
 * - floor: no `telemetry`; tracebridge's output made with the bare API (see matrix.ts): a PRODUCER
 *   `send {queue}` span around each `add`, its context, the enqueue time and the origin (floor-features.ts)
 *   written into a plain object stored as JSON where BullMQ stores a job's context
 *   (`opts.telemetry.metadata`), the job's id and name set once it is added; at process, that metadata
 *   parsed, the context extracted from it, a CONSUMER `process {queue}` span child of it with
 *   tracebridge's attributes (time in queue, end-to-end latency, job id and name, attempt, outcome), the
 *   processor run in its context, the span ended when the processor returns. It pays nothing for BullMQ's
 *   `telemetry` option, which wraps each of BullMQ's steps in a span call and a context switch: an
 *   instrumentation that patched `Queue.add` and the processor could do without it;
 * - tracebridge: `bullmqTelemetry({ tracerProvider })` from the built dist/ (see bench/built-package.ts);
 * - bullmq-otel (the contrib cells): BullMQ's own OpenTelemetry package. It takes no tracer provider, only
 *   the global one at construction (`trace.getTracer`), so each sampler's instance is made with that
 *   sampler's provider registered for the moment; it also records BullMQ's internal steps (fetching jobs,
 *   moving them to completed, ...) as spans of their own;
 *
 * the floor and tracebridge under no SDK and each sampler, bullmq-otel under each sampler (see
 * bench-sdk.ts, matrix.ts). Each variant's worker runs only while the variant does (started at `enter`,
 * closed at `exit`, outside the timed region): an idle bullmq-otel worker keeps recording its polling.
 *
 * Checks, so the comparison cannot silently compare nothing: at setup, {@link CHECK_JOBS} jobs per variant
 * export what its condition allows from its own scope, each trace a PRODUCER root and a CONSUMER child of
 * it, the floor's spans with the names and attribute keys of tracebridge's (tracebridge, floor; see
 * `checkEachVariant`), or (bullmq-otel) each CONSUMER span the child of a PRODUCER span of its trace.
 * After every timed run (outside the timed region): every job was processed exactly once, and the spans
 * exported number what the condition allows (bullmq-otel: at least that, from its scope).
 */
import { randomUUID } from 'node:crypto';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Queue, Worker } from 'bullmq';
import type { Job, JobsOptions, Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import type * as tracebridgeBullmq from '../../src/bullmq/index';
// Where tracebridge stores a job's enqueue time in its metadata, next to the propagator's fields.
import { ENQUEUED_AT_FIELD } from '../../src/bullmq/job-metadata';
import { INSTRUMENTATION_NAME } from '../../src/version';
import {
  checkCounts,
  createBenchSdk,
  expectedSpans,
  FLOOR_SCOPE,
  floorTracer,
  groupByTrace,
  rootWithChild,
} from '../bench-sdk';
import type { BenchSdk, Condition, SamplerName, TraceGroup } from '../bench-sdk';
import { loadBuilt } from '../built-package';
import { carryFloorOrigin, FLOOR_ORIGIN_HEADER, recordFloorArrival } from '../floor-features';
import { buildVariants, cells, checkEachVariant, conditionBlocks, targetsReport } from '../matrix';
import type { Cell } from '../matrix';
import type { BenchOptions, Variant, Workload, WorkloadResult } from '../runner';

const CONNECTION = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
/** `Queue.add` calls in flight at once. */
const CHUNK = 200;
const CONCURRENCY = 50;
/** Jobs per variant in the setup check: enough for the ratio sampler to record some traces. */
const CHECK_JOBS = 200;
const OTEL_SCOPE = 'bullmq-otel-bench';
const ADD_OPTIONS: JobsOptions = Object.freeze({ removeOnComplete: true, removeOnFail: true });

type BenchJob = Job<{ n: number }, number>;

/** How one variant adds a job and processes it; `telemetry` goes to its queue and worker. */
interface Jobs {
  readonly telemetry?: Telemetry;
  add(queue: Queue, n: number): Promise<unknown>;
  processor(job: BenchJob): Promise<number>;
}

const plainJobs: Jobs = {
  add: (queue, n) => queue.add('job', { n }, ADD_OPTIONS),
  processor: async (job) => job.data.n,
};

function telemetryJobs(telemetry: Telemetry): Jobs {
  return { ...plainJobs, telemetry };
}

/** The span attributes tracebridge gives every BullMQ span of `queueName`'s `operation`, at its start. */
function floorAttributes(queueName: string, operation: 'send' | 'process'): Attributes {
  return Object.freeze({
    'messaging.system': 'bullmq',
    'messaging.operation.name': operation,
    'messaging.operation.type': operation,
    'messaging.destination.name': queueName,
  });
}

/** The floor: see the file's comment. */
function floorJobs(tracer: Tracer, queueName: string): Jobs {
  const sendAttributes = floorAttributes(queueName, 'send');
  const processAttributes = floorAttributes(queueName, 'process');
  const work = (job: BenchJob) => job.data.n;
  return {
    add(queue, n) {
      const active = context.active();
      const span = tracer.startSpan(
        `send ${queueName}`,
        { kind: SpanKind.PRODUCER, attributes: sendAttributes },
        active,
      );
      const nowMs = Date.now();
      const carrier: Record<string, string> = { [ENQUEUED_AT_FIELD]: String(nowMs) };
      propagation.inject(trace.setSpan(active, span), carrier);
      carryFloorOrigin(carrier, span, nowMs);
      const added = queue.add(
        'job',
        { n },
        { ...ADD_OPTIONS, telemetry: { metadata: JSON.stringify(carrier) } },
      );
      added.then(
        (job) => {
          if (span.isRecording()) {
            span.setAttribute('messaging.message.id', job.id!);
            span.setAttribute('tracebridge.messaging.bullmq.job.name', job.name);
          }
          span.end();
        },
        () => span.end(),
      );
      return added;
    },
    async processor(job) {
      const metadata = job.opts.telemetry?.metadata;
      const carrier = (metadata === undefined ? {} : JSON.parse(metadata)) as Record<string, string>;
      const parent = propagation.extract(context.active(), carrier);
      const span = tracer.startSpan(
        `process ${queueName}`,
        { kind: SpanKind.CONSUMER, attributes: processAttributes },
        parent,
      );
      if (span.isRecording()) {
        const nowMs = Date.now();
        const enqueuedAt = carrier[ENQUEUED_AT_FIELD];
        if (enqueuedAt !== undefined)
          span.setAttribute(
            'tracebridge.messaging.time_in_queue_ms',
            Math.max(0, nowMs - Number(enqueuedAt)),
          );
        recordFloorArrival(span, carrier[FLOOR_ORIGIN_HEADER], nowMs, 'messaging');
        span.setAttribute('messaging.message.id', job.id!);
        span.setAttribute('tracebridge.messaging.bullmq.job.name', job.name);
      }
      try {
        const result = context.with(trace.setSpan(parent, span), work, undefined, job);
        if (span.isRecording()) {
          // The attempt's number, as BullMQ counts it once the attempt is over, and how it ended.
          span.setAttribute('tracebridge.messaging.attempt', job.attemptsMade + 1);
          span.setAttribute('tracebridge.messaging.bullmq.outcome', 'completed');
        }
        return result;
      } finally {
        span.end();
      }
    },
  };
}

/**
 * bullmq-otel with `sampler`'s provider: it reads the global provider once, at construction, and keeps
 * the SDK's tracer it found.
 */
function bullmqOtelFor(sdk: BenchSdk, sampler: SamplerName): Telemetry {
  trace.disable();
  trace.setGlobalTracerProvider(sdk.of(sampler)!.provider);
  const telemetry = new BullMQOtel(OTEL_SCOPE);
  trace.disable();
  return telemetry;
}

/** One PRODUCER root and one CONSUMER child of it per job. */
const jobTraces = (jobs: number): TraceGroup[] => [{ traces: jobs, spans: 2 }];

/** bullmq-otel's traces: each of its CONSUMER spans is the child of a PRODUCER span of the same trace. */
function contribTrace(spans: readonly ReadableSpan[]): string | undefined {
  const producers = new Set(
    spans.filter((s) => s.kind === SpanKind.PRODUCER).map((s) => s.spanContext().spanId),
  );
  for (const span of spans) {
    if (span.kind === SpanKind.CONSUMER && !producers.has(span.parentSpanContext?.spanId ?? ''))
      return 'a bullmq-otel process span is not the child of an add span: context did not travel';
  }
  return undefined;
}

/** The bullmq-otel spans a run must at least export: its add and process spans, per the sampler. */
function checkContribCounts(variant: string, condition: Condition, sdk: BenchSdk, jobs: number): void {
  const { min } = expectedSpans(condition, jobTraces(jobs));
  const own = sdk.of(condition)?.exporter.from(OTEL_SCOPE) ?? 0;
  const consumers = sdk.of(condition)?.exporter.ofKind(SpanKind.CONSUMER) ?? 0;
  if (own < min || (condition === 'AlwaysOn' && consumers !== jobs))
    throw new Error(`${variant}: exported ${own} spans, ${consumers} CONSUMER, expected >= ${min}`);
}

interface BullmqVariant extends Variant {
  readonly cell: Cell;
  readonly scope: string;
  run(jobs: number): Promise<void>;
  exit(): Promise<void>;
  /** Removes the variant's queue. */
  teardown(): Promise<void>;
}

function bullmqVariant(
  cell: Cell,
  sdk: BenchSdk,
  lib: typeof tracebridgeBullmq,
  queueName: string,
): BullmqVariant {
  const condition: Condition | undefined = cell.condition;
  const samplerSdk = condition === undefined ? undefined : sdk.of(condition);
  const scope =
    cell.family === 'contrib' ? OTEL_SCOPE : cell.family === 'floor' ? FLOOR_SCOPE : INSTRUMENTATION_NAME;
  // The globals (context manager, propagator) are registered whenever an SDK is: never with no SDK.
  const registers = samplerSdk !== undefined;
  const jobs: Jobs =
    cell.family === 'baseline'
      ? plainJobs
      : cell.family === 'floor'
        ? floorJobs(floorTracer(samplerSdk), queueName)
        : cell.family === 'tracebridge'
          ? telemetryJobs(
              lib.bullmqTelemetry(samplerSdk === undefined ? {} : { tracerProvider: samplerSdk.provider }),
            )
          : telemetryJobs(bullmqOtelFor(sdk, samplerSdk!.sampler));
  // Without telemetry the option is left out: bullmq's options do not take `undefined` for it.
  const telemetry = jobs.telemetry === undefined ? {} : { telemetry: jobs.telemetry };
  // Made when the variant first runs, not with the workload: under `--isolate` the parent builds every
  // variant and runs none, and an open connection would keep it from exiting.
  let made: Queue | undefined;
  const queue = () => (made ??= new Queue(queueName, { connection: CONNECTION, ...telemetry }));
  let worker: Worker | undefined;
  let seen = new Uint8Array(0);
  let processed = 0;
  let expected = 0;
  let whenDone: (() => void) | undefined;
  const completed = (_job: unknown, n: number) => {
    if (seen[n] === 0) processed++;
    seen[n] = 1;
    // The process span ends right after 'completed': the run resolves a macrotask later.
    if (processed === seen.length) setImmediate(() => whenDone?.());
  };
  return {
    name: cell.name,
    cell,
    scope,
    async enter() {
      sdk.reset();
      if (registers) sdk.register();
      worker = new Worker(queueName, (job: BenchJob) => jobs.processor(job), {
        connection: CONNECTION,
        ...telemetry,
        concurrency: CONCURRENCY,
      });
      worker.on('error', (error) => console.error(`${cell.name}: worker error`, error));
      worker.on('completed', completed);
      await worker.waitUntilReady();
    },
    async run(n) {
      expected = n;
      seen = new Uint8Array(n);
      processed = 0;
      const done = new Promise<void>((resolve) => (whenDone = resolve));
      for (let start = 0; start < n; start += CHUNK) {
        const adds: Promise<unknown>[] = [];
        for (let i = start; i < Math.min(n, start + CHUNK); i++) adds.push(jobs.add(queue(), i));
        await Promise.all(adds);
      }
      await done;
    },
    async exit() {
      await worker?.close();
      worker = undefined;
      if (registers) await sdk.unregister();
      if (processed !== expected) throw new Error(`${cell.name}: processed ${processed} of ${expected} jobs`);
      if (cell.family === 'contrib') checkContribCounts(cell.name, condition!, sdk, expected);
      else checkCounts(cell.name, condition ?? 'no SDK', sdk, scope, jobTraces(expected));
    },
    async teardown() {
      if (made === undefined) return;
      await made.obliterate({ force: true });
      await made.close();
    },
  };
}

export function workload(options: BenchOptions): Workload {
  const jobs = options.quick ? 1_000 : 2_000;
  const sdk = createBenchSdk();
  const lib = loadBuilt<typeof tracebridgeBullmq>('bullmq/index', (m) => m.bullmqTelemetry);
  const variants = buildVariants(cells(true), options.include, (cell) =>
    // A queue of its own per variant, named by a random part alone: the floor's span names must be
    // tracebridge's but for it (see `checkEachVariant`).
    bullmqVariant(cell, sdk, lib, `bench-bullmq-${randomUUID().slice(0, 8)}`),
  );
  return {
    name: 'bullmq',
    description: `jobs added with Queue.add (${CHUNK} in flight) and processed by one Worker (concurrency ${CONCURRENCY}) on the real Redis`,
    unit: 'job',
    operations: jobs,
    rounds: options.quick ? 3 : 7,
    variants,
    blocks: conditionBlocks(variants),
    async setup() {
      // The floor and tracebridge (and the baseline) by the matrix's check, the floor's spans against
      // tracebridge's included; bullmq-otel, which makes spans of its own besides, by its own.
      await checkEachVariant(
        sdk,
        variants.filter((v) => v.cell.family !== 'contrib'),
        CHECK_JOBS,
        (v) => ({
          scope: v.scope,
          groups: jobTraces(CHECK_JOBS),
          checkTrace: rootWithChild(SpanKind.PRODUCER, SpanKind.CONSUMER),
        }),
      );
      for (const v of variants.filter((v) => v.cell.family === 'contrib')) {
        sdk.keep(true);
        await v.enter?.();
        try {
          await v.run(CHECK_JOBS);
        } finally {
          await v.exit();
        }
        const spans = sdk.keep(false).filter((s) => s.instrumentationScope.name === OTEL_SCOPE);
        for (const trace of groupByTrace(spans).values()) {
          const problem = contribTrace(trace);
          if (problem !== undefined) throw new Error(`${v.name}: ${problem}`);
        }
      }
    },
    async teardown() {
      for (const v of variants) await v.teardown();
      await sdk.shutdown();
    },
  };
}

export function summary(result: WorkloadResult): string {
  return targetsReport(result, 'bullmq-otel');
}
