/**
 * BullMQ on the real Redis (127.0.0.1:6379) for the BullMQ adapter's tests. Redis is shared with other
 * engineers' tests: every queue name is unique to its test, and only those queues are obliterated
 * afterwards. A Redis that cannot be reached fails the test; nothing skips.
 */
import { randomUUID } from 'node:crypto';
import { FlowProducer, Queue, Worker } from 'bullmq';
import type { Processor, QueueBaseOptions, QueueOptions, WorkerOptions } from 'bullmq';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { REDIS_HOST, REDIS_PORT } from './redis-clients';

export const BULLMQ_CONNECTION = { host: REDIS_HOST, port: REDIS_PORT, maxRetriesPerRequest: null };

/** A queue name no other test uses: `bullmq-test-<what>-<time>-<random>`. */
export function uniqueQueueName(what: string): string {
  return `bullmq-test-${what}-${Date.now()}-${randomUUID().slice(0, 8)}`;
}

/** The BullMQ objects one test made; `close()` closes them all and obliterates its queues. */
export class BullmqObjects {
  readonly #queues: Queue[] = [];
  readonly #workers: Worker[] = [];
  readonly #flows: FlowProducer[] = [];

  queue(name: string, options: Omit<QueueOptions, 'connection'> = {}): Queue {
    const queue = new Queue(name, { ...options, connection: BULLMQ_CONNECTION });
    this.#queues.push(queue);
    return queue;
  }

  worker(name: string, processor: Processor, options: Omit<WorkerOptions, 'connection'> = {}): Worker {
    const worker = new Worker(name, processor, { ...options, connection: BULLMQ_CONNECTION });
    // An unhandled 'error' event would crash the test process; errors surface through the spans.
    worker.on('error', () => undefined);
    this.#workers.push(worker);
    return worker;
  }

  flowProducer(options: Omit<QueueBaseOptions, 'connection'> = {}): FlowProducer {
    const flow = new FlowProducer({ ...options, connection: BULLMQ_CONNECTION });
    this.#flows.push(flow);
    return flow;
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.splice(0).map((w) => w.close(true)));
    await Promise.all(this.#flows.splice(0).map((f) => f.close()));
    const queues = this.#queues.splice(0);
    await Promise.all(queues.map((q) => q.obliterate({ force: true })));
    await Promise.all(queues.map((q) => q.close()));
  }
}

/** A finished span as a worker in another process reports it over IPC. */
export interface SpanRecord {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly attributes: Record<string, unknown>;
  readonly links: { traceId: string; spanId: string }[];
  readonly statusCode: number;
}

export function spanRecord(span: ReadableSpan): SpanRecord {
  return {
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
    statusCode: span.status.code,
  };
}
