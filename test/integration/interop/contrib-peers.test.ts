/**
 * Mixed fleets: tracebridge here, and on the other side of each hop a service traced only by the contrib
 * instrumentations (`@opentelemetry/instrumentation-kafkajs`, `-amqplib`, `-grpc`) in a Node process of its
 * own, with its own NodeTracerProvider (`contrib-peer-process.ts`). Both directions on Kafka, RabbitMQ and
 * gRPC against the real brokers, under W3C trace context and under B3 multi-header; the assertions are on
 * the spans each side's SDK exported: the same trace id across the hop, and the receiving span the child
 * of the sending one. Also what each contrib consumer does with trace headers written in another case.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { traceChannel } from '../../../src/amqp/index';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { traceConsumer, traceProducer } from '../../../src/kafka/index';
import { AMQP_CLIENTS, openFixture } from '../../helpers/amqp-broker';
import type { AmqpFixture } from '../../helpers/amqp-broker';
import { startKafkaFixture } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { ordersClient, placeOrder, startOrdersServer } from '../../helpers/orders-fixture';
import { assertChildOfPeer, assertPeerChildOf, exportedSpan } from '../../helpers/peer-assertions';
import { startPeer } from '../../helpers/peer-process';
import type { PeerProcess, PeerSpan } from '../../helpers/peer-process';
import { setupTracing, TRACE_HEADER } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const PEER_SCRIPT = join(__dirname, 'contrib-peer-process.ts');
const TIMEOUT = { timeout: 60_000 };
const CONTRIB_KAFKAJS = '@opentelemetry/instrumentation-kafkajs';
const CONTRIB_AMQPLIB = '@opentelemetry/instrumentation-amqplib';
const CONTRIB_GRPC = '@opentelemetry/instrumentation-grpc';
const TRACE_ID = '463ac35c9f6413ad48485a3953bb6124';
const SPAN_ID = 'a2fb4a1d1a96d312';

/** The propagators of this test, and each one's trace headers as other peers capitalise them. */
const FLEETS = {
  w3c: { Traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` },
  'b3-multi': { 'X-B3-TraceId': TRACE_ID, 'X-B3-SpanId': SPAN_ID, 'X-B3-Sampled': '1' },
} as const;

/** Asserts the peer received `destination`'s message with context in the format under test. */
function assertOnTheWire(peer: PeerProcess, destination: string, propagator: keyof typeof FLEETS): void {
  const delivery = peer.deliveries.find((d) => d.destination === destination);
  assert.ok(
    delivery !== undefined && TRACE_HEADER[propagator] in delivery.headers,
    `${TRACE_HEADER[propagator]} on the wire: ${JSON.stringify(delivery?.headers)}`,
  );
}

/**
 * Matches the span `scope` made of `kind`, about `destination` if given: named in the span name or an
 * attribute value (contrib amqplib names a publish to the default exchange `publish <default>` and keeps
 * the queue in the routing-key attribute).
 */
function contribSpan(scope: string, kind: SpanKind, destination?: string) {
  return (s: PeerSpan): boolean =>
    s.scope === scope &&
    s.kind === kind &&
    (destination === undefined ||
      s.name.includes(destination) ||
      Object.values(s.attributes).includes(destination));
}

for (const [propagator, foreignCaseHeaders] of Object.entries(FLEETS)) {
  const fleet = propagator as keyof typeof FLEETS;
  describe(`contrib instrumentations in another process (${propagator})`, () => {
    let tracing: TestTracing;
    let peer: PeerProcess;
    let kafka: KafkaFixture;
    let amqp: AmqpFixture;

    before(async () => {
      tracing = setupTracing(fleet);
      [peer, kafka, amqp] = await Promise.all([
        startPeer(PEER_SCRIPT, [propagator]),
        startKafkaFixture('nodefleet-contrib'),
        openFixture(AMQP_CLIENTS[0]!),
      ]);
    });
    after(async () => {
      await Promise.allSettled([peer?.stop(), kafka?.close(), amqp?.close()]);
      await tracing.shutdown();
    });

    describe('Kafka', () => {
      it('a tracebridge producer, a contrib kafkajs consumer: one trace', TIMEOUT, async () => {
        const [topic] = await kafka.createTopics(['nodefleet-to-contrib']);
        await peer.call('kafka-consume', { topic: topic! });
        const producer = traceProducer(await kafka.producer());
        await producer.send({ topic: topic!, messages: [{ value: 'order' }] });

        const send = await exportedSpan(tracing, `send ${topic}`, SpanKind.PRODUCER);
        const processed = await peer.span(
          'contrib kafkajs consumer',
          contribSpan(CONTRIB_KAFKAJS, SpanKind.CONSUMER, topic),
        );
        assertPeerChildOf(processed, send);
        assertOnTheWire(peer, topic!, fleet);
      });

      it('a contrib kafkajs producer, a tracebridge consumer: one trace', TIMEOUT, async () => {
        const [topic] = await kafka.createTopics(['nodefleet-from-contrib']);
        await peer.call('kafka-send', { topic: topic! });
        const consumer = traceConsumer(await kafka.consumer([topic!]));
        await consumer.run({ eachMessage: async () => undefined });

        const processed = await exportedSpan(tracing, `process ${topic}`, SpanKind.CONSUMER);
        await consumer.stop();
        const sent = await peer.span(
          'contrib kafkajs producer',
          contribSpan(CONTRIB_KAFKAJS, SpanKind.PRODUCER, topic),
        );
        assertChildOfPeer(processed, sent);
      });

      it('the contrib kafkajs consumer reads trace headers in any case', TIMEOUT, async () => {
        const [topic] = await kafka.createTopics(['nodefleet-contrib-case']);
        await peer.call('kafka-consume', { topic: topic! });
        // Untraced here: the headers exactly as a peer that capitalises them sends them.
        const plain = await kafka.producer();
        await plain.send({
          topic: topic!,
          messages: [{ value: 'order', headers: { ...foreignCaseHeaders } }],
        });

        const processed = await peer.span(
          'contrib kafkajs consumer',
          contribSpan(CONTRIB_KAFKAJS, SpanKind.CONSUMER, topic),
        );
        assert.equal(processed.traceId, TRACE_ID, 'the capitalised context is continued');
        assert.equal(processed.parentSpanId, SPAN_ID);
        const delivery = peer.deliveries.find((d) => d.destination === topic);
        assert.deepEqual(delivery?.headers, foreignCaseHeaders, 'the headers arrived in their own case');
      });
    });

    describe('RabbitMQ', () => {
      it('a tracebridge publisher, a contrib amqplib consumer: one trace', TIMEOUT, async () => {
        const queue = await amqp.queue('nodefleet-to-contrib');
        await peer.call('amqp-consume', { queue });
        const channel = traceChannel(await amqp.connection.createChannel());
        channel.sendToQueue(queue, Buffer.from('order'));

        const publish = await exportedSpan(tracing, `publish ${queue}`, SpanKind.PRODUCER);
        const processed = await peer.span(
          'contrib amqplib consumer',
          contribSpan(CONTRIB_AMQPLIB, SpanKind.CONSUMER, queue),
        );
        assertPeerChildOf(processed, publish);
        assertOnTheWire(peer, queue, fleet);
        await channel.close();
      });

      it('a contrib amqplib publisher, a tracebridge consumer: one trace', TIMEOUT, async () => {
        const queue = await amqp.queue('nodefleet-from-contrib');
        const channel = traceChannel(await amqp.connection.createChannel());
        await channel.consume(queue, (message) => {
          if (message !== null) channel.ack(message);
        });
        await peer.call('amqp-publish', { queue });

        const processed = await exportedSpan(tracing, `process ${queue}`, SpanKind.CONSUMER);
        const published = await peer.span(
          'contrib amqplib publisher',
          contribSpan(CONTRIB_AMQPLIB, SpanKind.PRODUCER, queue),
        );
        assertChildOfPeer(processed, published);
        // What the README's side-by-side names say about contrib's publish span.
        assert.equal(published.name, 'publish <default>');
        assert.equal(published.attributes['messaging.rabbitmq.routing_key'], queue);
        await channel.close();
      });

      it('the contrib amqplib consumer reads only lowercase trace headers', TIMEOUT, async () => {
        const queue = await amqp.queue('nodefleet-contrib-case');
        await peer.call('amqp-consume', { queue });
        amqp.admin.sendToQueue(queue, Buffer.from('order'), { headers: { ...foreignCaseHeaders } });

        const processed = await peer.span(
          'contrib amqplib consumer',
          contribSpan(CONTRIB_AMQPLIB, SpanKind.CONSUMER, queue),
        );
        assert.notEqual(processed.traceId, TRACE_ID, 'the capitalised context is not found: a new trace');
        assert.equal(processed.parentSpanId, undefined);
        const delivery = peer.deliveries.find((d) => d.destination === queue);
        assert.deepEqual(delivery?.headers, foreignCaseHeaders, 'the headers arrived in their own case');
      });
    });

    describe('gRPC', () => {
      it('a tracebridge client, a contrib-instrumented server: one trace', TIMEOUT, async () => {
        const address = await peer.call('grpc-serve');
        const client = ordersClient(address!, [grpcClientInterceptor()]);
        try {
          await placeOrder(client, 'sku-1');
        } finally {
          client.close();
        }

        const call = tracing.span('shop.v1.Orders/PlaceOrder', SpanKind.CLIENT);
        const served = await peer.span('contrib grpc server', contribSpan(CONTRIB_GRPC, SpanKind.SERVER));
        assertPeerChildOf(served, call);
      });

      it('a contrib-instrumented client, a tracebridge server: one trace', TIMEOUT, async () => {
        const server = await startOrdersServer([grpcServerInterceptor()]);
        try {
          await peer.call('grpc-call', { address: server.address });
        } finally {
          await server.close();
        }

        const served = tracing.span('shop.v1.Orders/PlaceOrder', SpanKind.SERVER);
        const called = await peer.span('contrib grpc client', contribSpan(CONTRIB_GRPC, SpanKind.CLIENT));
        assertChildOfPeer(served, called);
      });
    });
  });
}
