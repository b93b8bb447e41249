/**
 * Kafka messages per second through the real broker (127.0.0.1:9092): each timed run produces
 * `operations` messages of 1 KiB (sends of {@link MESSAGES_PER_SEND} messages, {@link SENDS_IN_FLIGHT} in
 * flight) and ends when a running consumer (`eachMessage`) has processed all of them.
 *
 * - no tracing: plain kafkajs, nothing registered;
 * - floor: tracebridge's spans (their names and attributes too) with the bare API:
 *   per send, a PRODUCER `create {topic}` span per message
 *   (started and ended at once, its context injected into a plain headers object) and one PRODUCER
 *   `send {topic}` span linking those that record (as tracebridge does: a link to a span that is never
 *   exported leads nowhere), ended when the send resolves; per message consumed, the context
 *   extracted from its headers, a CONSUMER `process {topic}` span child of it, the handler run in its
 *   context, the span ended when the handler's promise settles; and tracebridge's own output (see
 *   floor-features.ts): the origin header on sampled messages, time in queue and end-to-end latency on
 *   the process span;
 * - tracebridge: `traceProducer` / `traceConsumer`;
 * - contrib: `@opentelemetry/instrumentation-kafkajs` (a PRODUCER span per message sent, a CONSUMER span
 *   per message processed);
 *
 * under no SDK (floor, tracebridge) and each sampler (see bench-sdk.ts, matrix.ts).
 *
 * Each variant has its own copy of kafkajs (the contrib instrumentation patches it at `require` time,
 * so only the copy loaded after it is enabled is patched), its own topic (3 partitions) and its own
 * consumer group, started once in setup and kept running, so a run measures the produce-consume pipeline
 * and not group joins. The contrib variants share one patched pipeline and switch the instrumentation's
 * tracer provider in `enter()`.
 *
 * Checks, so the comparison cannot silently compare nothing: at setup, {@link CHECK_MESSAGES} messages per
 * variant export what its condition allows, from its own scope only, and every trace has the variant's
 * shape (a CONSUMER span is the child of the PRODUCER span its message was made in: the context crossed
 * the broker). After every timed run the exported spans number what the condition allows and every
 * message was processed exactly once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { Context, Link, Span, TextMapGetter } from '@opentelemetry/api';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type * as kafkajs from 'kafkajs';
import type * as tracebridgeKafka from '../../src/kafka/index';
import { INSTRUMENTATION_NAME } from '../../src/version';
import { loadBuilt, TRACEBRIDGE_BENCH_OPTIONS } from '../built-package';
import {
  checkCounts,
  createBenchSdk,
  FLOOR_SCOPE,
  floorTracer,
  packageCopies,
  rootWithChild,
} from '../bench-sdk';
import type { BenchSdk, Condition, FloorOperation, SamplerSdk, TraceGroup } from '../bench-sdk';
import { carryFloorOrigin, FLOOR_ORIGIN_HEADER, recordFloorArrival } from '../floor-features';
import { buildVariants, cells, conditionBlocks, checkEachVariant, enterCell, targetsReport } from '../matrix';
import type { Cell, Family } from '../matrix';
import type { BenchOptions, Variant, Workload, WorkloadResult } from '../runner';

type KafkaJs = typeof kafkajs;

const BROKER = '127.0.0.1:9092';
const PARTITIONS = 3;
const MESSAGES_PER_SEND = 100;
const SENDS_IN_FLIGHT = 4;
const CHECK_MESSAGES = 200;
const VALUE = randomBytes(1024);
const CONTRIB_SCOPE = '@opentelemetry/instrumentation-kafkajs';
const SCOPES: Record<Family, string> = {
  baseline: INSTRUMENTATION_NAME,
  floor: FLOOR_SCOPE,
  tracebridge: INSTRUMENTATION_NAME,
  contrib: CONTRIB_SCOPE,
};

/** The traces `messages` messages make when all are recorded, per family. */
function tracesOf(family: Family, messages: number): TraceGroup[] {
  const perMessage = { traces: messages, spans: 2 };
  // tracebridge and the floor: a create span per message with its process child, and a send span per send.
  if (family === 'contrib') return [perMessage];
  return [perMessage, { traces: Math.ceil(messages / MESSAGES_PER_SEND), spans: 1 }];
}

