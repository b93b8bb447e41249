/**
 * RabbitMQ messages per second through the real broker (127.0.0.1:5672) with amqplib 0.10: each timed run
 * publishes `operations` messages of 1 KiB on one channel (honouring `publish`'s backpressure: it waits for
 * `'drain'` when amqplib asks) and ends when a running consumer on another channel (prefetch
 * {@link PREFETCH}) has received and acknowledged every one of them, one `ack` per message.
 *
 * - no tracing: plain amqplib, nothing registered;
 * - floor: tracebridge's spans (their names and attributes too) with the bare API: a
 *   PRODUCER `publish {queue}` span per publish (ended once
 *   `sendToQueue` returns, as tracebridge does on a plain channel), its context injected into a plain
 *   headers object; per delivery, the context extracted from the delivery's headers, a CONSUMER
 *   `process {queue}` span child of it, the callback run in its context, the span ended at `ack` (kept on
 *   the message under a symbol, as the least bookkeeping that can end it there). It also makes tracebridge's
 *   own output (see floor-features.ts): under an SDK the AMQP `timestamp` on every publish and the origin
 *   header on sampled ones; on a recording delivery time in queue, end-to-end latency and hops, and the
 *   settle outcome at `ack`;
 * - tracebridge: `traceChannel` on both channels;
 * - contrib: `@opentelemetry/instrumentation-amqplib`;
 *
 * under no SDK (floor, tracebridge) and each sampler (see bench-sdk.ts, matrix.ts).
 *
 * Each variant has its own copy of amqplib (the contrib instrumentation patches it at `require` time, so
 * only the copy loaded after it is enabled is patched), its own connection, channels and queue, and its
 * consumer is started once in setup and kept running, so a run measures the publish-consume pipeline.
 * The contrib variants of the three samplers share one patched copy and switch the instrumentation's
 * tracer provider in `enter()`.
 *
 * Checks, so the comparison cannot silently compare nothing: at setup, {@link CHECK_MESSAGES} messages per
 * variant export what its condition allows, from its own scope only, every trace a PRODUCER root and a
 * CONSUMER child of it (the context crossed the broker). After every timed run the exported spans number
 * what the condition allows, all from the variant's own scope, and every message was acknowledged.
 */
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import type * as amqplib from 'amqplib';
import type * as tracebridgeAmqp from '../../src/amqp/index';
import { INSTRUMENTATION_NAME } from '../../src/version';
import { loadBuilt, TRACEBRIDGE_BENCH_OPTIONS } from '../built-package';
import {
  checkCounts,
  createBenchSdk,
  FLOOR_SCOPE,
  floorTracer,
  isWrapped,
  packageCopies,
  rootWithChild,
  lastFloorOperation,
} from '../bench-sdk';
import type { BenchSdk, FloorOperation, SamplerSdk, TraceGroup } from '../bench-sdk';
import { carryFloorOrigin, FLOOR_ORIGIN_HEADER, recordFloorArrival } from '../floor-features';
import { buildVariants, cells, conditionBlocks, checkEachVariant, enterCell, targetsReport } from '../matrix';
import type { Cell } from '../matrix';
import type { BenchOptions, Variant, Workload, WorkloadResult } from '../runner';

type Amqplib = typeof amqplib;

const URL = 'amqp://guest:guest@127.0.0.1:5672';
/** Unacknowledged deliveries the broker may have in flight to the consumer. */
const PREFETCH = 200;
/** Messages per variant in the setup check: enough for the ratio sampler to record some traces. */
const CHECK_MESSAGES = 200;
const BODY = randomBytes(1024);
const CONTRIB_SCOPE = '@opentelemetry/instrumentation-amqplib';

/** How a variant publishes, consumes and acks; the plain loop does each directly. */
interface ChannelTracing {
  wrap(channel: amqplib.Channel): amqplib.Channel;
  sendToQueue(channel: amqplib.Channel, queue: string, body: Buffer): boolean;
  onMessage(
    queue: string,
    handler: (message: amqplib.ConsumeMessage) => void,
  ): (m: amqplib.ConsumeMessage) => void;
  ack(channel: amqplib.Channel, message: amqplib.ConsumeMessage): void;
}

const PLAIN: ChannelTracing = {
  wrap: (channel) => channel,
  sendToQueue: (channel, queue, body) => channel.sendToQueue(queue, body),
  onMessage: (_queue, handler) => handler,
  ack: (channel, message) => channel.ack(message),
};

/** Where the floor keeps a delivery's span until its ack. */
const SPAN = Symbol('bench-floor-span');
type Delivery = amqplib.ConsumeMessage & { [SPAN]?: Span };

/** The names and start attributes of tracebridge's spans of `operation` on a queue, made once per queue. */
function floorOperations(operation: 'publish' | 'process'): (queue: string) => FloorOperation {
  return lastFloorOperation((queue) => floorOperation(operation, queue));
}

