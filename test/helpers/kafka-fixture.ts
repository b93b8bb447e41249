/**
 * A real Kafka broker for integration tests (127.0.0.1:9092, started by `node scripts/brokers.mjs start`):
 * fresh topics per test, kafkajs clients with short timeouts, and waiting for consumers to catch up.
 * The broker has topic auto-creation off, so every test creates what it uses.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';

export const KAFKA_BROKER = '127.0.0.1:9092';

export interface KafkaFixture {
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** Creates fresh topics (unique names starting with each prefix) and returns their names. */
  createTopics(prefixes: readonly string[], partitions?: number): Promise<string[]>;
  /** A connected producer; disconnected by `close`. */
  producer(config?: Parameters<Kafka['producer']>[0]): Promise<Producer>;
  /** A consumer in `groupId` (unique by default) subscribed from the beginning; disconnected by `close`. */
  consumer(topics: readonly string[], config?: Partial<Parameters<Kafka['consumer']>[0]>): Promise<Consumer>;
  /** Disconnects every client and deletes the topics created. */
  close(): Promise<void>;
}

export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function startKafkaFixture(clientId: string): Promise<KafkaFixture> {
  const kafka = new Kafka({
    clientId,
    brokers: [KAFKA_BROKER],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 8, initialRetryTime: 100 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    assert.fail(
      `Kafka is not reachable on ${KAFKA_BROKER} (${String(error)}); start it with \`node scripts/brokers.mjs start\``,
    );
  }
  const clients: { disconnect(): Promise<void> }[] = [];
  const topics: string[] = [];
  return {
    kafka,
    admin,
    async createTopics(prefixes, partitions = 1) {
      const names = prefixes.map(unique);
      await admin.createTopics({
        waitForLeaders: true,
        topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
      topics.push(...names);
      return names;
    },
    async producer(config) {
      const producer = kafka.producer(config);
      clients.push(producer);
      await producer.connect();
      return producer;
    },
    async consumer(subscribed, config) {
      const consumer = kafka.consumer({
        groupId: unique('tracebridge-group'),
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
        maxWaitTimeInMs: 100,
        retry: { retries: 8, initialRetryTime: 100 },
        ...config,
      });
      clients.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topics: [...subscribed], fromBeginning: true });
      return consumer;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.disconnect()));
      if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** Polls `condition` until it holds, failing after `ms` with `what` and the last observed state. */
export async function waitUntil(
  what: string,
  condition: () => boolean,
  ms = 30_000,
  describe: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what} ${describe()}`);
    await sleep(20);
  }
}

/** Disconnecting a consumer does not stop its `run` loop from delivering already-fetched batches. */
export async function stopAll(consumers: readonly Consumer[]): Promise<void> {
  await Promise.all(consumers.map((c) => c.stop()));
}
