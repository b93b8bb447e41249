/**
 * Mixed fleets: services still on OpenTracing, in a Node process of their own
 * (`opentracing-peer-process.ts`), on the other side of Kafka and RabbitMQ hops from tracebridge: the Jaeger
 * client (`uber-trace-id`; tracebridge here with `@opentelemetry/propagator-jaeger`) and the OpenTelemetry
 * OpenTracing shim (W3C). Both directions, against the real brokers, asserted on the spans each side
 * reported. And what each peer makes of an OpenTracing `FOLLOWS_FROM` reference (and of `CHILD_OF` given
 * in `references` rather than as `childOf`), and of trace headers written in another case.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Consumer, Producer } from 'kafkajs';
import { traceChannel } from '../../../src/amqp/index';
import { traceConsumer, traceProducer } from '../../../src/kafka/index';
import { AMQP_CLIENTS, openFixture } from '../../helpers/amqp-broker';
import type { AmqpFixture } from '../../helpers/amqp-broker';
import { startKafkaFixture } from '../../helpers/kafka-fixture';
import type { KafkaFixture } from '../../helpers/kafka-fixture';
import { assertChildOfPeer, assertPeerChildOf, exportedSpan } from '../../helpers/peer-assertions';
import { PEER_REFERENCE_HEADER, startPeer } from '../../helpers/peer-process';
import type { PeerProcess, PeerSpan } from '../../helpers/peer-process';
import { setupTracing, TRACE_HEADER } from '../../helpers/tracing';
import type { PropagatorName, TestTracing } from '../../helpers/tracing';

const PEER_SCRIPT = join(__dirname, 'opentracing-peer-process.ts');
const TIMEOUT = { timeout: 60_000 };
const TRACE_ID = '463ac35c9f6413ad48485a3953bb6124';
const SPAN_ID = 'a2fb4a1d1a96d312';

/** What a reference makes of the context it points at, as each peer was observed to do. */
type ReferenceOutcome = 'parent' | 'link';

interface OpenTracingPeer {
  /** The propagator tracebridge needs to talk to this peer. */
  readonly propagator: PropagatorName;
  /** The peer's trace header in the capitalisation some peers send. */
  readonly capitalisedHeaders: Readonly<Record<string, string>>;
  /** Whether the peer's `extract` finds its header in another case. */
  readonly readsCapitalised: boolean;
  /** How many bits of trace id the peer makes by default (64: tracebridge sees them zero-padded). */
  readonly traceIdBits: 64 | 128;
  /** What `references: [followsFrom(ctx)]` and `references: [childOf(ctx)]` make of `ctx`. */
  readonly followsFrom: ReferenceOutcome;
  readonly childOfReference: ReferenceOutcome;
}