function floorOperation(operation: 'publish' | 'process', queue: string): FloorOperation {
  return {
    name: `${operation} ${queue}`,
    attributes: Object.freeze({
      'messaging.system': 'rabbitmq',
      'messaging.operation.name': operation,
      'messaging.operation.type': operation === 'publish' ? 'send' : 'process',
      'messaging.destination.name': queue,
      // Published to the default exchange, so the routing key is the queue's name.
      'messaging.rabbitmq.destination.routing_key': queue,
    }),
  };
}

/** The floor: see the file's comment. */
function floorTracing(sdk: SamplerSdk | undefined): ChannelTracing {
  const tracer = floorTracer(sdk);
  const publishTo = floorOperations('publish');
  const processFrom = floorOperations('process');
  // tracebridge stamps every publish whenever it is not dormant, i.e. under any SDK, sampled or not.
  const stamps = sdk !== undefined;
  return {
    wrap: (channel) => channel,
    sendToQueue(channel, queue, body) {
      const publish = publishTo(queue);
      const active = context.active();
      const span = tracer.startSpan(
        publish.name,
        { kind: SpanKind.PRODUCER, attributes: publish.attributes },
        active,
      );
      const headers: Record<string, string> = {};
      propagation.inject(trace.setSpan(active, span), headers);
      try {
        if (!stamps) return channel.sendToQueue(queue, body, { headers });
        const nowMs = Date.now();
        carryFloorOrigin(headers, span, nowMs);
        // Whole seconds, as tracebridge writes the AMQP timestamp (its time in queue's enqueue time).
        return channel.sendToQueue(queue, body, { headers, timestamp: Math.floor(nowMs / 1000) });
      } finally {
        span.end();
      }
    },
    onMessage: (queue, handler) => {
      const operation = processFrom(queue);
      return (message: Delivery) => {
        const headers = message.properties.headers ?? {};
        const parent = propagation.extract(context.active(), headers);
        const span = tracer.startSpan(
          operation.name,
          { kind: SpanKind.CONSUMER, attributes: operation.attributes },
          parent,
        );
        if (span.isRecording()) describeFloorDelivery(span, message, headers);
        message[SPAN] = span;
        context.with(trace.setSpan(parent, span), handler, undefined, message);
      };
    },
    ack(channel, message: Delivery) {
      channel.ack(message);
      const span = message[SPAN];
      if (span === undefined) return;
      if (span.isRecording()) span.setAttribute('tracebridge.messaging.settle.outcome', 'ack');
      span.end();
    },
  };
}

/**
 * A recording delivery's attributes beyond its start attributes, as tracebridge's: the delivery tag, time
 * in queue from the AMQP timestamp, end-to-end latency and hops
 * from the origin header, and the check that this is a first attempt.
 */
function describeFloorDelivery(span: Span, message: Delivery, headers: Record<string, unknown>): void {
  const { fields, properties } = message;
  span.setAttribute('messaging.rabbitmq.message.delivery_tag', fields.deliveryTag);
  const nowMs = Date.now();
  // The floor's own stamp, in whole seconds: read as the last millisecond of its second, as tracebridge
  // reads a whole-second timestamp.
  const timestamp: unknown = properties.timestamp;
  if (typeof timestamp === 'number')
    span.setAttribute(
      'tracebridge.messaging.time_in_queue_ms',
      Math.max(0, nowMs - (timestamp * 1000 + 999)),
    );
  recordFloorArrival(span, headers[FLOOR_ORIGIN_HEADER], nowMs, 'messaging');
  // The attempt: tracebridge reads the `redelivered` flag, `x-death` and `x-delivery-count` of every
  // delivery and records nothing more for a first attempt, which every delivery of this workload is (one
  // ack each, nothing requeued or dead-lettered). A redelivery would make attributes this floor does not.
  if (
    fields.redelivered === true ||
    headers['x-death'] !== undefined ||
    headers['x-delivery-count'] !== undefined
  )
    throw new Error(
      `the amqp workload redelivered message ${fields.deliveryTag}: the floor has no attempt for it`,
    );
}

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

