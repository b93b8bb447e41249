/**
 * A service on the contrib instrumentations, in a process of its own: `node --import tsx
 * contrib-peer-process.ts <propagator>`. Real kafkajs, amqplib and grpc-js clients, traced only by
 * `@opentelemetry/instrumentation-kafkajs`, `-amqplib` and `-grpc` (see `contrib-peer-setup.ts`), driven
 * by the test over IPC: produce, consume, publish, serve and call. Every span it finishes and every
 * message it consumes goes back to the test.
 */
import './contrib-peer-setup';
import type { Server } from '@grpc/grpc-js';
import { unique } from '../../helpers/kafka-fixture';
import { PeerBrokers } from '../../helpers/peer-brokers';
import { ordersClient, placeOrder, startOrdersServer } from '../../helpers/orders-fixture';
import { headerStrings, reportDelivery, servePeer } from '../../helpers/peer-child';

const brokers = new PeerBrokers('nodefleet-contrib-peer');
const servers: { server: Server; close(): Promise<void> }[] = [];

servePeer(
  {
    async 'kafka-send'({ topic }) {
      await (await brokers.producer()).send({ topic: topic!, messages: [{ value: 'order' }] });
    },
    async 'kafka-consume'({ topic }) {
      const consumer = brokers.consumer({ groupId: unique('nodefleet-contrib'), maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: topic!, fromBeginning: true });
      await consumer.run({
        // Reported inside eachMessage, before the contrib span ends as it returns: the test, which waits
        // for the span, has the delivery by then (IPC keeps the order).
        eachMessage: async ({ topic: from, message }) =>
          reportDelivery({
            destination: from,
            body: message.value?.toString() ?? '',
            headers: headerStrings(message.headers),
          }),
      });
    },
    async 'amqp-publish'({ queue }) {
      (await brokers.channel()).sendToQueue(queue!, Buffer.from('order'));
    },
    async 'amqp-consume'({ queue }) {
      const ch = await brokers.channel();
      await ch.consume(queue!, (message) => {
        if (message === null) return;
        reportDelivery({
          destination: queue!,
          body: message.content.toString(),
          headers: headerStrings(message.properties.headers),
        });
        // The contrib consumer span ends when the delivery is acknowledged.
        ch.ack(message);
      });
    },
    async 'grpc-serve'() {
      const server = await startOrdersServer([]);
      servers.push(server);
      return server.address;
    },
    async 'grpc-call'({ address }) {
      const client = ordersClient(address!, []);
      try {
        await placeOrder(client, 'sku-contrib');
      } finally {
        client.close();
      }
    },
  },
  async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await brokers.close();
  },
);
