/**
 * Stream jobs per second through the real Redis (127.0.0.1:6379): enqueue N jobs with XADD and process
 * them with a consumer group (XREADGROUP ... COUNT, a trivial handler per entry, XACK per entry), the
 * producer and the consumer running at once on their own connections, as in a job system.
 *
 * - no tracing: the plain ioredis loop, nothing registered at all;
 * - floor: the same loop making tracebridge's spans (their names and attributes too)
 *   with the bare API: a PRODUCER `send {stream}` span per
 *   XADD, ended at its reply, its context injected into a plain object whose entries become extra fields;
 *   per entry, the fields read into a plain object, the context extracted from it, a CONSUMER
 *   `process {stream}` span child of it, the handler run in its context, the span ended at XACK (XADD and
 *   XACK sent in their span's context, as tracebridge sends them); and
 *   tracebridge's own features as it makes them (see floor-features.ts): a sampled send's entry also
 *   carries the `tracebridge-origin` field, and a recording process span gets the time in queue (from the
 *   entry id's milliseconds), end-to-end latency and hops (from that field), attempt 1 (a `>` read) and,
 *   at XACK's answer, the settle outcome `ack`;
 * - tracebridge: the same loop through `streamProducer(...).add` and `streamConsumer(...).processRead`;
 *
 * the floor and tracebridge under no SDK and each sampler (see bench-sdk.ts, matrix.ts). There is no
 * contrib instrumentation of stream jobs to compare with.
 *
 * Every loop sends the same commands with the same waits: XADD in chunks of `CHUNK` in flight; per read,
 * each entry's handler, then its XACK without waiting, then all of the batch's XACKs awaited before the
 * next read (what `processRead` does). tracebridge runs from the built dist/ (see bench/built-package.ts).
 *
 * Checks, so the comparison cannot silently compare nothing: at setup, {@link CHECK_JOBS} jobs per variant
 * export what its condition allows, from its own scope, every trace a PRODUCER root and a CONSUMER child of
 * it. After every timed run (outside the timed region): every job was processed exactly once, nothing is
 * pending, and the spans exported number what the condition allows (none dropped). Each run uses a fresh
 * stream, deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { Span, TracerProvider } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import type * as tracebridgeRedis from '../../src/redis/index';
import { INSTRUMENTATION_NAME } from '../../src/version';
import {
  checkCounts,
  createBenchSdk,
  FLOOR_SCOPE,
  floorTracer,
  lastFloorOperation,
  rootWithChild,
} from '../bench-sdk';
import type { BenchSdk, Condition, FloorOperation, SamplerSdk, TraceGroup } from '../bench-sdk';
import { loadBuilt, TRACEBRIDGE_BENCH_OPTIONS } from '../built-package';
import { carryFloorOrigin, FLOOR_ORIGIN_HEADER, recordFloorArrival } from '../floor-features';
import { buildVariants, cells, conditionBlocks, checkEachVariant, targetsReport } from '../matrix';
import type { Cell } from '../matrix';
import type { BenchOptions, Variant, Workload, WorkloadResult } from '../runner';

/** XADDs in flight at once. */
const CHUNK = 1_000;
/** Entries per XREADGROUP. */
const READ_COUNT = 500;
/** Jobs per variant in the setup check: enough for the ratio sampler to record some traces. */
const CHECK_JOBS = 200;
const GROUP = 'bench';
const CONSUMER = 'c1';

type Entries = [id: string, fields: string[]][];
type ReadReply = [stream: string, entries: Entries][] | null;

/** What one variant does with a stream: add a job, process one read's reply. */
export interface Pipeline {
  add(stream: string, n: number): Promise<unknown>;
  processRead(stream: string, reply: ReadReply, handler: (n: string) => void): Promise<void>;
}

/** The plain loop. */
function plainPipeline(producer: Redis, consumer: Redis): Pipeline {
  return {
    add: (stream, n) => producer.xadd(stream, '*', 'n', n),
    async processRead(stream, reply, handler) {
      const acks: Promise<unknown>[] = [];
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          handler(fields[1]!);
          acks.push(consumer.xack(stream, GROUP, id));
        }
      }
      await Promise.all(acks);
    },
  };
}

/** The names and start attributes of tracebridge's spans of `operation` on a stream. */
function floorOperations(operation: 'send' | 'process'): (stream: string) => FloorOperation {
  return lastFloorOperation((stream) => ({
    name: `${operation} ${stream}`,
    attributes: Object.freeze({
      'messaging.system': 'redis',
      'messaging.operation.name': operation,
      'messaging.operation.type': operation,
      'messaging.destination.name': stream,
    }),
  }));
}

