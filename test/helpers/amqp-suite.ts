/**
 * The common frame of an AMQP integration suite, run once per amqplib major: a real SDK with an in-memory
 * exporter and a span-end counter, a fixture connection to the real RabbitMQ, and traced channels that are
 * closed when the suite ends. At the end every span tracebridge started must have ended exactly once, and
 * every traced channel's settle tracker must be empty.
 *
 * Call `amqpSuite(client)` inside a `describe`: it registers that suite's hooks.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { Channel, ConfirmChannel } from 'amqplib';
import { pendingSettles, traceChannel } from '../../src/amqp/index';
import type { AmqpTracingOptions } from '../../src/amqp/index';
import { openFixture } from './amqp-broker';
import type { AmqpClient, AmqpFixture } from './amqp-broker';
import { countSpanEnds } from './span-end-counter';
import type { SpanEndCounter } from './span-end-counter';
import { setupTracing } from './tracing';
import type { TestTracing } from './tracing';

export interface AmqpSuite {
  readonly tracing: TestTracing;
  readonly counter: SpanEndCounter;
  readonly fixture: AmqpFixture;
  /** A new plain channel and its traced drop-in (spans go through the end counter unless options say otherwise). */
  channel(options?: AmqpTracingOptions): Promise<{ raw: Channel; traced: Channel }>;
  /** A new confirm channel and its traced drop-in. */
  confirmChannel(options?: AmqpTracingOptions): Promise<{ raw: ConfirmChannel; traced: ConfirmChannel }>;
  /** Runs `work` inside a new root span (ended afterwards), as an application's request would. */
  inRootSpan<T>(name: string, work: () => T): { root: Span; result: T };
}

export function amqpSuite(client: AmqpClient): AmqpSuite {
  const channels: Channel[] = [];
  let tracing: TestTracing | undefined;
  let counter: SpanEndCounter | undefined;
  let fixture: AmqpFixture | undefined;

  before(async () => {
    tracing = setupTracing('w3c');
    counter = countSpanEnds(tracing.provider);
    fixture = await openFixture(client);
  });
  beforeEach(() => tracing?.reset());
  after(async () => {
    for (const channel of channels) {
      // Some tests close their channel (or make the broker close it) on purpose.
      await channel.close().catch(() => undefined);
      assert.equal(pendingSettles(channel), 0, 'no delivery is tracked once its channel closed');
    }
    await fixture?.close();
    assert.deepEqual(counter?.misended(), [], 'every span tracebridge started ended exactly once');
    await tracing?.shutdown();
  });

  const suite: AmqpSuite = {
    get tracing() {
      return required(tracing);
    },
    get counter() {
      return required(counter);
    },
    get fixture() {
      return required(fixture);
    },
    async channel(options) {
      const raw = await suite.fixture.connection.createChannel();
      const traced = traceChannel(raw, { tracerProvider: suite.counter.provider, ...options });
      channels.push(traced);
      return { raw, traced };
    },
    async confirmChannel(options) {
      const raw = await suite.fixture.connection.createConfirmChannel();
      const traced = traceChannel(raw, { tracerProvider: suite.counter.provider, ...options });
      channels.push(traced);
      return { raw, traced };
    },
    inRootSpan(name, work) {
      const root = suite.counter.provider.getTracer('test').startSpan(name);
      try {
        return { root, result: context.with(trace.setSpan(context.active(), root), work) };
      } finally {
        root.end();
      }
    },
  };
  return suite;
}

function required<T>(value: T | undefined): T {
  assert.ok(value !== undefined, 'used before the suite’s before hook ran');
  return value;
}
