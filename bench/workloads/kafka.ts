/**
 * Kafka messages per second through the real broker (127.0.0.1:9092): each timed run produces
 * `operations` messages of 1 KiB (sends of {@link MESSAGES_PER_SEND} messages, {@link SENDS_IN_FLIGHT} in
 * flight) and ends when a running consumer (`eachMessage`) has processed all of them. Three variants,
 * interleaved: no tracing at all; tracebridge's `traceProducer` / `traceConsumer`; and
 * `@opentelemetry/instrumentation-kafkajs`. Both traced variants use the same SDK (see bench-sdk.ts).
 *
 * Each variant has its own copy of kafkajs (the contrib instrumentation patches it at `require` time,
 * so only the copy loaded after it is enabled is patched), its own topic (3 partitions) and its own
 * consumer group, started once in setup and kept running, so a run measures the produce-consume pipeline
 * and not group joins.
 *
 * Checks, so the comparison cannot silently compare nothing: at setup, 200 messages per variant must give
 * no spans (baseline), or spans from the variant's own instrumentation only in which every CONSUMER span
 * is the child of a PRODUCER span of the same run (the context crossed the broker). After every timed run
 * the exported spans must number exactly what the variant produces per message, and every message must
 * have been processed exactly once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import type * as kafkajs from 'kafkajs';
import type * as tracebridgeKafka from '../../src/kafka/index';
import { INSTRUMENTATION_NAME } from '../../src/version';
import { loadBuilt } from '../built-package';
import { createBenchSdk, packageCopies } from '../bench-sdk';
import type { BenchSdk } from '../bench-sdk';
import type { Variant, Workload, WorkloadResult } from '../runner';

type KafkaJs = typeof kafkajs;

const BROKER = '127.0.0.1:9092';
const PARTITIONS = 3;
const MESSAGES_PER_SEND = 100;
const SENDS_IN_FLIGHT = 4;
const CHECK_MESSAGES = 200;
const VALUE = randomBytes(1024);
const CONTRIB_SCOPE = '@opentelemetry/instrumentation-kafkajs';
const NAMES = {
  baseline: 'no tracing',
  tracebridge: 'tracebridge traceProducer/traceConsumer',
  contrib: '@opentelemetry/instrumentation-kafkajs',
} as const;

/** Spans a variant exports for `messages` messages: none, or its instrumentation's spans per message. */
type SpanCount = (messages: number) => number;

/** tracebridge: a send span per send, a create span per message of a multi-message send, a process span. */
const tracebridgeSpans: SpanCount = (n) => Math.ceil(n / MESSAGES_PER_SEND) + 2 * n;
/** instrumentation-kafkajs: a PRODUCER span per message sent and a CONSUMER span per message processed. */
const contribSpans: SpanCount = (n) => 2 * n;

/** One variant's clients: a producer, and a running consumer counting what it processes. */
interface Pipeline {
  readonly topic: string;
  readonly producer: kafkajs.Producer;
  readonly consumer: kafkajs.Consumer;
  /** Resolves when `count` more messages have been processed since the call. */
  processed(count: number): Promise<void>;
  close(): Promise<void>;
}

