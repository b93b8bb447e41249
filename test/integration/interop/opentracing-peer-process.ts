/**
 * A service still on OpenTracing, in a process of its own: `node --import tsx opentracing-peer-process.ts
 * jaeger|shim`. `jaeger` is the Jaeger client (`jaeger-client`, context in `uber-trace-id`); `shim` is the
 * OpenTelemetry OpenTracing shim over an OpenTelemetry SDK with the W3C propagator. Either way the service
 * code is the same OpenTracing code a team wrote by hand around plain kafkajs and amqplib clients:
 * `tracer.inject` into the headers it sends, `tracer.extract` from the headers it receives, and a span
 * started with the reference the message asks for in its `x-peer-reference` header (`PEER_REFERENCE_HEADER`) (`child-of`: the
 * `childOf` option; `child-of-reference` and `follows-from`: a `CHILD_OF` or `FOLLOWS_FROM` entry in
 * `references`). Every span it finishes and every message it consumes goes back to the test.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { TracerShim } from '@opentelemetry/shim-opentracing';
import { initTracer } from 'jaeger-client';
import type { Reporter } from 'jaeger-client';
import * as opentracing from 'opentracing';
import { unique } from '../../helpers/kafka-fixture';
import { PeerBrokers } from '../../helpers/peer-brokers';
import {
  headerStrings,
  reportDelivery,
  reportSpan,
  servePeer,
  spanProcessorToParent,
} from '../../helpers/peer-child';
import { PEER_REFERENCE_HEADER } from '../../helpers/peer-process';
import { createPropagator } from '../../helpers/tracing';

/** The fields of a jaeger-client span and span context this peer reports; @types/jaeger-client omits them. */
interface JaegerSpanInternals {
  readonly operationName: string;
  context(): JaegerContextInternals;
  readonly _references: readonly opentracing.Reference[];
}
interface JaegerContextInternals {
  readonly traceIdStr: string;
  readonly spanIdStr: string;
  readonly parentIdStr: string | null | undefined;
}

/** jaeger-client prints ids without leading zeros (and makes 64-bit trace ids by default). */
const traceIdHex = (id: string): string => id.padStart(32, '0');
const spanIdHex = (id: string): string => id.padStart(16, '0');

/** A Jaeger reporter that sends each finished span to the test instead of to an agent. */
const reporterToParent: Reporter = {
  report(span) {
    const s = span as unknown as JaegerSpanInternals;
    const ids = s.context();
    reportSpan({
      name: s.operationName,
      kind: undefined,
      scope: undefined,
      traceId: traceIdHex(ids.traceIdStr),
      spanId: spanIdHex(ids.spanIdStr),
      parentSpanId: ids.parentIdStr ? spanIdHex(ids.parentIdStr) : undefined,
      attributes: {},
      links: [],
      references: s._references.map((r) => {
        const target = r.referencedContext() as unknown as JaegerContextInternals;
        return {
          type: r.type(),
          traceId: traceIdHex(target.traceIdStr),
          spanId: spanIdHex(target.spanIdStr),
        };
      }),
    });
  },
  close: (callback) => callback?.(),
  setProcess: () => undefined,
};

function openTracingTracer(kind: string | undefined): opentracing.Tracer {
  if (kind === 'jaeger')
    return initTracer(
      { serviceName: 'nodefleet-jaeger-peer', sampler: { type: 'const', param: 1 } },
      { reporter: reporterToParent, logger: { info: () => undefined, error: () => undefined } },
    );
  if (kind === 'shim') {
    const provider = new BasicTracerProvider({ spanProcessors: [spanProcessorToParent()] });
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    // The shim injects and extracts through the global propagator unless given others.
    propagation.setGlobalPropagator(createPropagator('w3c'));
    return new TracerShim(provider.getTracer('nodefleet-shim-peer'));
  }
  throw new Error('usage: jaeger|shim');
}

const tracer = openTracingTracer(process.argv[2]);

/** The options of a processing span, with the reference the message asked for. */
function spanOptions(
  reference: string | undefined,
  parent: opentracing.SpanContext | null,
): opentracing.SpanOptions {
  if (parent === null) return {};
  switch (reference) {
    case 'follows-from':
      return { references: [opentracing.followsFrom(parent)] };
    case 'child-of-reference':
      return { references: [opentracing.childOf(parent)] };
    default:
      return { childOf: parent };
  }
}

/** What the service does with each message it receives, whichever the transport. */
function processMessage(destination: string, body: string, headers: Record<string, string>): void {
  // Reported before the span finishes, so the test, which waits for the span, has the delivery by then
  // (IPC keeps the order).
  reportDelivery({ destination, body, headers });
  const parent = tracer.extract(opentracing.FORMAT_TEXT_MAP, headers);
  tracer.startSpan(`process ${body}`, spanOptions(headers[PEER_REFERENCE_HEADER], parent)).finish();
}

/** Runs `send` with the headers of a new `send {label}` span, as the service does for every message. */
async function sendTraced(
  label: string,
  send: (headers: Record<string, string>) => Promise<unknown>,
): Promise<void> {
  const span = tracer.startSpan(`send ${label}`);
  const headers: Record<string, string> = {};
  tracer.inject(span.context(), opentracing.FORMAT_TEXT_MAP, headers);
  try {
    await send(headers);
  } finally {
    span.finish();
  }
}

const brokers = new PeerBrokers('nodefleet-opentracing-peer');

servePeer(
  {
    async 'kafka-send'({ topic, label }) {
      const connected = await brokers.producer();
      await sendTraced(label!, (headers) =>
        connected.send({ topic: topic!, messages: [{ value: label!, headers }] }),
      );
    },
    async 'kafka-consume'({ topic }) {
      const consumer = brokers.consumer({ groupId: unique('nodefleet-opentracing'), maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: topic!, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic: from, message }) =>
          processMessage(from, message.value?.toString() ?? '', headerStrings(message.headers)),
      });
    },
    async 'amqp-publish'({ queue, label }) {
      const ch = await brokers.channel();
      await sendTraced(label!, async (headers) => ch.sendToQueue(queue!, Buffer.from(label!), { headers }));
    },
    async 'amqp-consume'({ queue }) {
      const ch = await brokers.channel();
      await ch.consume(queue!, (message) => {
        if (message === null) return;
        processMessage(queue!, message.content.toString(), headerStrings(message.properties.headers));
        ch.ack(message);
      });
    },
  },
  async () => {
    await brokers.close();
  },
);