/** The floor's XADD, a function of its own so that `context.with` takes its arguments (no closure per add). */
function sendXadd(redis: Redis, stream: string, fields: (string | number)[]): Promise<string | null> {
  return redis.xadd(stream, '*', ...fields);
}

/** The floor's XACK, for `context.with` as {@link sendXadd}. */
function sendXack(redis: Redis, stream: string, id: string): Promise<number> {
  return redis.xack(stream, GROUP, id);
}

/** The plain loop making tracebridge's spans with the bare API: see the file's comment. */
function floorPipeline(producer: Redis, consumer: Redis, sdk: SamplerSdk | undefined): Pipeline {
  const tracer = floorTracer(sdk);
  const sendTo = floorOperations('send');
  const processFrom = floorOperations('process');
  const endSpan = (span: Span) => () => span.end();
  // At XACK's answer (the count it acknowledged), as tracebridge settles: `ack` only when Redis acked it.
  const settleAtAnswer = (span: Span) => (acknowledged: number) => {
    if (span.isRecording()) {
      if (acknowledged > 0) span.setAttribute('tracebridge.messaging.settle.outcome', 'ack');
      else span.setAttribute('tracebridge.messaging.redis.acknowledged', false);
    }
    span.end();
  };
  return {
    add(stream, n) {
      const send = sendTo(stream);
      const active = context.active();
      const span = tracer.startSpan(
        send.name,
        { kind: SpanKind.PRODUCER, attributes: send.attributes },
        active,
      );
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(active, span), carrier);
      // As tracebridge with no MeterProvider: the origin goes only with a sampled span's context.
      carryFloorOrigin(carrier, span, Date.now());
      const fields: (string | number)[] = ['n', n];
      for (const key in carrier) fields.push(key, carrier[key]!);
      // In the span's context, as tracebridge sends it (and the Kafka floor its send), so that a client
      // instrumentation's command span would be the span's child.
      const reply = context.with(trace.setSpan(active, span), sendXadd, undefined, producer, stream, fields);
      const end = endSpan(span);
      reply.then((id) => {
        if (id !== null && span.isRecording()) span.setAttribute('messaging.message.id', id);
        end();
      }, end);
      return reply;
    },
    async processRead(stream, reply, handler) {
      const process = processFrom(stream);
      const acks: Promise<unknown>[] = [];
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          const carrier: Record<string, string> = {};
          for (let i = 0; i + 1 < fields.length; i += 2) carrier[fields[i]!] = fields[i + 1]!;
          const parent = propagation.extract(context.active(), carrier);
          const span = tracer.startSpan(
            process.name,
            { kind: SpanKind.CONSUMER, attributes: process.attributes },
            parent,
          );
          if (span.isRecording()) {
            // One clock read per recorded entry, for both the end-to-end latency and the time in queue.
            const nowMs = Date.now();
            recordFloorArrival(span, carrier[FLOOR_ORIGIN_HEADER], nowMs, 'messaging');
            // The id's `<ms>-` part is the Redis server's clock when it added the entry (parseInt stops at '-').
            const enqueuedMs = parseInt(id, 10);
            if (enqueuedMs > 0)
              span.setAttribute('tracebridge.messaging.time_in_queue_ms', Math.max(0, nowMs - enqueuedMs));
            span.setAttribute('messaging.message.id', id);
            span.setAttribute('messaging.consumer.group.name', GROUP);
            span.setAttribute('messaging.client.id', CONSUMER);
            // A `>` read delivers each entry for the first time.
            span.setAttribute('tracebridge.messaging.attempt', 1);
          }
          const spanContext = trace.setSpan(parent, span);
          context.with(spanContext, handler, undefined, fields[1]!);
          const ack = context.with(spanContext, sendXack, undefined, consumer, stream, id);
          acks.push(ack.then(settleAtAnswer(span)));
        }
      }
      await Promise.all(acks);
    },
  };
}

/** The same loop through tracebridge's helpers; without `tracerProvider`, the global API's (no SDK). */
function tracebridgePipeline(
  lib: typeof tracebridgeRedis,
  producerConnection: Redis,
  consumerConnection: Redis,
  tracerProvider: TracerProvider | undefined,
): Pipeline {
  const producers = new Map<string, tracebridgeRedis.StreamProducer>();
  const withProvider = {
    ...TRACEBRIDGE_BENCH_OPTIONS,
    ...(tracerProvider === undefined ? {} : { tracerProvider }),
  };
  const consumer = lib.streamConsumer(consumerConnection, {
    group: GROUP,
    consumer: CONSUMER,
    ...withProvider,
  });
  return {
    add(stream, n) {
      let producer = producers.get(stream);
      if (producer === undefined) {
        producers.clear();
        producer = lib.streamProducer(producerConnection, { stream, ...withProvider });
        producers.set(stream, producer);
      }
      return producer.add(['n', n]);
    },
    processRead: (_stream, reply, handler) => consumer.processRead(reply, (job) => handler(job.fields[1]!)),
  };
}