async function startPipeline(
  kafka: KafkaJs,
  admin: kafkajs.Admin,
  name: string,
  wrap: { producer(p: kafkajs.Producer): kafkajs.Producer; consumer(c: kafkajs.Consumer): kafkajs.Consumer },
): Promise<Pipeline> {
  const client = new kafka.Kafka({
    clientId: `bench-${name}`,
    brokers: [BROKER],
    logLevel: kafka.logLevel.NOTHING,
  });
  const topic = `bench-kafka-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
  const producer = wrap.producer(client.producer());
  await producer.connect();
  const consumer = wrap.consumer(client.consumer({ groupId: `${topic}-group`, maxWaitTimeInMs: 50 }));
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

export function workload(): Workload {
  const sdk: BenchSdk = createBenchSdk();
  const copies = packageCopies('kafkajs');
  const pipelines = new Map<string, Pipeline>();
  let instrumentation: KafkaJsInstrumentation | undefined;
  let admin: kafkajs.Admin | undefined;

  const variant = (name: string, spans: SpanCount | undefined, scope?: string): Variant => {
    let operations = 0;
    return {
      name,
      enter() {
        sdk.exporter.reset();
        if (spans !== undefined) sdk.register();
      },
      async run(n) {
        operations = n;
        const pipeline = pipelines.get(name)!;
        const done = pipeline.processed(n);
        await produce(pipeline, n);
        await done;
      },
      async exit() {
        if (spans !== undefined) await sdk.unregister();
        const want = spans?.(operations) ?? 0;
        const own = scope === undefined ? 0 : sdk.exporter.from(scope);
        if (sdk.exporter.total !== want || own !== want) {
          throw new Error(
            `${name}: ${operations} messages exported ${sdk.exporter.total} spans ` +
              `${JSON.stringify(Object.fromEntries(sdk.exporter.byScope))}, expected ${want}`,
          );
        }
      },
    };
  };
  const variants = [
    variant(NAMES.baseline, undefined),
    variant(NAMES.tracebridge, tracebridgeSpans, INSTRUMENTATION_NAME),
    variant(NAMES.contrib, contribSpans, CONTRIB_SCOPE),
  ];

  return {
    name: 'kafka',
    description: `produce and consume 1 KiB messages through the real broker (${PARTITIONS} partitions, sends of ${MESSAGES_PER_SEND}, eachMessage), same SDK`,
    unit: 'message',
    operations: Number(process.env['BENCH_KAFKA_MESSAGES'] ?? 100_000),
    rounds: Number(process.env['BENCH_ROUNDS'] ?? 5),
    variants,
    async setup() {
      const plain = copies.fresh<KafkaJs>();
      admin = new plain.Kafka({
        clientId: 'bench-admin',
        brokers: [BROKER],
        logLevel: plain.logLevel.NOTHING,
      }).admin();
      await admin.connect();
      const same = { producer: (p: kafkajs.Producer) => p, consumer: (c: kafkajs.Consumer) => c };
      pipelines.set(NAMES.baseline, await startPipeline(plain, admin, 'baseline', same));
      const { traceProducer, traceConsumer } = loadBuilt<typeof tracebridgeKafka>(
        'kafka/index',
        (m) => m.traceProducer,
      );
      pipelines.set(
        NAMES.tracebridge,
        await startPipeline(copies.fresh<KafkaJs>(), admin, 'tracebridge', {
          producer: (p) => traceProducer(p, { tracerProvider: sdk.provider }),
          consumer: (c) => traceConsumer(c, { tracerProvider: sdk.provider }),
        }),
      );
      instrumentation = new KafkaJsInstrumentation();
      instrumentation.setTracerProvider(sdk.provider);
      const patched = copies.fresh<KafkaJs>();
      pipelines.set(NAMES.contrib, await startPipeline(patched, admin, 'contrib', same));

      for (const v of variants) {
        sdk.exporter.kept = [];
        await v.enter?.();
        try {
          await v.run(CHECK_MESSAGES);
        } finally {
          await v.exit?.();
        }
        if (v.name !== NAMES.baseline) checkShape(v.name, sdk.exporter.kept);
        sdk.exporter.kept = undefined;
      }
    },
    async teardown() {
      for (const pipeline of pipelines.values()) await pipeline.close();
      await admin?.disconnect();
      instrumentation?.disable();
      await sdk.provider.shutdown();
      copies.restore();
    },
  };
}

/** Every CONSUMER span is the child of a PRODUCER span exported in the same run. */
function checkShape(
  variant: string,
  spans: readonly {
    kind: SpanKind;
    parentSpanContext?: { spanId: string };
    spanContext(): { spanId: string };
  }[],
): void {
  const producers = new Set(
    spans.filter((s) => s.kind === SpanKind.PRODUCER).map((s) => s.spanContext().spanId),
  );
  const consumers = spans.filter((s) => s.kind === SpanKind.CONSUMER);
  if (consumers.length !== CHECK_MESSAGES)
    throw new Error(`${variant}: ${consumers.length} CONSUMER spans for ${CHECK_MESSAGES} messages`);
  const orphans = consumers.filter((s) => !producers.has(s.parentSpanContext?.spanId ?? ''));
  if (orphans.length > 0)
    throw new Error(`${variant}: ${orphans.length} CONSUMER spans are not children of a PRODUCER span`);
}

/** The line printed under the table: the ratios the targets are stated in. */
export function summary({ results }: WorkloadResult): string {
  const ratio = (name: string) => results.find((r) => r.name === name)?.throughputRatio ?? NaN;
  const tracebridge = ratio(NAMES.tracebridge);
  const contrib = ratio(NAMES.contrib);
  return [
    `tracebridge vs no tracing: ${tracebridge.toFixed(2)}x (target >= 0.90x)`,
    `instrumentation-kafkajs vs no tracing: ${contrib.toFixed(2)}x`,
    `tracebridge vs instrumentation-kafkajs: ${(tracebridge / contrib).toFixed(2)}x (target > 1.00x)`,
  ].join('; ');
}
