import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TracebridgeConfigError } from '../../../src/core/errors';
import {
  TRACE_ASSERTION_ERROR_CODE,
  TraceAssertionError,
  assertConnectedTrace,
  describeTraceProblems,
} from '../../../src/testing';
import type { ConnectedTraceExpectations, FinishedSpan } from '../../../src/testing';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
const providers: BasicTracerProvider[] = [];

/** A tracer of its own service: a provider with that `service.name`, exporting to the shared exporter. */
function service(name: string): Tracer {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': name }),
    spanProcessors: [new SimpleSpanProcessor(tracing.exporter)],
  });
  providers.push(provider);
  return provider.getTracer('tracebridge-testing-test');
}

/** What a message carries between services: headers the producer injected into. */
function inject(span: Span): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
  return headers;
}

function extract(headers: Record<string, string>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** A start time given to every span of a pipeline run with `sameStart` (ms since the epoch). */
const SAME_START_MS = 1_767_225_600_000;

interface PipelineOptions {
  /** The message reaches the consumer without its headers. */
  loseContext?: boolean;
  /** The producer span never ends (so is never exported). */
  leaveProducerOpen?: boolean;
  /** The consumer's call to the payment provider fails. */
  failPayment?: boolean;
  /** Every span starts at the same instant, so traces tie on start time. */
  sameStart?: boolean;
}

/**
 * gateway: POST /orders (SERVER) → orders.v1/Place (CLIENT) → orders: orders.v1/Place (SERVER)
 * → send orders (PRODUCER) ⇢ billing: process orders (CONSUMER) → POST /charges (CLIENT).
 */
function runPipeline(options: PipelineOptions = {}): void {
  const at = options.sameStart === true ? { startTime: SAME_START_MS } : {};
  const gateway = service('gateway');
  const orders = service('orders');
  const billing = service('billing');
  const request = gateway.startSpan('POST /orders', { kind: SpanKind.SERVER, ...at });
  const call = gateway.startSpan(
    'orders.v1/Place',
    { kind: SpanKind.CLIENT, ...at },
    trace.setSpan(ROOT_CONTEXT, request),
  );
  const handle = orders.startSpan('orders.v1/Place', { kind: SpanKind.SERVER, ...at }, extract(inject(call)));
  const send = orders.startSpan(
    'send orders',
    { kind: SpanKind.PRODUCER, ...at },
    trace.setSpan(ROOT_CONTEXT, handle),
  );
  const headers = options.loseContext === true ? {} : inject(send);
  if (options.leaveProducerOpen !== true) send.end();
  handle.end();
  call.end();
  request.end();

  const process = billing.startSpan('process orders', { kind: SpanKind.CONSUMER, ...at }, extract(headers));
  const charge = billing.startSpan(
    'POST /charges',
    { kind: SpanKind.CLIENT, ...at },
    trace.setSpan(ROOT_CONTEXT, process),
  );
  if (options.failPayment === true)
    charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  charge.end();
  process.end();
}

function spans(): FinishedSpan[] {
  return tracing.spans();
}

function thrown(fn: () => unknown): TraceAssertionError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TraceAssertionError, `threw ${String(error)}`);
    return error;
  }
  assert.fail('expected a TraceAssertionError');
}

