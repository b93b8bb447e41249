/**
 * The mixed-fleet scenarios against the OpenTelemetry Java agent, for one propagator: every hop once in
 * each direction, with tracebridge on one side and the agent-instrumented Java peer (test/interop/java)
 * on the other, through the real Kafka and RabbitMQ and over real gRPC. Each scenario asserts on the spans
 * both sides exported: one trace id, and the receiving span parented to the sending span of the other
 * side. One JVM runs all of them in sequence.
 *
 * What the agent reads back is its own spelling of B3 only: on Kafka and AMQP, whose header names are
 * case-sensitive, it looks up `X-B3-TraceId` and never `x-b3-traceid`, which OpenTelemetry JS's B3
 * propagator writes. Under B3 the tracebridge -> Java messaging hops are therefore run twice: with the
 * plain propagator (the agent starts a new trace, asserted so that a change in the agent shows up here)
 * and with tracebridge's `withHeaderCasing(propagator, JAVA_B3_HEADER_CASING)`, which continues it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { propagation, SpanKind } from '@opentelemetry/api';
import type { TextMapPropagator } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import * as amqplib from 'amqplib';
import { traceChannel } from '../../src/amqp/index';
import { JAVA_B3_HEADER_CASING, withHeaderCasing } from '../../src/core/header-casing';
import type { TraceSpan } from '../../src/cli/trace-span';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../src/grpc/index';
import { traceConsumer, traceProducer } from '../../src/kafka/index';
import { AMQP_URL, eventually, uniqueName } from './amqp-broker';
import { startJavaPeer } from './java-peer';
import type { JavaPeer, JavaPeerOptions } from './java-peer';
import { startKafkaFixture, waitUntil } from './kafka-fixture';
import type { KafkaFixture } from './kafka-fixture';
import { createPropagator, setupTracing } from './tracing';
import type { PropagatorName, TestTracing } from './tracing';

/** The service and method both sides serve and call; bytes pass through untouched (no codegen). */
const ECHO_METHOD = '/tracebridge.interop.Echo/Say';
const identity = (value: Buffer): Buffer => value;
const ECHO_SERVICE: grpc.ServiceDefinition = {
  Say: {
    path: ECHO_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
const EchoClient = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
/** Both sides name the call's span `{service}/{method}`. */
const ECHO_SPAN = 'tracebridge.interop.Echo/Say';

// The first build of the peer downloads the agent and the clients from Maven Central.
const BUILD_TIMEOUT = { timeout: 10 * 60_000 };
const TIMEOUT = { timeout: 120_000 };

/** What a suite runs with: the Node side's propagator, the agent's configuration. */
export interface JavaAgentSuiteOptions {
  readonly propagator: Extract<PropagatorName, 'w3c' | 'b3-multi'>;
  readonly agent: JavaPeerOptions;
}

/** Waits for the one span tracebridge exported of `kind` named `name`. */
function nodeSpan(tracing: TestTracing, kind: SpanKind, name: string): Promise<ReadableSpan> {
  return eventually(
    `tracebridge's ${SpanKind[kind]} span ${JSON.stringify(name)}`,
    () => {
      const found = tracing.spans().filter((s) => s.kind === kind && s.name === name);
      assert.ok(found.length <= 1, `one span named ${name}, found ${found.length}`);
      return found[0];
    },
    30_000,
  );
}

interface SpanIds {
  readonly traceId: string;
  readonly spanId: string;
}

const idsOf = (span: ReadableSpan): SpanIds => span.spanContext();

/** A tracebridge -> Java message: tracebridge's PRODUCER span and the agent's CONSUMER span. */
interface Hop {
  readonly sent: ReadableSpan;
  readonly received: TraceSpan;
}

/** Asserts the receiving side's span is in the sending span's trace, parented to it. */
function assertParent(child: TraceSpan | ReadableSpan, parent: SpanIds, what: string): void {
  const traceId = 'spanContext' in child ? child.spanContext().traceId : child.traceId;
  const parentSpanId = 'spanContext' in child ? child.parentSpanContext?.spanId : child.parentSpanId;
  assert.equal(traceId, parent.traceId, `${what}: the sender's trace id`);
  assert.equal(parentSpanId, parent.spanId, `${what}: parented to the sending span`);
}

/** Runs `body` with `propagator` registered in place of the suite's. */
async function withPropagator(
  propagator: TextMapPropagator,
  restore: PropagatorName,
  body: () => Promise<void>,
): Promise<void> {
  propagation.disable();
  propagation.setGlobalPropagator(propagator);
  try {
    await body();
  } finally {
    propagation.disable();
    propagation.setGlobalPropagator(createPropagator(restore));
  }
}

const isMessaging = (span: TraceSpan, kind: TraceSpan['kind'], system: string): boolean =>
  span.kind === kind && span.attributes['messaging.system'] === system;

export function javaAgentSuite(title: string, options: JavaAgentSuiteOptions): void {
  const b3 = options.propagator === 'b3-multi';
  // What the agent names its trace header on Kafka and AMQP, where tracebridge reads either spelling.
  const agentTraceHeader = b3 ? 'X-B3-TraceId' : 'traceparent';

  describe(title, () => {
    let tracing: TestTracing;
    let peer: JavaPeer;
    let kafka: KafkaFixture;
    let amqp: amqplib.ChannelModel;
    const queues: string[] = [];

    before(async () => {
      tracing = setupTracing(options.propagator);
      peer = await startJavaPeer(options.agent);
      kafka = await startKafkaFixture('tracebridge-javafleet');
      amqp = await amqplib.connect(AMQP_URL);
    }, BUILD_TIMEOUT);

    after(async () => {
      await peer?.close();
      await kafka?.close();
      if (amqp !== undefined) {
        const admin = await amqp.createChannel();
        for (const queue of queues) await admin.deleteQueue(queue);
        await amqp.close();
      }
      await tracing?.shutdown();
    });

    async function freshQueue(): Promise<string> {
      const admin = await amqp.createChannel();
      const { queue } = await admin.assertQueue(uniqueName('javafleet'), { durable: false });
      await admin.close();
      queues.push(queue);
      return queue;
    }

    /** The agent's one span of `kind` for `topic`. */
    function agentKafkaSpan(kind: 'PRODUCER' | 'CONSUMER', topic: string): Promise<TraceSpan> {
      return peer.span(
        `${kind} span of ${topic}`,
        (s) => isMessaging(s, kind, 'kafka') && s.attributes['messaging.destination.name'] === topic,
      );
    }

    /** The agent's one span of `kind` for `queue` (through the default exchange: the routing key). */
    function agentAmqpSpan(kind: 'PRODUCER' | 'CONSUMER', queue: string): Promise<TraceSpan> {
      return peer.span(
        `${kind} span of ${queue}`,
        (s) =>
          isMessaging(s, kind, 'rabbitmq') &&
          s.attributes['messaging.rabbitmq.destination.routing_key'] === queue,
      );
    }

    /** tracebridge sends one record; the agent's CONSUMER span for it, and tracebridge's PRODUCER span. */
    async function kafkaToJava(): Promise<Hop> {
      const [topic] = await kafka.createTopics(['javafleet-to-java']);
      const producer = traceProducer(await kafka.producer());
      await producer.send({ topic: topic!, messages: [{ value: 'from node' }] });
      const send = await nodeSpan(tracing, SpanKind.PRODUCER, `send ${topic}`);
      assert.equal(await peer.command(`kafka-consume ${topic}`), `kafka-consume ${topic} from_node`);
      const process = await agentKafkaSpan('CONSUMER', topic!);
      // The agent's names are the older conventions', with or without
      // -Dotel.semconv-stability.opt-in=messaging (2.23.0 knows only `database` and `code` there).
      assert.equal(process.name, `${topic} process`);
      assert.equal(process.attributes['messaging.operation'], 'process');
      return { sent: send, received: process };
    }

    /** tracebridge publishes one message; the agent's CONSUMER span for it, and tracebridge's PRODUCER span. */
    async function amqpToJava(): Promise<Hop> {
      const queue = await freshQueue();
      const channel = traceChannel(await amqp.createChannel());
      channel.sendToQueue(queue, Buffer.from('from node'));
      const publish = await nodeSpan(tracing, SpanKind.PRODUCER, `publish ${queue}`);
      assert.equal(await peer.command(`amqp-consume ${queue}`), `amqp-consume ${queue} from_node`);
      await channel.close();
      const process = await agentAmqpSpan('CONSUMER', queue);
      assert.equal(process.name, `${queue} process`);
      assert.equal(process.attributes['messaging.destination.name'], '<default>');
      return { sent: publish, received: process };
    }

    /**
     * One tracebridge -> Java hop as tests: under W3C once; under B3 with OpenTelemetry JS's lowercase
     * names (the agent starts a new trace) and with the agent's own spelling (it continues the trace).
     */
    function towardsJava(title: string, hop: () => Promise<Hop>): void {
      if (!b3) {
        it(title, TIMEOUT, async () => {
          const { sent, received } = await hop();
          assertParent(received, idsOf(sent), 'the agent’s process span');
        });
        return;
      }
      it(
        `${title}, x-b3-* as OpenTelemetry JS writes them: the agent starts a new trace`,
        TIMEOUT,
        async () => {
          const { sent, received } = await hop();
          assert.notEqual(
            received.traceId,
            sent.spanContext().traceId,
            'the agent does not read x-b3-traceid',
          );
          assert.equal(received.parentSpanId, undefined, 'the agent’s process span is a root');
        },
      );
      it(`${title}, X-B3-* as the agent spells them`, TIMEOUT, async () => {
        await withPropagator(
          withHeaderCasing(createPropagator('b3-multi'), JAVA_B3_HEADER_CASING),
          'b3-multi',
          async () => {
            const { sent, received } = await hop();
            assertParent(received, idsOf(sent), 'the agent’s process span');
          },
        );
      });
    }

    towardsJava('Kafka: tracebridge producer -> Java consumer', kafkaToJava);

    it('Kafka: Java producer -> tracebridge consumer', TIMEOUT, async () => {
      const [topic] = await kafka.createTopics(['javafleet-from-java']);
      const consumer = traceConsumer(await kafka.consumer([topic!]));
      const headerNames: string[][] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          headerNames.push(Object.keys(message.headers ?? {}));
        },
      });
      await peer.command(`kafka-produce ${topic}`);
      await waitUntil('the record from Java', () => headerNames.length === 1);
      assert.ok(headerNames[0]!.includes(agentTraceHeader), `the agent writes ${agentTraceHeader}`);
      await consumer.stop();
      const send = await agentKafkaSpan('PRODUCER', topic!);
      assert.equal(send.name, `${topic} publish`);
      assert.equal(send.attributes['messaging.operation'], 'publish');
      const process = await nodeSpan(tracing, SpanKind.CONSUMER, `process ${topic}`);
      assertParent(process, send, 'tracebridge’s process span');
    });

    towardsJava('RabbitMQ: tracebridge publisher -> Java consumer', amqpToJava);

    it('RabbitMQ: Java publisher -> tracebridge consumer', TIMEOUT, async () => {
      const queue = await freshQueue();
      const channel = traceChannel(await amqp.createChannel());
      const headerNames: string[][] = [];
      await channel.consume(queue, (message) => {
        if (message === null) return;
        headerNames.push(Object.keys(message.properties.headers ?? {}));
        channel.ack(message);
      });
      await peer.command(`amqp-publish ${queue}`);
      await eventually('the delivery from Java', () => (headerNames.length === 1 ? true : undefined));
      assert.ok(headerNames[0]!.includes(agentTraceHeader), `the agent writes ${agentTraceHeader}`);
      const process = await nodeSpan(tracing, SpanKind.CONSUMER, `process ${queue}`);
      await channel.close();
      const publish = await agentAmqpSpan('PRODUCER', queue);
      assert.equal(publish.name, '<default> publish');
      assertParent(process, publish, 'tracebridge’s process span');
    });

    it('gRPC: tracebridge client -> Java server', TIMEOUT, async () => {
      const client = new EchoClient(`127.0.0.1:${peer.grpcPort}`, grpc.credentials.createInsecure(), {
        interceptors: [grpcClientInterceptor()],
      });
      try {
        const answer = await new Promise<Buffer>((resolve, reject) =>
          client.makeUnaryRequest(
            ECHO_METHOD,
            identity,
            identity,
            Buffer.from('from node'),
            (error, value) => (error ? reject(error) : resolve(value!)),
          ),
        );
        assert.equal(answer.toString(), 'from node');
      } finally {
        client.close();
      }
      const call = await nodeSpan(tracing, SpanKind.CLIENT, ECHO_SPAN);
      const served = await peer.span(
        'SERVER span',
        (s) => s.kind === 'SERVER' && s.attributes['server.port'] === peer.grpcPort,
      );
      assert.equal(served.name, ECHO_SPAN);
      assertParent(served, idsOf(call), 'the agent’s server span');
    });

    it('gRPC: Java client -> tracebridge server', TIMEOUT, async () => {
      const server = new grpc.Server({ interceptors: [grpcServerInterceptor()] });
      server.addService(ECHO_SERVICE, {
        Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
          callback(null, call.request),
      });
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        ),
      );
      try {
        assert.equal(await peer.command(`grpc-call ${port}`), `grpc-call ${port} from_java`);
      } finally {
        server.forceShutdown();
      }
      const served = await nodeSpan(tracing, SpanKind.SERVER, ECHO_SPAN);
      const call = await peer.span(
        'CLIENT span',
        (s) => s.kind === 'CLIENT' && s.attributes['server.port'] === port,
      );
      assert.equal(call.name, ECHO_SPAN);
      assertParent(served, call, 'tracebridge’s server span');
    });
  });
}
