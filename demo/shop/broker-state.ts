/**
 * Broker state around a run of the shop, done by the runner with plain (untraced) clients: before the
 * services start, create what they need and clear what an earlier run left behind, so the run's traces
 * hold only its own orders; after a test's run, remove what it created.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as amqp from 'amqplib';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import type { ShopConfig } from './shop-config';
import { assertNotifierQueues } from './shop-topology';

const ORDER_TOPIC_PARTITIONS = 3;
/** Longer than kafkajs' default session timeout (30 s), after which a dead member is dropped. */
const GROUP_EMPTY_TIMEOUT_MS = 45_000;
const GROUP_POLL_MS = 1_000;

function kafkaAdmin(config: ShopConfig) {
  return new Kafka({
    clientId: 'shop-runner',
    brokers: [...config.kafkaBrokers],
    logLevel: logLevel.NOTHING,
  }).admin();
}

/**
 * Waits until the group has no members. Members of a run that was killed stay until their session times
 * out, and a group's offsets can only be moved while it is empty.
 */
async function awaitEmptyGroup(admin: Admin, groupId: string): Promise<void> {
  const deadline = Date.now() + GROUP_EMPTY_TIMEOUT_MS;
  let told = false;
  for (;;) {
    const { groups } = await admin.describeGroups([groupId]);
    const state = groups[0]?.state ?? 'Dead';
    if (state === 'Empty' || state === 'Dead') return;
    if (Date.now() > deadline) {
      throw new Error(`Kafka group ${groupId} still has members (${state}): is another run of the shop up?`);
    }
    if (!told)
      console.log(`waiting for Kafka group ${groupId} to lose an earlier run's members (${state})...`);
    told = true;
    await sleep(GROUP_POLL_MS);
  }
}

/** Deletes the receipt stream (its group with it) and the delayed jobs' sorted set. */
async function deleteReceiptJobs(config: ShopConfig): Promise<void> {
  const redis = new Redis(config.redisUrl);
  try {
    // The second key is the default of tracebridge's delayedJobs for the stream.
    await redis.del(config.names.receiptStream, `${config.names.receiptStream}:delayed`);
  } finally {
    await redis.quit();
  }
}

/**
 * Creates the order topic (3 partitions) if missing and moves the inventory group to its end, so the
 * group starts at this run's first order whether or not it ran before (a group has to be empty for
 * that: run this before `inventory` starts). Asserts the RabbitMQ topology and purges its queues; deletes
 * the receipt stream (and with it its group) and its delayed-job set.
 */
export async function prepareBrokers(config: ShopConfig): Promise<void> {
  const admin = kafkaAdmin(config);
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic: config.names.orderCreatedTopic, numPartitions: ORDER_TOPIC_PARTITIONS }],
      waitForLeaders: true,
    });
    await awaitEmptyGroup(admin, config.names.inventoryGroup);
    await admin.resetOffsets({
      groupId: config.names.inventoryGroup,
      topic: config.names.orderCreatedTopic,
      earliest: false,
    });
  } finally {
    await admin.disconnect();
  }

  const connection = await amqp.connect(config.amqpUrl);
  try {
    const channel = await connection.createChannel();
    await assertNotifierQueues(channel, config.names, config.retryDelayMs);
    for (const queue of [
      config.names.notifierQueue,
      config.names.retryQueue,
      config.names.receiptRequestQueue,
    ]) {
      await channel.purgeQueue(queue);
    }
    await channel.close();
  } finally {
    await connection.close();
  }

  await deleteReceiptJobs(config);
}

/** Deletes everything `prepareBrokers` and the services created (for runs with names of their own). */
export async function removeBrokerResources(config: ShopConfig): Promise<void> {
  const admin = kafkaAdmin(config);
  await admin.connect();
  try {
    await admin.deleteGroups([config.names.inventoryGroup]);
    await admin.deleteTopics({ topics: [config.names.orderCreatedTopic] });
  } finally {
    await admin.disconnect();
  }

  const connection = await amqp.connect(config.amqpUrl);
  try {
    const channel = await connection.createChannel();
    for (const queue of [
      config.names.notifierQueue,
      config.names.retryQueue,
      config.names.receiptRequestQueue,
    ]) {
      await channel.deleteQueue(queue);
    }
    await channel.deleteExchange(config.names.eventsExchange);
    await channel.deleteExchange(config.names.retryExchange);
    await channel.close();
  } finally {
    await connection.close();
  }

  await deleteReceiptJobs(config);
}