const PEERS: Readonly<Record<'jaeger' | 'shim', OpenTracingPeer>> = {
  // jaeger-client takes the first reference as the parent (preferring CHILD_OF), and keeps every reference.
  jaeger: {
    propagator: 'jaeger',
    capitalisedHeaders: { 'Uber-Trace-Id': `${TRACE_ID}:${SPAN_ID}:0:1` },
    readsCapitalised: true,
    traceIdBits: 64,
    followsFrom: 'parent',
    childOfReference: 'parent',
  },
  // The shim parents a span only to the `childOf` option; every entry of `references` becomes a link.
  shim: {
    propagator: 'w3c',
    capitalisedHeaders: { Traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` },
    readsCapitalised: false,
    traceIdBits: 128,
    followsFrom: 'link',
    childOfReference: 'link',
  },
};

/** Asserts `received` starts a trace of its own, with one link to `sender` of reference type `type`. */
function assertPeerLinkedTo(received: PeerSpan, sender: ReadableSpan, type: string): void {
  assert.notEqual(received.traceId, sender.spanContext().traceId, `${received.name}: a trace of its own`);
  assert.equal(received.parentSpanId, undefined, `${received.name}: a root span`);
  assert.deepEqual(received.links, [
    {
      traceId: sender.spanContext().traceId,
      spanId: sender.spanContext().spanId,
      attributes: { 'span.kind': type },
    },
  ]);
}

/** Asserts what the peer made of a reference of `type` to `sender`. */
function assertReference(
  received: PeerSpan,
  sender: ReadableSpan,
  type: string,
  outcome: ReferenceOutcome,
): void {
  if (outcome === 'link') return assertPeerLinkedTo(received, sender, type);
  assertPeerChildOf(received, sender);
  assert.deepEqual(
    received.references.map((r) => [r.type, r.traceId, r.spanId]),
    [[type, sender.spanContext().traceId, sender.spanContext().spanId]],
    `${received.name}: the reference is kept`,
  );
}

for (const [name, expected] of Object.entries(PEERS)) {
  describe(`a service on OpenTracing in another process (${name})`, () => {
    let tracing: TestTracing;
    let peer: PeerProcess;
    let kafka: KafkaFixture;
    let amqp: AmqpFixture;
    const named = (label: string) => (s: PeerSpan) => s.name === label;

    before(async () => {
      tracing = setupTracing(expected.propagator);
      [peer, kafka, amqp] = await Promise.all([
        startPeer(PEER_SCRIPT, [name]),
        startKafkaFixture('nodefleet-opentracing'),
        openFixture(AMQP_CLIENTS[0]!),
      ]);
    });
    after(async () => {
      await Promise.allSettled([peer?.stop(), kafka?.close(), amqp?.close()]);
      await tracing.shutdown();
    });

    describe('Kafka, tracebridge producing to the OpenTracing consumer', () => {
      let topic: string;
      let producer: Producer;
      const send = async (label: string, reference: string): Promise<ReadableSpan> => {
        await producer.send({
          topic,
          messages: [{ value: label, headers: { [PEER_REFERENCE_HEADER]: reference } }],
        });
        return exportedSpan(tracing, `send ${topic}`, SpanKind.PRODUCER);
      };

      before(async () => {
        [topic] = (await kafka.createTopics([`nodefleet-to-${name}`])) as [string];
        await peer.call('kafka-consume', { topic });
        producer = traceProducer(await kafka.producer());
      });

      it('childOf the extracted context: the trace continues', TIMEOUT, async () => {
        tracing.reset();
        const sent = await send('child-of', 'child-of');
        const processed = await peer.span('process child-of', named('process child-of'));
        assertPeerChildOf(processed, sent);
        const delivery = peer.deliveries.find((d) => d.body === 'child-of');
        assert.ok(
          delivery && TRACE_HEADER[expected.propagator] in delivery.headers,
          'the header on the wire',
        );
      });

      it(`a FOLLOWS_FROM reference: the context becomes the ${expected.followsFrom}`, TIMEOUT, async () => {
        tracing.reset();
        const sent = await send('follows-from', 'follows-from');
        const processed = await peer.span('process follows-from', named('process follows-from'));
        assertReference(processed, sent, 'follows_from', expected.followsFrom);
      });

      it(
        `a CHILD_OF entry in references: the context becomes the ${expected.childOfReference}`,
        TIMEOUT,
        async () => {
          tracing.reset();
          const sent = await send('child-of-reference', 'child-of-reference');
          const processed = await peer.span(
            'process child-of-reference',
            named('process child-of-reference'),
          );
          assertReference(processed, sent, 'child_of', expected.childOfReference);
        },
      );

      const caseOutcome = expected.readsCapitalised ? 'continues the trace' : 'is not found: a new trace';
      it(`its header capitalised by another peer ${caseOutcome}`, TIMEOUT, async () => {
        // Untraced here: the header exactly as a peer that capitalises it sends it.
        const plain = await kafka.producer();
        await plain.send({
          topic,
          messages: [{ value: 'capitalised', headers: { ...expected.capitalisedHeaders } }],
        });
        const processed = await peer.span('process capitalised', named('process capitalised'));
        if (expected.readsCapitalised) {
          assert.equal(processed.traceId, TRACE_ID);
          assert.equal(processed.parentSpanId, SPAN_ID);
        } else {
          assert.notEqual(processed.traceId, TRACE_ID);
          assert.equal(processed.parentSpanId, undefined);
        }
        const delivery = peer.deliveries.find((d) => d.body === 'capitalised');
        assert.deepEqual(
          delivery?.headers,
          expected.capitalisedHeaders,
          'the header arrived in its own case',
        );
      });
    });

    it(
      'Kafka, the OpenTracing producer to a tracebridge consumer: the trace continues',
      TIMEOUT,
      async () => {
        const [topic] = (await kafka.createTopics([`nodefleet-from-${name}`])) as [string];
        await peer.call('kafka-send', { topic, label: topic });
        const consumer: Consumer = traceConsumer(await kafka.consumer([topic]));
        await consumer.run({ eachMessage: async () => undefined });
        const processed = await exportedSpan(tracing, `process ${topic}`, SpanKind.CONSUMER);
        await consumer.stop();
        assertChildOfPeer(processed, await peer.span(`send ${topic}`, named(`send ${topic}`)));
        const padded = processed.spanContext().traceId.startsWith('0'.repeat(16));
        assert.equal(padded, expected.traceIdBits === 64, 'a 64-bit trace id arrives zero-padded');
      },
    );

    it(
      'RabbitMQ, tracebridge publishing to the OpenTracing consumer: the trace continues',
      TIMEOUT,
      async () => {
        const queue = await amqp.queue(`nodefleet-to-${name}`);
        await peer.call('amqp-consume', { queue });
        const channel = traceChannel(await amqp.connection.createChannel());
        channel.sendToQueue(queue, Buffer.from(queue), { headers: { [PEER_REFERENCE_HEADER]: 'child-of' } });
        const published = await exportedSpan(tracing, `publish ${queue}`, SpanKind.PRODUCER);
        assertPeerChildOf(await peer.span(`process ${queue}`, named(`process ${queue}`)), published);
        await channel.close();
      },
    );

    it(
      'RabbitMQ, the OpenTracing publisher to a tracebridge consumer: the trace continues',
      TIMEOUT,
      async () => {
        const queue = await amqp.queue(`nodefleet-from-${name}`);
        const channel = traceChannel(await amqp.connection.createChannel());
        await channel.consume(queue, (message) => {
          if (message !== null) channel.ack(message);
        });
        await peer.call('amqp-publish', { queue, label: queue });
        const processed = await exportedSpan(tracing, `process ${queue}`, SpanKind.CONSUMER);
        assertChildOfPeer(processed, await peer.span(`send ${queue}`, named(`send ${queue}`)));
        await channel.close();
      },
    );
  });
}