async function startPipeline(copy: Amqplib, tracing: ChannelTracing): Promise<Pipeline> {
  const connection = await copy.connect(URL);
  const queue = `amqp-bench-${randomUUID().slice(0, 8)}`;
  const publisher = tracing.wrap(await connection.createChannel());
  const consumer = tracing.wrap(await connection.createChannel());
  await consumer.assertQueue(queue, { durable: false, exclusive: true });
  await consumer.prefetch(PREFETCH);
  let acked = 0;
  let waiter: { target: number; resolve: () => void } | undefined;
  const handler = tracing.onMessage(queue, (message) => {
    tracing.ack(consumer, message);
    acked++;
    if (waiter !== undefined && acked >= waiter.target) {
      const { resolve } = waiter;
      waiter = undefined;
      resolve();
    }
  });
  await consumer.consume(queue, (message) => {
    if (message !== null) handler(message);
  });
  return {
    amqplib: copy,
    publisher,
    async publish(count) {
      for (let i = 0; i < count; i++) {
        if (!tracing.sendToQueue(publisher, queue, BODY)) await once(publisher, 'drain');
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

/** One PRODUCER root and one CONSUMER child of it per message. */
const messageTraces = (messages: number): TraceGroup[] => [{ traces: messages, spans: 2 }];

const SCOPES = {
  baseline: INSTRUMENTATION_NAME,
  floor: FLOOR_SCOPE,
  tracebridge: INSTRUMENTATION_NAME,
  contrib: CONTRIB_SCOPE,
};

interface AmqpVariant extends Variant {
  readonly cell: Cell;
  run(messages: number): Promise<void>;
}

export function workload(options: BenchOptions): Workload {
  const sdk: BenchSdk = createBenchSdk();
  const copies = packageCopies('amqplib');
  const pipelines = new Map<string, Pipeline>();
  let instrumentation: AmqplibInstrumentation | undefined;
  let lastMessages = 0;

  const variants = buildVariants(cells(true), options.include, (cell): AmqpVariant => {
    const samplerSdk = cell.condition === undefined ? undefined : sdk.of(cell.condition);
    return {
      name: cell.name,
      cell,
      enter: () => enterCell(sdk, cell, samplerSdk, instrumentation),
      async run(messages) {
        lastMessages = messages;
        const pipeline = pipelines.get(cell.name)!;
        const done = pipeline.acknowledged(messages);
        await pipeline.publish(messages);
        await done;
      },
      async exit() {
        if (samplerSdk !== undefined) await sdk.unregister();
        checkCounts(
          cell.name,
          cell.condition ?? 'no SDK',
          sdk,
          SCOPES[cell.family],
          messageTraces(lastMessages),
        );
      },
    };
  });

  return {
    name: 'amqp',
    description: `1 KiB messages published on one channel and consumed (prefetch ${PREFETCH}, one ack each) on another`,
    unit: 'message',
    operations: options.quick ? 8_000 : 20_000,
    rounds: options.quick ? 3 : 7,
    variants,
    blocks: conditionBlocks(variants),
    async setup() {
      // Uninstrumented copies first, before the instrumentation hooks `require`.
      const { traceChannel } = loadBuilt<typeof tracebridgeAmqp>('amqp/index', (m) => m.traceChannel);
      for (const v of variants) {
        const { family, condition } = v.cell;
        if (family === 'contrib') continue;
        const provider = condition === undefined ? undefined : sdk.of(condition)?.provider;
        const tracing =
          family === 'baseline'
            ? PLAIN
            : family === 'floor'
              ? floorTracing(condition === undefined ? undefined : sdk.of(condition))
              : {
                  ...PLAIN,
                  wrap: (c: amqplib.Channel) =>
                    traceChannel(c, {
                      ...TRACEBRIDGE_BENCH_OPTIONS,
                      ...(provider === undefined ? {} : { tracerProvider: provider }),
                    }),
                };
        pipelines.set(v.name, await startPipeline(copies.fresh<Amqplib>(), tracing));
      }
      const contribs = variants.filter((v) => v.cell.family === 'contrib');
      if (contribs.length > 0) {
        instrumentation = new AmqplibInstrumentation();
        const patched = await startPipeline(copies.fresh<Amqplib>(), PLAIN);
        for (const v of contribs) pipelines.set(v.name, patched);
      }

      // Only the contrib copy is patched; every other variant has its own copy.
      for (const v of variants) {
        const pipeline = pipelines.get(v.name)!;
        const patched = isWrapped(Object.getPrototypeOf(pipeline.publisher) as object, 'publish');
        if (patched !== (v.cell.family === 'contrib'))
          throw new Error(`${v.name}: amqplib patched=${patched}, expected ${v.cell.family === 'contrib'}`);
      }
      if (new Set([...pipelines.values()].map((p) => p.amqplib)).size !== new Set(pipelines.values()).size)
        throw new Error('the variants share a copy of amqplib');

      await checkEachVariant(sdk, variants, CHECK_MESSAGES, (v) => ({
        scope: SCOPES[v.cell.family],
        groups: messageTraces(CHECK_MESSAGES),
        checkTrace: rootWithChild(SpanKind.PRODUCER, SpanKind.CONSUMER),
      }));
    },
    async teardown() {
      for (const pipeline of new Set(pipelines.values())) await pipeline.close();
      instrumentation?.disable();
      await sdk.shutdown();
      copies.restore();
    },
  };
}

export function summary(result: WorkloadResult): string {
  return targetsReport(result, 'instrumentation-amqplib');
}