describe('tracebridge/testing with real SDK spans', () => {
  before(() => {
    tracing = setupTracing('w3c');
  });
  beforeEach(() => tracing.reset());
  after(async () => {
    await Promise.all(providers.map((provider) => provider.shutdown()));
    await tracing.shutdown();
  });

  it('passes a pipeline that is one connected trace, and returns its id', () => {
    runPipeline();
    const expectations: ConnectedTraceExpectations = {
      services: ['gateway', 'orders', 'billing'],
      spanKinds: { SERVER: 2, CLIENT: 2, PRODUCER: 1, CONSUMER: 1 },
      noErrors: true,
    };
    assert.deepEqual(describeTraceProblems(spans(), expectations), []);
    const traceId = assertConnectedTrace(spans(), expectations);
    assert.equal(traceId, tracing.span('POST /orders').spanContext().traceId);
    assert.equal(
      assertConnectedTrace(spans(), { spanKinds: ['SERVER', 'SERVER', 'PRODUCER', 'CONSUMER'] }),
      traceId,
    );
  });

  for (const sameStart of [false, true]) {
    it(`a consumer that lost the context: two traces, and an orphan CONSUMER that starts its own${sameStart ? ' (traces tie on start time)' : ''}`, () => {
      runPipeline({ loseContext: true, sameStart });
      const consumer = tracing.span('process orders');
      const problems = describeTraceProblems(spans());
      assert.equal(problems.length, 2, problems.join('\n'));
      // Traces are listed by start time. These two often start within the same millisecond: the tie goes
      // to the trace that entered through a request, so the order is the same on every run.
      const requestTrace = tracing.span('POST /orders').spanContext().traceId;
      const lostTrace = consumer.spanContext().traceId;
      assert.equal(
        problems[0],
        `the spans belong to 2 traces, not one: ${requestTrace} (4 spans, first "POST /orders"); ` +
          `${lostTrace} (2 spans, first "process orders")`,
      );
      assert.equal(
        problems[1],
        `orphan CONSUMER span "process orders" (CONSUMER, service billing, span ${consumer.spanContext().spanId}) ` +
          'starts a trace of its own: its message reached the consumer without trace context',
      );

      const error = thrown(() => assertConnectedTrace(spans()));
      assert.equal(error.code, TRACE_ASSERTION_ERROR_CODE);
      assert.equal(error.name, 'TraceAssertionError');
      assert.deepEqual(error.problems, problems);
      // Every problem, then the spans as a tree, one tree per trace.
      assert.ok(
        error.message.startsWith(
          'expected one connected trace; 2 problems:\n  - the spans belong to 2 traces',
        ),
      );
      assert.match(
        error.message,
        new RegExp(
          `\\nspans:\\n {2}trace ${requestTrace} \\(4 spans\\)\\n {4}POST /orders {2}SERVER {2}gateway\\n` +
            ` {6}orders\\.v1/Place {2}CLIENT {2}gateway\\n`,
        ),
      );
      assert.match(
        error.message,
        new RegExp(
          `\\n {2}trace ${lostTrace} \\(2 spans\\)\\n {4}process orders {2}CONSUMER {2}billing\\n` +
            ` {6}POST /charges {2}CLIENT {2}billing$`,
        ),
      );
    });
  }

  it('a parent that never ended: the consumer whose producer span is missing is an orphan', () => {
    runPipeline({ leaveProducerOpen: true });
    const consumer = tracing.span('process orders');
    const parentId = consumer.parentSpanContext?.spanId;
    assert.ok(parentId);
    assert.deepEqual(describeTraceProblems(spans()), [
      `orphan CONSUMER span "process orders" (CONSUMER, service billing, span ${consumer.spanContext().spanId}): ` +
        `its parent ${parentId} is not among the spans`,
    ]);
    const error = thrown(() => assertConnectedTrace(spans()));
    assert.match(
      error.message,
      new RegExp(`process orders {2}CONSUMER {2}billing {2}\\[orphan: parent ${parentId} not found\\]`),
    );
  });

  it('any other span whose parent is missing is named, with the likely reasons', () => {
    runPipeline();
    const withoutHandler = tracing
      .spans()
      .filter((span) => span.name !== 'orders.v1/Place' || span.kind !== SpanKind.SERVER);
    const problems = describeTraceProblems(withoutHandler);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /^span "send orders" \(PRODUCER, service orders, span \w{16}\) has parent \w{16}, which is not among the spans \(not ended yet, not exported, or lost\)$/,
    );
  });

  it('services and span kinds that are missing, by count or by list', () => {
    runPipeline();
    assert.deepEqual(
      describeTraceProblems(spans(), {
        services: ['gateway', 'shipping', 'audit'],
        spanKinds: { PRODUCER: 2, INTERNAL: 1, CONSUMER: 1 },
      }),
      [
        'no span from service "shipping" (present: gateway, orders, billing)',
        'no span from service "audit" (present: gateway, orders, billing)',
        'expected at least 2 PRODUCER spans, found 1 ("send orders")',
        'expected at least 1 INTERNAL span, found 0',
      ],
    );
    assert.deepEqual(describeTraceProblems(spans(), { spanKinds: ['CONSUMER', 'CONSUMER'] }), [
      'expected at least 2 CONSUMER spans, found 1 ("process orders")',
    ]);
  });

  it('error spans fail only when noErrors is asked for', () => {
    runPipeline({ failPayment: true });
    assert.deepEqual(describeTraceProblems(spans()), []);
    const charge = tracing.span('POST /charges');
    assert.deepEqual(describeTraceProblems(spans(), { noErrors: true }), [
      `span "POST /charges" (CLIENT, service billing, span ${charge.spanContext().spanId}) has status ERROR: card declined`,
    ]);
    assert.match(
      thrown(() => assertConnectedTrace(spans(), { noErrors: true })).message,
      /POST \/charges {2}CLIENT {2}billing {2}\[ERROR: card declined\]/,
    );
  });

  it('traceId checks one trace among others, and says so when it has no spans', () => {
    runPipeline();
    const traceId = tracing.span('POST /orders').spanContext().traceId;
    service('noise').startSpan('unrelated').end();
    assert.equal(
      describeTraceProblems(spans()).length,
      1,
      'without traceId, the unrelated trace is a problem',
    );
    assert.deepEqual(describeTraceProblems(spans(), { traceId }), []);
    assert.equal(assertConnectedTrace(spans(), { traceId, services: ['billing'] }), traceId);
    const absent = 'f'.repeat(32);
    const problems = describeTraceProblems(spans(), { traceId: absent });
    assert.equal(problems.length, 1);
    // Both traces are listed, by start time; they started within the same millisecond, and the SDK anchors
    // each span's start to Date.now(), so which is listed first is not something to assert.
    assert.match(problems[0]!, new RegExp(`^no span belongs to trace ${absent}; the spans given belong to `));
    assert.ok(problems[0]!.includes(`${traceId} (6 spans, first "POST /orders")`), problems[0]);
    assert.ok(problems[0]!.includes('(1 span, first "unrelated")'), problems[0]);
  });

  it('a batch CONSUMER span that starts a trace and links its messages is not an orphan', () => {
    const orders = service('orders');
    const analytics = service('analytics');
    const sends = [1, 2].map((i) => orders.startSpan(`send orders ${i}`, { kind: SpanKind.PRODUCER }));
    sends.forEach((span) => span.end());
    const batch = analytics.startSpan('process orders', {
      kind: SpanKind.CONSUMER,
      links: sends.map((span) => ({ context: trace.getSpanContext(extract(inject(span)))! })),
    });
    batch.end();
    const traceId = batch.spanContext().traceId;
    assert.deepEqual(describeTraceProblems(spans(), { traceId, spanKinds: { CONSUMER: 1 } }), []);
  });

  it('reads SDK 1.x spans (parentSpanId) by their shape; several roots in one trace are a problem', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const legacy = (spanId: string, parentSpanId: string | undefined, kind: SpanKind): FinishedSpan => ({
      name: `span ${spanId.slice(-1)}`,
      kind,
      spanContext: () => ({ traceId, spanId }),
      parentSpanId,
      resource: { attributes: { 'service.name': 'legacy' } },
      status: { code: SpanStatusCode.UNSET },
    });
    const connected = [
      legacy('000000000000000a', undefined, SpanKind.PRODUCER),
      legacy('000000000000000b', '000000000000000a', SpanKind.CONSUMER),
    ];
    assert.deepEqual(describeTraceProblems(connected, { spanKinds: ['PRODUCER', 'CONSUMER'] }), []);
    const twoRoots = [...connected, legacy('000000000000000c', undefined, SpanKind.SERVER)];
    assert.deepEqual(describeTraceProblems(twoRoots), [
      `trace ${traceId} has 2 root spans, not one: "span a" (PRODUCER, service legacy, span 000000000000000a), ` +
        '"span c" (SERVER, service legacy, span 000000000000000c)',
    ]);
  });

  it('no spans at all is a problem, not a pass', () => {
    assert.deepEqual(describeTraceProblems([]), [
      'no spans were given (were they ended, and exported before the check?)',
    ]);
    assert.throws(() => assertConnectedTrace([]), TraceAssertionError);
  });

  it('malformed expectations and non-spans throw a named error instead of passing silently', () => {
    runPipeline();
    const bad: unknown[] = [
      { service: ['gateway'] },
      { spanKinds: { PRODUCERS: 1 } },
      { spanKinds: ['UNSPECIFIED'] },
      { spanKinds: { PRODUCER: -1 } },
      { spanKinds: { PRODUCER: 1.5 } },
      { traceId: 'XYZ' },
      { traceId: '4BF92F3577B34DA6A3CE929D0E0E4736' },
      { services: 'gateway' },
      { services: [1] },
      { noErrors: 'yes' },
    ];
    for (const expectations of bad) {
      assert.throws(
        () => describeTraceProblems(spans(), expectations as ConnectedTraceExpectations),
        TracebridgeConfigError,
        JSON.stringify(expectations),
      );
    }
    assert.throws(
      () => assertConnectedTrace([{ name: 'x' } as unknown as FinishedSpan]),
      /spans\[0\] is not a finished span/,
    );
  });
});
