/**
 * The real RabbitMQ the AMQP integration tests run against (127.0.0.1:5672, guest/guest), through both
 * amqplib majors the adapter supports: 0.10.x (`amqplib`) and 2.x (`amqplib2`, an npm alias). Nothing here
 * is a stand-in for the broker: a test that cannot connect fails with the reason, it never skips.
 *
 * Queues and exchanges get unique `amqp-` names, and every test deletes what it declared, because other
 * engineers' tests use the same broker at the same time.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as amqplib010 from 'amqplib';
import type { Channel, ConfirmChannel } from 'amqplib';
import * as amqplib2 from 'amqplib2';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { TestTracing } from './tracing';

export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/**
 * A connection of either major, typed with 0.10's declarations: the promise APIs the tests use are the same
 * in both (2.x's `Channel` only narrows `cancel`'s reply and `connection`'s type), which the unit type tests
 * check against each major's own declarations.
 */
export interface AmqpTestConnection {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  close(): Promise<void>;
}

/** One amqplib major under test. */
export interface AmqpClient {
  readonly name: string;
  connect(): Promise<AmqpTestConnection>;
}

export const AMQP_CLIENTS: readonly AmqpClient[] = [
  {
    name: 'amqplib 0.10',
    connect: () => connectOrFail('amqplib 0.10', () => amqplib010.connect(AMQP_URL)),
  },
  {
    name: 'amqplib 2.x',
    connect: () =>
      connectOrFail(
        'amqplib 2.x',
        async () => (await amqplib2.connect(AMQP_URL)) as unknown as AmqpTestConnection,
      ),
  },
];

async function connectOrFail(
  name: string,
  connect: () => Promise<AmqpTestConnection>,
): Promise<AmqpTestConnection> {
  try {
    return await connect();
  } catch (error) {
    assert.fail(
      `${name}: RabbitMQ is not reachable at ${AMQP_URL} (${String(error)}); ` +
        'start it with `node scripts/brokers.mjs start`',
    );
  }
}

/** A unique name for a queue or exchange of this test run. */
export function uniqueName(what: string): string {
  return `amqp-${what}-${randomUUID().slice(0, 12)}`;
}

/**
 * A connection with one plain and one confirm channel for setup and cleanup (never traced), which deletes
 * the queues and exchanges registered with it when closed.
 */
export interface AmqpFixture {
  readonly connection: AmqpTestConnection;
  /** An untraced channel for declaring, inspecting and deleting. */
  readonly admin: Channel;
  /** Declares an exclusive-to-this-test queue (deleted at close) and returns its name. */
  queue(what: string, options?: Parameters<Channel['assertQueue']>[1]): Promise<string>;
  /** Declares an exchange (deleted at close) and returns its name. */
  exchange(what: string, type: 'direct' | 'fanout' | 'topic'): Promise<string>;
  close(): Promise<void>;
}

export async function openFixture(client: AmqpClient): Promise<AmqpFixture> {
  const connection = await client.connect();
  const admin = await connection.createChannel();
  const queues: string[] = [];
  const exchanges: string[] = [];
  return {
    connection,
    admin,
    async queue(what, options) {
      const { queue } = await admin.assertQueue(uniqueName(what), { durable: false, ...options });
      queues.push(queue);
      return queue;
    },
    async exchange(what, type) {
      const name = uniqueName(what);
      await admin.assertExchange(name, type, { durable: false, autoDelete: false });
      exchanges.push(name);
      return name;
    },
    async close() {
      // A fresh channel: the admin one may have been closed by a test on purpose.
      const cleanup = await connection.createChannel();
      for (const queue of queues) await cleanup.deleteQueue(queue);
      for (const exchange of exchanges) await cleanup.deleteExchange(exchange);
      await cleanup.close();
      await connection.close();
    },
  };
}

/** Polls `check` until it returns a value other than `undefined`; fails after `timeoutMs` naming `what`. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until `count` spans named `name` have been exported, and returns them. */
export function exportedSpans(tracing: TestTracing, name: string, count = 1): Promise<ReadableSpan[]> {
  return eventually(`${count} exported span(s) named ${JSON.stringify(name)}`, () => {
    const spans = tracing.spans().filter((s) => s.name === name);
    assert.ok(spans.length <= count, `expected ${count} span(s) named ${name}, got ${spans.length}`);
    return spans.length === count ? spans : undefined;
  });
}

/** A promise and the function that resolves it, for events a test waits on. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
