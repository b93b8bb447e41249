/**
 * The setup most integration suites share: a real SDK (in-memory exporter, W3C by default) whose spans
 * tracebridge starts through a span-end counter, reset before every test and checked after it, so that a
 * suite proves every span it made ended exactly once without repeating the hooks.
 */
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach } from 'node:test';
import { countSpanEnds } from './span-end-counter';
import type { SpanEndCounter } from './span-end-counter';
import { setupTracing } from './tracing';
import type { PropagatorName, TestTracing } from './tracing';

/** The suite's SDK and the counter wrapped around its tracer provider (pass `counter.provider` to tracebridge). */
export interface CountedTracing {
  readonly tracing: TestTracing;
  readonly counter: SpanEndCounter;
}

/**
 * Registers the SDK now and, for the calling test file, hooks that forget exported spans and counts before
 * each test, assert after each test (after the suite's own `afterEach` hooks, which run first) that every
 * counted span ended exactly once, and shut the SDK down at the end. Call once, at the top of a file.
 */
export function countedTracing(propagator: PropagatorName = 'w3c'): CountedTracing {
  const tracing = setupTracing(propagator);
  const counter = countSpanEnds(tracing.provider);
  beforeEach(() => {
    tracing.reset();
    counter.started.length = 0;
  });
  afterEach(() => {
    assert.deepEqual(counter.misended(), [], 'every span tracebridge started ended exactly once');
  });
  after(() => tracing.shutdown());
  return { tracing, counter };
}
