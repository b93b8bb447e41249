import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span, TracerProvider } from '@opentelemetry/api';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { MessagingTelemetryOptions } from '../../../src/core/messaging-telemetry';
import type { ContextCarrier } from '../../../src/propagation/context-carrier';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import type { KafkaHeaders } from '../../../src/propagation/kafka-headers-carrier';
import { countSpanEnds } from '../../helpers/span-end-counter';
import {
  assertAttributes,
  assertChildOf,
  assertLinks,
  assertRoot,
  setupMetrics,
  setupTracing,
} from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
beforeEach(() => {
  tracing = setupTracing('w3c');
});
afterEach(() => tracing.shutdown());

function telemetry(
  options: MessagingTelemetryOptions<string, string> = {},
): MessagingTelemetry<string, string> {
  return new MessagingTelemetry<string, string>({ system: 'kafka', ...options });
}

/** Produces one message the way an adapter would, inside `parent`, and returns its headers and span. */
function produce(t: MessagingTelemetry<string, string>, destination = 'orders', baggage?: string) {
  let ctx = context.active();
  if (baggage !== undefined)
    ctx = propagation.setBaggage(ctx, propagation.createBaggage({ tenant: { value: baggage } }));
  const send = t.startSend({ destination, operationName: 'send', parent: ctx, info: 'msg' });
  const headers = send.inject(kafkaHeadersCarrier, { 'x-app': 'kept' });
  send.end();
  return { headers, sendSpan: tracing.spans().at(-1)! };
}

function processParams(
  headers: KafkaHeaders | undefined,
  extra: Partial<Parameters<MessagingTelemetry<string, string>['startProcess']>[0]> = {},
) {
  return { destination: 'orders', carrier: kafkaHeadersCarrier, headers, info: 'msg', ...extra } as const;
}