/** A message's trace (PRODUCER root, CONSUMER child). */
const messageTrace = rootWithChild(SpanKind.PRODUCER, SpanKind.CONSUMER);

/**
 * A message's trace, or a send's: one PRODUCER root linking the `create` spans of its messages that were
 * recorded, all of them under AlwaysOn, some (each message's trace is sampled on its own) under a ratio.
 */
function sendOrMessageTrace(condition: Condition): (spans: readonly ReadableSpan[]) => string | undefined {
  return (spans) => {
    const [only] = spans;
    if (spans.length === 1 && only!.kind === SpanKind.PRODUCER && only!.parentSpanContext === undefined) {
      const links = only!.links.length;
      const expected = condition === 'AlwaysOn' ? links === MESSAGES_PER_SEND : links <= MESSAGES_PER_SEND;
      return expected ? undefined : `a send span with ${links} links under ${condition}`;
    }
    return messageTrace(spans);
  };
}

/** Header values arrive as Buffers (or arrays of them); the propagator reads strings. */
const bufferHeaderGetter: TextMapGetter<kafkajs.IHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const value = carrier[key];
    return value === undefined ? undefined : Array.isArray(value) ? value.map(String) : String(value);
  },
};

/**
 * The names and start attributes of tracebridge's spans (the floor's spans carry the same; see
 * `checkFloorParity` in matrix.ts), made once per operation and topic as any careful instrumentation would.
 */
function floorOperations(): (operation: 'create' | 'send' | 'process', topic: string) => FloorOperation {
  const made = new Map<string, Map<string, FloorOperation>>();
  return (operation, topic) => {
    let byTopic = made.get(operation);
    if (byTopic === undefined) made.set(operation, (byTopic = new Map<string, FloorOperation>()));
    let profile = byTopic.get(topic);
    if (profile === undefined) {
      profile = {
        name: `${operation} ${topic}`,
        attributes: Object.freeze({
          'messaging.system': 'kafka',
          'messaging.operation.name': operation,
          'messaging.operation.type': operation,
          'messaging.destination.name': topic,
        }),
      };
      byTopic.set(topic, profile);
    }
    return profile;
  };
}

/** The floor's producer and consumer: see the file's comment. */
function floorWrap(sdk: SamplerSdk | undefined): Wrap {
  const tracer = floorTracer(sdk);
  const operationOf = floorOperations();
  return {
    producer: (producer) => ({
      ...producer,
      send(record) {
        const active = context.active();
        const links: Link[] = [];
        const create = operationOf('create', record.topic);
        const messages = record.messages.map((message) => {
          const span = tracer.startSpan(
            create.name,
            { kind: SpanKind.PRODUCER, attributes: create.attributes },
            active,
          );
          if (span.isRecording()) links.push({ context: span.spanContext() });
          span.end();
          const headers: Record<string, string> = {};
          propagation.inject(trace.setSpan(active, span), headers);
          carryFloorOrigin(headers, span, Date.now());
          return { ...message, headers };
        });
        const operation = operationOf('send', record.topic);
        const send = tracer.startSpan(
          operation.name,
          { kind: SpanKind.PRODUCER, attributes: operation.attributes, links },
          active,
        );
        if (send.isRecording() && messages.length !== 1)
          send.setAttribute('messaging.batch.message_count', messages.length);
        return context
          .with(trace.setSpan(active, send), () => producer.send({ ...record, messages }))
          .finally(() => send.end());
      },
    }),
    consumer: (consumer, groupId) => ({
      ...consumer,
      run: (config) => {
        const eachMessage = config!.eachMessage!;
        return consumer.run({
          ...config,
          eachMessage: (payload) => {
            const { message } = payload;
            const parent: Context = propagation.extract(
              context.active(),
              message.headers ?? {},
              bufferHeaderGetter,
            );
            const operation = operationOf('process', payload.topic);
            const span = tracer.startSpan(
              operation.name,
              { kind: SpanKind.CONSUMER, attributes: operation.attributes },
              parent,
            );
            if (span.isRecording()) {
              span.setAttribute('messaging.destination.partition.id', String(payload.partition));
              span.setAttribute('messaging.consumer.group.name', groupId);
              span.setAttribute('messaging.kafka.offset', Number(message.offset));
              if (message.value !== null)
                span.setAttribute('messaging.message.body.size', message.value.length);
              recordArrival(span, message);
            }
            return context
              .with(trace.setSpan(parent, span), eachMessage, undefined, payload)
              .finally(() => span.end());
          },
        });
      },
    }),
  };
}

