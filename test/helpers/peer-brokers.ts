/**
 * The broker clients of a peer process (see `peer-child.ts`): a kafkajs client whose producer connects on
 * first use and whose consumers are remembered, and one AMQP channel opened on first use; all closed
 * together when the test lets the peer go. Import it after the peer's instrumentation setup, so that the
 * client libraries it loads are the instrumented ones.
 */
import * as amqplib from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, ConsumerConfig, Producer } from 'kafkajs';
import { AMQP_URL } from './amqp-broker';
import { KAFKA_BROKER } from './kafka-fixture';

export class PeerBrokers {
  readonly #kafka: Kafka;
  readonly #consumers: Consumer[] = [];
  #producer: Promise<Producer> | undefined;
  #amqp: Promise<amqplib.ChannelModel> | undefined;
  #channel: Promise<amqplib.Channel> | undefined;

  constructor(clientId: string) {
    this.#kafka = new Kafka({ clientId, brokers: [KAFKA_BROKER], logLevel: logLevel.NOTHING });
  }

  /** The peer's Kafka producer, connected. */
  producer(): Promise<Producer> {
    this.#producer ??= (async () => {
      const producer = this.#kafka.producer();
      await producer.connect();
      return producer;
    })();
    return this.#producer;
  }

  /** A new consumer (not yet connected), disconnected by {@link close}. */
  consumer(config: ConsumerConfig): Consumer {
    const consumer = this.#kafka.consumer(config);
    this.#consumers.push(consumer);
    return consumer;
  }

  /** The peer's one AMQP channel. */
  channel(): Promise<amqplib.Channel> {
    this.#amqp ??= amqplib.connect(AMQP_URL);
    this.#channel ??= this.#amqp.then((connection) => connection.createChannel());
    return this.#channel;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#consumers.map((c) => c.disconnect()));
    await (await this.#producer)?.disconnect();
    await (await this.#amqp)?.close();
  }
}