describe('send', () => {
  it('starts a PRODUCER span named {operation} {destination}, child of the active span, and injects it', () => {
    const t = telemetry();
    const outer = trace.getTracer('test').startSpan('request');
    const send = context.with(trace.setSpan(context.active(), outer), () =>
      t.startSend({ destination: 'orders', operationName: 'send', info: 'msg' }),
    );
    const original: KafkaHeaders = { 'x-app': 'kept' };
    // Defined headers in, defined headers out: typed so, with no `| undefined` to narrow away.
    const headers: KafkaHeaders = send.inject(kafkaHeadersCarrier, original);
    send.end();
    outer.end();

    const span = tracing.span('send orders');
    assert.equal(span.kind, SpanKind.PRODUCER);
    assertChildOf(span, outer);
    assertAttributes(span, {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'orders',
    });
    assert.equal(span.attributes['messaging.batch.message_count'], undefined, 'not set for a single message');
    assert.equal(headers['traceparent'], `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    assert.deepEqual(original, { 'x-app': 'kept' }, "the caller's headers are untouched");
  });

  it('records messaging.batch.message_count for a batch and supports per-message create spans', () => {
    const t = telemetry();
    const send = t.startSend({
      destination: 'orders',
      operationName: 'send',
      messageCount: 3,
      info: 'batch',
    });
    const create = t.startSend({
      destination: 'orders',
      operationName: 'create',
      operationType: 'create',
      parent: send.context,
      info: 'm1',
    });
    create.end();
    send.end();
    assertAttributes(tracing.span('send orders'), { 'messaging.batch.message_count': 3 });
    const createSpan = tracing.span('create orders');
    assertAttributes(createSpan, { 'messaging.operation.type': 'create' });
    assertChildOf(createSpan, tracing.span('send orders'));
  });
});

describe('process: linking semantics', () => {
  it("parents the CONSUMER span to the message's context and links the ambient span", async () => {
    const t = telemetry();
    const { headers, sendSpan } = produce(t, 'orders', 'acme');
    const consumerStartup = trace.getTracer('test').startSpan('consumer startup');
    let activeInHandler: Span | undefined;
    let baggageInHandler: string | undefined;
    const result = await context.with(trace.setSpan(ROOT_CONTEXT, consumerStartup), () =>
      t.process(processParams(headers), async () => {
        await sleep(1);
        activeInHandler = trace.getActiveSpan();
        baggageInHandler = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
        return 'done';
      }),
    );
    consumerStartup.end();

    assert.equal(result, 'done');
    const span = tracing.span('process orders');
    assert.equal(span.kind, SpanKind.CONSUMER);
    assertChildOf(span, sendSpan);
    assertLinks(span, [consumerStartup.spanContext()]);
    assert.equal(
      activeInHandler?.spanContext().spanId,
      span.spanContext().spanId,
      'the handler runs inside the span',
    );
    assert.equal(baggageInHandler, 'acme', 'baggage from a trusted source reaches the handler');
    assertAttributes(span, { 'messaging.operation.type': 'process', 'messaging.destination.name': 'orders' });
  });

  it('starts a new trace, linked to the ambient span, when the message carries no usable context', () => {
    const t = telemetry();
    const ambient = trace.getTracer('test').startSpan('poll loop');
    context.with(trace.setSpan(ROOT_CONTEXT, ambient), () =>
      t.process(processParams({ traceparent: '00-garbage' }), () => undefined),
    );
    ambient.end();
    const span = tracing.span('process orders');
    assertRoot(span);
    assert.notEqual(span.spanContext().traceId, ambient.spanContext().traceId);
    assertLinks(span, [ambient]);
  });

  it("never links the ambient span when it is the message's own parent", () => {
    const t = telemetry();
    const outer = trace.getTracer('test').startSpan('in-process hop');
    const headers = context.with(trace.setSpan(ROOT_CONTEXT, outer), () =>
      kafkaHeadersCarrier.inject(context.active(), undefined),
    );
    context.with(trace.setSpan(ROOT_CONTEXT, outer), () =>
      t.process(processParams(headers), () => undefined),
    );
    outer.end();
    const span = tracing.span('process orders');
    assertChildOf(span, outer);
    assertLinks(span, []);
  });

  it("'link' starts a new trace linked to the sender and drops the sender's baggage", () => {
    const t = telemetry({ incoming: 'link' });
    const { headers, sendSpan } = produce(t, 'orders', 'acme');
    let baggageInHandler: unknown = 'unset';
    t.process(processParams(headers), () => {
      baggageInHandler = propagation.getActiveBaggage();
    });
    const span = tracing.span('process orders');
    assertRoot(span);
    assertLinks(span, [sendSpan]);
    assert.equal(baggageInHandler, undefined);
    assertAttributes(span, { 'tracebridge.incoming.policy': 'link' });
  });

  it("'ignore' neither parents nor links the sender", () => {
    const t = telemetry({ incoming: 'ignore' });
    const { headers, sendSpan } = produce(t, 'orders', 'acme');
    t.process(processParams(headers), () => undefined);
    const span = tracing.span('process orders');
    assertRoot(span);
    assert.notEqual(span.spanContext().traceId, sendSpan.spanContext().traceId);
    assertLinks(span, []);
  });

  it('applies per-destination rules, first match winning, with the default for the rest', () => {
    const t = telemetry({
      incoming: {
        default: 'parent',
        rules: [
          { destination: 'public.signups', policy: 'ignore' },
          { destination: /^public\./, policy: 'link' },
        ],
      },
    });
    assert.equal(t.incomingPolicy('public.signups'), 'ignore');
    assert.equal(t.incomingPolicy('public.orders'), 'link');
    assert.equal(t.incomingPolicy('internal.orders'), 'parent');
    const { headers, sendSpan } = produce(t, 'public.orders');
    t.process({ ...processParams(headers), destination: 'public.orders' }, () => undefined);
    const span = tracing.span('process public.orders');
    assertRoot(span);
    assertLinks(span, [sendSpan]);
  });

  it('keeps the ambient baggage out of the handler', () => {
    const t = telemetry();
    const ambient = propagation.setBaggage(
      ROOT_CONTEXT,
      propagation.createBaggage({ startup: { value: 'x' } }),
    );
    let seen: unknown = 'unset';
    context.with(ambient, () =>
      t.process(processParams(undefined), () => {
        seen = propagation.getActiveBaggage();
      }),
    );
    assert.equal(seen, undefined);
  });
});

describe('process: time in queue', () => {
  it('records the wait from the enqueue timestamp as an attribute', () => {
    const t = telemetry();
    const enqueued = Date.now() - 1500;
    t.process(processParams(undefined, { enqueueTimeMs: enqueued }), () => undefined);
    const wait = tracing.span('process orders').attributes['tracebridge.messaging.time_in_queue_ms'];
    assert.equal(typeof wait, 'number');
    assert.ok((wait as number) >= 1500, `waited ${String(wait)} ms`);
  });

  it('ends the wait of a recording span at the span’s own start, in whole ms', () => {
    const t = telemetry();
    const enqueued = Date.now() - 250;
    t.process(processParams(undefined, { enqueueTimeMs: enqueued }), () => undefined);
    const span = tracing.span('process orders');
    const [seconds, nanos] = span.startTime;
    const startedMs = Math.floor(seconds * 1000 + nanos / 1e6);
    assert.equal(span.attributes['tracebridge.messaging.time_in_queue_ms'], startedMs - enqueued);
  });

  it('clamps a timestamp from the future to 0 and ignores unusable ones', () => {
    const t = telemetry();
    t.process(
      processParams(undefined, { destination: 'future', enqueueTimeMs: Date.now() + 60_000 }),
      () => undefined,
    );
    assert.equal(tracing.span('process future').attributes['tracebridge.messaging.time_in_queue_ms'], 0);
    for (const [i, bad] of [Number.NaN, 0, -5, Number.POSITIVE_INFINITY].entries()) {
      t.process(processParams(undefined, { destination: `bad${i}`, enqueueTimeMs: bad }), () => undefined);
      assert.equal(
        tracing.span(`process bad${i}`).attributes['tracebridge.messaging.time_in_queue_ms'],
        undefined,
      );
    }
  });
});

describe('process: the application’s errors and results', () => {
  it('records a thrown error and re-throws the very same object', () => {
    const t = telemetry();
    const error = new TypeError('bad order');
    assert.throws(
      () =>
        t.process(processParams(undefined), () => {
          throw error;
        }),
      (thrown) => thrown === error,
    );
    const span = tracing.span('process orders');
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, 'bad order');
    assertAttributes(span, { 'error.type': 'TypeError' });
    assert.equal(span.events[0]?.name, 'exception');
  });

  it('returns the same promise and records its rejection', async () => {
    const t = telemetry();
    const error = new Error('async failure');
    const promise = Promise.reject(error);
    const returned = t.process(processParams(undefined), () => promise);
    assert.equal(returned, promise, 'the very promise the handler returned');
    await assert.rejects(returned, (e) => e === error);
    await sleep(0);
    assert.equal(tracing.span('process orders').status.code, SpanStatusCode.ERROR);
  });

  it('ends the span after an async handler settles, not before', async () => {
    const t = telemetry();
    let resolve!: () => void;
    const done = t.process(processParams(undefined), () => new Promise<void>((r) => (resolve = r)));
    await sleep(5);
    assert.equal(tracing.spans().length, 0, 'still open while the handler works');
    resolve();
    await done;
    assert.equal(tracing.spans().length, 1);
  });
});

describe('batch', () => {
  it('links every message, and runs per-message work in spans parented to each message and timed alone', async () => {
    const t = telemetry();
    const produced = [produce(t), produce(t), produce(t)];
    tracing.reset();
    const batch = t.startBatch({
      destination: 'orders',
      messages: produced.map(({ headers }, i) => ({
        carrier: kafkaHeadersCarrier,
        headers,
        enqueueTimeMs: Date.now() - 100,
        describe: (span: Span) => span.setAttribute('messaging.kafka.offset', i),
        info: `m${i}`,
      })),
    });
    await batch.run(async () => {
      for (let i = 0; i < batch.size; i++) {
        await batch.processMessage(i, () => sleep(3));
      }
    });
    batch.end();

    const spans = tracing.spans();
    assert.equal(spans.length, 4);
    // Spans are exported in end order: the three message spans, then the batch span.
    const [first, second, third, batchOnly] = spans;
    assert.ok(batchOnly !== undefined && first !== undefined && second !== undefined && third !== undefined);
    assertRoot(batchOnly);
    assertAttributes(batchOnly, { 'messaging.batch.message_count': 3 });
    assertLinks(
      batchOnly,
      produced.map((p) => p.sendSpan),
    );
    for (const [i, span] of [first, second, third].entries()) {
      assertChildOf(span, produced[i]!.sendSpan);
      assertLinks(span, [batchOnly]);
      assertAttributes(span, { 'messaging.kafka.offset': i });
      assert.ok((span.attributes['tracebridge.messaging.time_in_queue_ms'] as number) >= 100);
    }
    // Nanoseconds since the epoch exceed 2^53: compare as BigInt. The SDK stamps a span's start with
    // Date.now() (whole milliseconds) and its end as start + a precise duration, so two spans' times can
    // disagree by under 1 ms; each message's work takes 3 ms, so spans sharing the batch's timing would
    // still fail by far more than that allowance.
    const CLOCK_GRAIN_NS = 1_000_000n;
    const startNs = (s: typeof first) => BigInt(s.startTime[0]) * 1_000_000_000n + BigInt(s.startTime[1]);
    const endNs = (s: typeof first) => BigInt(s.endTime[0]) * 1_000_000_000n + BigInt(s.endTime[1]);
    assert.ok(
      startNs(second) + CLOCK_GRAIN_NS >= endNs(first),
      'message 2 starts after message 1 ends: each span times its own work',
    );
    assert.ok(startNs(third) + CLOCK_GRAIN_NS >= endNs(second));
    assert.ok(
      startNs(first) + CLOCK_GRAIN_NS >= startNs(batchOnly) &&
        endNs(third) <= endNs(batchOnly) + CLOCK_GRAIN_NS,
    );
    assert.ok(
      startNs(third) - startNs(first) >= 5_000_000n,
      'the later messages started at least two 3 ms tasks later',
    );
  });

  it("under 'ignore', links no message", () => {
    const t = telemetry({ incoming: 'ignore' });
    const { headers } = produce(t);
    tracing.reset();
    const batch = t.startBatch({
      destination: 'orders',
      messages: [{ carrier: kafkaHeadersCarrier, headers, info: 'm' }],
    });
    batch.processMessage(0, () => undefined);
    batch.end();
    for (const span of tracing.spans()) assertRoot(span);
    assertLinks(tracing.spans()[1]!, []);
  });
});

describe('robustness', () => {
  it('ends every span exactly once on every path', async () => {
    const counter = countSpanEnds(tracing.provider);
    const t = telemetry({ tracerProvider: counter.provider });
    const send = t.startSend({ destination: 'q', operationName: 'send', info: 's' });
    send.end();
    send.end();
    send.recordError(new Error('late'));
    const processed = t.startProcess(processParams(undefined));
    processed.settle({ kind: 'ack' });
    processed.settle({ kind: 'nack', requeue: true });
    processed.end();
    assert.throws(() =>
      t.process(processParams(undefined), () => {
        throw new Error('x');
      }),
    );
    await assert.rejects(t.process(processParams(undefined), () => Promise.reject(new Error('y'))));
    await t.process(processParams(undefined), () => Promise.resolve(1));
    const batch = t.startBatch({
      destination: 'q',
      messages: [{ carrier: kafkaHeadersCarrier, headers: undefined, info: 'm' }],
    });
    batch.processMessage(0, () => undefined);
    batch.end();
    batch.end();
    await sleep(0);
    assert.equal(counter.started.length, 7);
    assert.deepEqual(counter.misended(), []);
  });

  it('a throwing hook or describe callback never reaches the caller', () => {
    const t = telemetry({
      sendHook: () => {
        throw new Error('hook');
      },
      processHook: () => {
        throw new Error('hook');
      },
    });
    const send = t.startSend({
      destination: 'orders',
      operationName: 'send',
      info: 'x',
      describe: () => {
        throw new Error('describe');
      },
    });
    send.end();
    assert.equal(
      t.process(processParams(undefined), () => 42),
      42,
    );
    assert.equal(tracing.spans().length, 2);
  });

  it('a throwing tracer never reaches the caller, and context still propagates', () => {
    const throwingProvider: TracerProvider = {
      getTracer: () => ({
        startSpan: () => {
          throw new Error('tracer broke');
        },
        startActiveSpan: () => {
          throw new Error('tracer broke');
        },
      }),
    };
    const t = telemetry({ tracerProvider: throwingProvider });
    const outer = trace.getTracer('test').startSpan('outer');
    const headers = context.with(trace.setSpan(ROOT_CONTEXT, outer), () => {
      const send = t.startSend({ destination: 'q', operationName: 'send', info: 'x' });
      const injected = send.inject(kafkaHeadersCarrier, undefined);
      send.end();
      return injected;
    });
    assert.match(
      String(headers?.['traceparent']),
      new RegExp(outer.spanContext().spanId),
      'falls back to the parent context',
    );
    assert.equal(
      t.process(processParams(headers), () => 'ran'),
      'ran',
    );
    const batch = t.startBatch({
      destination: 'q',
      messages: [{ carrier: kafkaHeadersCarrier, headers, info: 'm' }],
    });
    assert.equal(
      batch.processMessage(0, () => 'ran'),
      'ran',
    );
    batch.end();
  });

  it('a throwing carrier never reaches the caller: the message is processed as a new trace', () => {
    const broken: ContextCarrier<KafkaHeaders | undefined> = {
      name: 'broken',
      inject: () => {
        throw new Error('inject broke');
      },
      extract: () => {
        throw new Error('extract broke');
      },
    };
    const t = telemetry();
    const send = t.startSend({ destination: 'orders', operationName: 'send', info: 'x' });
    const original = { a: '1' };
    assert.equal(send.inject(broken, original), original);
    send.end();
    assert.equal(
      t.process({ ...processParams(undefined), carrier: broken }, () => 'ran'),
      'ran',
    );
    assertRoot(tracing.span('process orders'));
  });

  it('with no SDK registered, builds no per-message attributes and calls no hooks', async () => {
    await tracing.shutdown();
    let calls = 0;
    const count = () => {
      calls++;
    };
    const t = telemetry({ sendHook: count, processHook: count });
    let handled = 0;
    for (let i = 0; i < 1000; i++) {
      const send = t.startSend({
        destination: `orders-${i % 7}`,
        operationName: 'send',
        describe: count,
        info: 'x',
      });
      const headers = send.inject(kafkaHeadersCarrier, undefined);
      send.end();
      t.process(processParams(headers, { enqueueTimeMs: Date.now() - 5, describe: count }), () => handled++);
    }
    const batch = t.startBatch({
      destination: 'orders',
      describe: count,
      messages: [{ carrier: kafkaHeadersCarrier, headers: undefined, describe: count, info: 'm' }],
    });
    batch.processMessage(0, () => handled++);
    batch.end();
    assert.equal(handled, 1001, 'every handler ran');
    assert.equal(calls, 0, 'no describe callback and no hook was called');
    tracing = setupTracing('w3c');
  });
});

describe('metrics', () => {
  it('records the messaging histograms and counters with the convention names', async () => {
    const meter = setupMetrics();
    try {
      const t = telemetry();
      const { headers } = produce(t);
      t.process(processParams(headers, { enqueueTimeMs: Date.now() - 2000 }), () => undefined);
      assert.throws(() =>
        t.process(processParams(headers), () => {
          throw new RangeError('nope');
        }),
      );
      const [resourceMetrics] = await meter.collect();
      const all = resourceMetrics!.scopeMetrics.flatMap((s) => s.metrics);
      const byName = new Map(all.map((m) => [m.descriptor.name, m]));
      for (const name of [
        'messaging.client.operation.duration',
        'messaging.client.sent.messages',
        'messaging.client.consumed.messages',
        'messaging.process.duration',
        'tracebridge.messaging.time_in_queue',
      ]) {
        assert.ok(byName.has(name), `metric ${name} recorded`);
      }
      const consumed = byName.get('messaging.client.consumed.messages')!.dataPoints[0]!;
      assert.equal(consumed.value, 2);
      assert.deepEqual(consumed.attributes, {
        'messaging.system': 'kafka',
        'messaging.operation.name': 'process',
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'orders',
      });
      const processDurations = byName.get('messaging.process.duration')!.dataPoints;
      assert.deepEqual(
        processDurations.map((p) => p.attributes['error.type']).sort(),
        ['RangeError', undefined].sort(),
        'a failed process is told apart by error.type',
      );
      const queue = byName.get('tracebridge.messaging.time_in_queue')!.dataPoints[0]!;
      assert.equal(byName.get('tracebridge.messaging.time_in_queue')!.descriptor.unit, 's');
      assert.ok((queue.value as { sum: number }).sum >= 2, 'time in queue is in seconds');
    } finally {
      await meter.shutdown();
    }
  });
});

describe('destinations whose names are made up at runtime', () => {
  const replyTraits = { template: 'replies', temporary: true } as const;

  it('names spans after the template, or the operation alone, and keeps each name on its span', () => {
    const t = telemetry();
    for (const name of ['replies.a1', 'replies.b2']) {
      t.startSend({
        destination: name,
        destinationTraits: replyTraits,
        operationName: 'send',
        info: 'm',
      }).end();
    }
    const anonymous = { temporary: true, anonymous: true } as const;
    t.process(
      processParams(undefined, { destination: 'gen-7', destinationTraits: anonymous }),
      () => undefined,
    );

    const sends = tracing.spans().filter((s) => s.kind === SpanKind.PRODUCER);
    assert.deepEqual(
      sends.map((s) => s.name),
      ['send replies', 'send replies'],
    );
    assert.deepEqual(
      sends.map((s) => s.attributes['messaging.destination.name']),
      ['replies.a1', 'replies.b2'],
    );
    assertAttributes(sends[0]!, {
      'messaging.destination.template': 'replies',
      'messaging.destination.temporary': true,
    });
    const processed = tracing.span('process', SpanKind.CONSUMER);
    assertAttributes(processed, {
      'messaging.destination.name': 'gen-7',
      'messaging.destination.temporary': true,
      'messaging.destination.anonymous': true,
    });
  });

  it('keeps the names out of the metrics: one series per template', async () => {
    const meter = setupMetrics();
    try {
      const t = telemetry();
      for (const name of ['replies.a1', 'replies.b2', 'replies.c3']) {
        t.startSend({
          destination: name,
          destinationTraits: replyTraits,
          operationName: 'send',
          info: 'm',
        }).end();
      }
      const [resourceMetrics] = await meter.collect();
      const sent = resourceMetrics!.scopeMetrics
        .flatMap((s) => s.metrics)
        .find((m) => m.descriptor.name === 'messaging.client.sent.messages')!;
      assert.equal(sent.dataPoints.length, 1);
      assert.equal(sent.dataPoints[0]!.value, 3);
      assert.deepEqual(sent.dataPoints[0]!.attributes, {
        'messaging.system': 'kafka',
        'messaging.operation.name': 'send',
        'messaging.operation.type': 'send',
        'messaging.destination.template': 'replies',
        'messaging.destination.temporary': true,
      });
    } finally {
      await meter.shutdown();
    }
  });
});