/** tracebridge's own attributes of a process span: time in queue, and the origin's latency and hop. */
function recordArrival(span: Span, message: kafkajs.KafkaMessage): void {
  const nowMs = Date.now();
  span.setAttribute('tracebridge.messaging.time_in_queue_ms', Math.max(0, nowMs - Number(message.timestamp)));
  recordFloorArrival(span, message.headers?.[FLOOR_ORIGIN_HEADER], nowMs, 'messaging');
}

interface Wrap {
  producer(p: kafkajs.Producer): kafkajs.Producer;
  /** `groupId`: the group the consumer was created with. */
  consumer(c: kafkajs.Consumer, groupId: string): kafkajs.Consumer;
}
const UNWRAPPED: Wrap = { producer: (p) => p, consumer: (c) => c };

/** One variant's clients: a producer, and a running consumer counting what it processes. */
interface Pipeline {
  readonly topic: string;
  readonly producer: kafkajs.Producer;
  readonly consumer: kafkajs.Consumer;
  /** Resolves when `count` more messages have been processed since the call. */
  processed(count: number): Promise<void>;
  /**
   * Stops and restarts the consumer's fetching between runs. A running consumer with nothing to read
   * still asks the broker every `maxWaitTimeInMs` (50 ms), and with a process per variant (`--isolate`)
   * that load fell on whichever variant was being timed: twelve idle consumers took 8.8 % of a core in
   * their process and 7.0 % in the broker; paused, 6.2 % and 1.4 % (kafkajs still wakes every 50 ms to
   * find nothing to fetch, but asks the broker nothing).
   */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

async function startPipeline(
  kafka: KafkaJs,
  admin: kafkajs.Admin,
  name: string,
  wrap: Wrap,
): Promise<Pipeline> {
  const client = new kafka.Kafka({
    clientId: `bench-${name.replace(/[^a-z0-9]+/gi, '-')}`,
    brokers: [BROKER],
    logLevel: kafka.logLevel.NOTHING,
  });
  const topic = `bench-kafka-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
  const producer = wrap.producer(client.producer());
  await producer.connect();
  const groupId = `${topic}-group`;
  const consumer = wrap.consumer(client.consumer({ groupId, maxWaitTimeInMs: 50 }), groupId);
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });

  let count = 0;
  let waiter: { target: number; resolve: () => void } | undefined;
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachMessage: async () => {
      count++;
      // Resolved on the next macrotask, after the handler's own promise (and the span around it) settles.
      if (waiter !== undefined && count >= waiter.target) setImmediate(waiter.resolve);
    },
  });
  return {
    topic,
    producer,
    consumer,
    processed(n) {
      const target = count + n;
      return new Promise<void>((resolve) => {
        waiter = { target, resolve };
      }).then(() => {
        waiter = undefined;
        if (count !== target)
          throw new Error(`${name}: processed ${count - target + n} messages, expected ${n}`);
      });
    },
    pause: () => consumer.pause([{ topic }]),
    resume: () => consumer.resume([{ topic }]),
    async close() {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    },
  };
}

/** Produces `operations` messages, {@link SENDS_IN_FLIGHT} sends at a time. */
async function produce(pipeline: Pipeline, operations: number): Promise<void> {
  let sent = 0;
  const next = async (): Promise<void> => {
    while (sent < operations) {
      const n = Math.min(MESSAGES_PER_SEND, operations - sent);
      sent += n;
      await pipeline.producer.send({
        topic: pipeline.topic,
        messages: Array.from({ length: n }, () => ({ value: VALUE })),
      });
    }
  };
  await Promise.all(Array.from({ length: SENDS_IN_FLIGHT }, next));
}

interface KafkaVariant extends Variant {
  readonly cell: Cell;
  run(messages: number): Promise<void>;
}

export function workload(options: BenchOptions): Workload {
  const sdk: BenchSdk = createBenchSdk();
  const copies = packageCopies('kafkajs');
  const pipelines = new Map<string, Pipeline>();
  let instrumentation: KafkaJsInstrumentation | undefined;
  let admin: kafkajs.Admin | undefined;

  const variants = buildVariants(cells(true), options.include, (cell): KafkaVariant => {
    const samplerSdk = cell.condition === undefined ? undefined : sdk.of(cell.condition);
    let operations = 0;
    return {
      name: cell.name,
      cell,
      enter: () => {
        pipelines.get(cell.name)!.resume();
        return enterCell(sdk, cell, samplerSdk, instrumentation);
      },
      async run(n) {
        operations = n;
        const pipeline = pipelines.get(cell.name)!;
        const done = pipeline.processed(n);
        await produce(pipeline, n);
        await done;
      },
      async exit() {
        pipelines.get(cell.name)!.pause();
        if (samplerSdk !== undefined) await sdk.unregister();
        checkCounts(
          cell.name,
          cell.condition ?? 'no SDK',
          sdk,
          SCOPES[cell.family],
          tracesOf(cell.family, operations),
        );
      },
    };
  });

  return {
    name: 'kafka',
    description: `produce and consume 1 KiB messages through the real broker (${PARTITIONS} partitions, sends of ${MESSAGES_PER_SEND}, eachMessage)`,
    unit: 'message',
    operations: options.quick ? 20_000 : 60_000,
    rounds: options.quick ? 3 : 5,
    variants,
    blocks: conditionBlocks(variants),
    async setup() {
      const plain = copies.fresh<KafkaJs>();
      admin = new plain.Kafka({
        clientId: 'bench-admin',
        brokers: [BROKER],
        logLevel: plain.logLevel.NOTHING,
      }).admin();
      await admin.connect();
      const { traceProducer, traceConsumer } = loadBuilt<typeof tracebridgeKafka>(
        'kafka/index',
        (m) => m.traceProducer,
      );
      // Uninstrumented copies first, before the instrumentation hooks `require`.
      for (const v of variants) {
        const { family, condition } = v.cell;
        if (family === 'contrib') continue;
        const samplerSdk = condition === undefined ? undefined : sdk.of(condition);
        const withProvider = {
          ...TRACEBRIDGE_BENCH_OPTIONS,
          ...(samplerSdk === undefined ? {} : { tracerProvider: samplerSdk.provider }),
        };
        const wrap: Wrap =
          family === 'baseline'
            ? UNWRAPPED
            : family === 'floor'
              ? floorWrap(samplerSdk)
              : {
                  producer: (p) => traceProducer(p, withProvider),
                  consumer: (c) => traceConsumer(c, withProvider),
                };
        pipelines.set(v.name, await startPipeline(copies.fresh<KafkaJs>(), admin, v.name, wrap));
      }
      const contribs = variants.filter((v) => v.cell.family === 'contrib');
      if (contribs.length > 0) {
        instrumentation = new KafkaJsInstrumentation();
        const patched = await startPipeline(copies.fresh<KafkaJs>(), admin, 'contrib', UNWRAPPED);
        for (const v of contribs) pipelines.set(v.name, patched);
      }

      await checkEachVariant(sdk, variants, CHECK_MESSAGES, ({ cell: { family, condition } }) => ({
        scope: SCOPES[family],
        groups: tracesOf(family, CHECK_MESSAGES),
        checkTrace: family === 'contrib' ? messageTrace : sendOrMessageTrace(condition ?? 'no SDK'),
      }));
      // Idle until a variant's run (see `Pipeline.pause`).
      for (const pipeline of new Set(pipelines.values())) pipeline.pause();
    },
    async teardown() {
      for (const pipeline of new Set(pipelines.values())) await pipeline.close();
      await admin?.disconnect();
      instrumentation?.disable();
      await sdk.shutdown();
      copies.restore();
    },
  };
}

export function summary(result: WorkloadResult): string {
  return targetsReport(result, 'instrumentation-kafkajs');
}