/** Enqueues `jobs` and processes them concurrently; resolves with how many distinct jobs were processed. */
export async function runJobs(
  pipeline: Pipeline,
  consumer: Redis,
  stream: string,
  jobs: number,
): Promise<number> {
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

/** One PRODUCER root and one CONSUMER child of it per job. */
const jobTraces = (jobs: number): TraceGroup[] => [{ traces: jobs, spans: 2 }];

/** Three connections (producer, consumer, admin) to the local Redis. */
export async function openConnections(opened: Redis[]): Promise<[Redis, Redis, Redis]> {
  const open = async () => {
    const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    opened.push(client);
    await client.connect();
    return client;
  };
  return Promise.all([open(), open(), open()]);
}

/** A fresh stream with the consumer group, named with a random suffix. */
export async function freshStream(admin: Redis): Promise<string> {
  const stream = `redis-bench-${randomUUID().slice(0, 8)}`;
  await admin.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  return stream;
}

interface RedisVariant extends Variant {
  readonly cell: Cell;
  open(lib: typeof tracebridgeRedis, connections: Redis[]): Promise<void>;
  run(jobs: number): Promise<void>;
  exit(): Promise<void>;
}

function redisVariant(cell: Cell, sdk: BenchSdk): RedisVariant {
  const condition: Condition | undefined = cell.condition;
  const samplerSdk = condition === undefined ? undefined : sdk.of(condition);
  const scope = cell.family === 'floor' ? FLOOR_SCOPE : INSTRUMENTATION_NAME;
  // The globals (context manager, propagator) are registered whenever an SDK is: never with no SDK.
  const registers = samplerSdk !== undefined;
  let connections: { pipeline: Pipeline; consumer: Redis; admin: Redis } | undefined;
  let stream = '';
  let jobs = 0;
  let processed = 0;
  return {
    name: cell.name,
    cell,
    async open(lib, opened) {
      const [producer, consumer, admin] = await openConnections(opened);
      const pipeline =
        cell.family === 'baseline'
          ? plainPipeline(producer, consumer)
          : cell.family === 'floor'
            ? floorPipeline(producer, consumer, samplerSdk)
            : tracebridgePipeline(lib, producer, consumer, samplerSdk?.provider);
      connections = { pipeline, consumer, admin };
    },
    async enter() {
      stream = await freshStream(connections!.admin);
      sdk.reset();
      if (registers) sdk.register();
    },
    async run(n) {
      jobs = n;
      processed = await runJobs(connections!.pipeline, connections!.consumer, stream, n);
    },
    async exit() {
      if (registers) await sdk.unregister();
      const { admin } = connections!;
      const pending = Number((await admin.xpending(stream, GROUP))[0]);
      await admin.del(stream);
      if (processed !== jobs || pending !== 0)
        throw new Error(`${cell.name}: ${jobs} jobs: ${processed} processed, ${pending} pending`);
      checkCounts(cell.name, condition ?? 'no SDK', sdk, scope, jobTraces(jobs));
    },
  };
}

export function workload(options: BenchOptions): Workload {
  const jobs = options.quick ? 30_000 : 100_000;
  const sdk = createBenchSdk(2 * jobs + 1_000);
  const connections: Redis[] = [];
  const variants = buildVariants(cells(false), options.include, (cell) => redisVariant(cell, sdk));
  return {
    name: 'redis-streams',
    description: `stream jobs through Redis: XADD (${CHUNK} in flight) while a consumer group reads ${READ_COUNT} at a time and XACKs each`,
    unit: 'job',
    operations: jobs,
    rounds: options.quick ? 3 : 5,
    variants,
    blocks: conditionBlocks(variants),
    async setup() {
      const lib = loadBuilt<typeof tracebridgeRedis>('redis/index', (m) => m.streamProducer);
      for (const v of variants) await v.open(lib, connections);
      await checkEachVariant(sdk, variants, CHECK_JOBS, (v) => ({
        scope: v.cell.family === 'floor' ? FLOOR_SCOPE : INSTRUMENTATION_NAME,
        groups: jobTraces(CHECK_JOBS),
        checkTrace: rootWithChild(SpanKind.PRODUCER, SpanKind.CONSUMER),
      }));
    },
    async teardown() {
      await sdk.shutdown();
      for (const client of connections) client.disconnect();
    },
  };
}

export function summary(result: WorkloadResult): string {
  return targetsReport(result);
}
