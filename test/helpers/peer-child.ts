/**
 * The child side of the peer protocol in `peer-process.ts`: runs the operations the test asks for, reports
 * spans and consumed messages to the parent, and closes the peer's clients when the parent disconnects.
 */
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { PeerCall, PeerDelivery, PeerEvent, PeerSpan } from './peer-process';

/** One operation of a peer: takes the test's string arguments, may answer with a string. */
export type PeerOperation = (args: Readonly<Record<string, string>>) => Promise<string | void>;

function send(event: PeerEvent): void {
  process.send?.(event);
}

/** Sends a finished span to the test. */
export function reportSpan(span: PeerSpan): void {
  send({ kind: 'span', span });
}

/** Sends a consumed message to the test. */
export function reportDelivery(delivery: PeerDelivery): void {
  send({ kind: 'delivery', delivery });
}

/** A span processor that sends every span an OpenTelemetry SDK finishes to the test. */
export function spanProcessorToParent(): SpanProcessor {
  return {
    onStart: () => undefined,
    onEnd: (span: ReadableSpan) =>
      reportSpan({
        name: span.name,
        kind: span.kind,
        scope: span.instrumentationScope.name,
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        attributes: { ...span.attributes },
        links: span.links.map((l) => ({
          traceId: l.context.traceId,
          spanId: l.context.spanId,
          attributes: { ...l.attributes },
        })),
        references: [],
      }),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

/** Kafka and AMQP header values (Buffers, strings, numbers) as the strings a text-map extractor reads. */
export function headerStrings(
  headers: Readonly<Record<string, unknown>> | undefined,
): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (Buffer.isBuffer(value)) strings[key] = value.toString('utf8');
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      strings[key] = String(value);
    // Anything else (AMQP tables and arrays) is not a trace header; a text-map extractor never reads it.
  }
  return strings;
}

/**
 * Answers the test's calls with `operations` (plus `ready`), and on disconnect runs `close` and exits.
 * A failing operation answers with its message, so the test fails with the peer's reason.
 */
export function servePeer(
  operations: Readonly<Record<string, PeerOperation>>,
  close: () => Promise<void>,
): void {
  process.on('message', (call: PeerCall) => {
    const operation = call.op === 'ready' ? () => Promise.resolve() : operations[call.op];
    if (operation === undefined) {
      send({ kind: 'error', id: call.id, message: `unknown operation ${call.op}` });
      return;
    }
    operation(call.args).then(
      (value) => send({ kind: 'result', id: call.id, value: value ?? undefined }),
      (error: unknown) => send({ kind: 'error', id: call.id, message: String(error) }),
    );
  });
  process.on('disconnect', () => {
    void close()
      .catch(() => undefined)
      .then(() => process.exit(0));
  });
}
