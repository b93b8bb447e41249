/**
 * `ContextLayer` and `withSpan`: a context with one value set, without copying the context beneath, must
 * answer every lookup as the API's own context would after the same operations, stay immutable, keep its
 * lookups short however often it is set, and work wherever a context goes (the active context, the SDK's
 * parent, inject).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, createContextKey, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { ContextLayer, withSpan } from '../../../src/core/context-layer';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const KEYS = [createContextKey('a'), createContextKey('b'), createContextKey('c'), createContextKey('d')];

/** A deterministic sequence of set and delete operations, applied to both kinds of context. */
function operations(count: number): { key: symbol; value: unknown }[] {
  let seed = 7;
  const ops: { key: symbol; value: unknown }[] = [];
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    ops.push({ key: KEYS[seed % KEYS.length]!, value: seed % 5 === 0 ? undefined : { i } });
  }
  return ops;
}

function apply(ctx: Context, op: { key: symbol; value: unknown }): Context {
  return op.value === undefined ? ctx.deleteValue(op.key) : ctx.setValue(op.key, op.value);
}

describe('ContextLayer', () => {
  it('answers every lookup as the API’s context does after the same sets and deletes', () => {
    let api: Context = ROOT_CONTEXT.setValue(KEYS[0]!, 'base');
    let layered: Context = ContextLayer.over(api, KEYS[1]!, 'first');
    api = api.setValue(KEYS[1]!, 'first');
    // Past the depth at which layers are folded, several times over.
    for (const op of operations(100)) {
      api = apply(api, op);
      layered = apply(layered, op);
      for (const key of KEYS) assert.equal(layered.getValue(key), api.getValue(key));
    }
  });

  it('never changes the context it was made from, nor itself', () => {
    const base = ROOT_CONTEXT.setValue(KEYS[0]!, 'base');
    const layer = ContextLayer.over(base, KEYS[1]!, 'one');
    const next = layer.setValue(KEYS[1]!, 'two').deleteValue(KEYS[0]!);
    assert.equal(base.getValue(KEYS[1]!), undefined);
    assert.equal(layer.getValue(KEYS[1]!), 'one');
    assert.equal(layer.getValue(KEYS[0]!), 'base');
    assert.equal(next.getValue(KEYS[1]!), 'two');
    assert.equal(next.getValue(KEYS[0]!), undefined);
  });

  it('takes a value off as deleteValue does, handing back the context beneath its own layer', () => {
    const base = ROOT_CONTEXT.setValue(KEYS[0]!, 'base');
    // The layer that set the key: the very context beneath, nothing copied.
    assert.equal(ContextLayer.without(ContextLayer.over(base, KEYS[1]!, 'one'), KEYS[1]!), base);
    // A context that does not hold the key: itself.
    assert.equal(ContextLayer.without(base, KEYS[1]!), base);
    // The key set beneath the top layer too, on a layer or on the API's context: removed all the same.
    const shadowing = ContextLayer.over(base.setValue(KEYS[1]!, 'under'), KEYS[1]!, 'over');
    const layered = ContextLayer.over(base.setValue(KEYS[1]!, 'under'), KEYS[2]!, 'other');
    for (const ctx of [shadowing, layered, base.setValue(KEYS[1]!, 'api')]) {
      const without = ContextLayer.without(ctx, KEYS[1]!);
      const expected = ctx.deleteValue(KEYS[1]!);
      for (const key of KEYS) assert.equal(without.getValue(key), expected.getValue(key));
    }
    assert.equal(ContextLayer.without(layered, KEYS[1]!).getValue(KEYS[2]!), 'other');
  });

  it('folds deep layers into the context beneath, so a lookup walks a bounded chain', () => {
    let ctx: Context = ROOT_CONTEXT;
    for (let i = 0; i < 10_000; i++) ctx = ctx.setValue(KEYS[i % 2]!, i);
    assert.equal(ctx.getValue(KEYS[0]!), 9998);
    assert.equal(ctx.getValue(KEYS[1]!), 9999);
    // A context beneath that counts the values folded into it (and keeps none of them).
    let folded = 0;
    const counting: Context = {
      getValue: () => undefined,
      setValue: () => {
        folded++;
        return counting;
      },
      deleteValue: () => counting,
    };
    let chain: Context = counting;
    for (let i = 0; i < 1000; i++) chain = ContextLayer.over(chain, KEYS[0]!, i);
    assert.ok(folded >= 1000 - 16, `at most 16 layers stay unfolded, ${1000 - folded} did`);
    assert.equal(chain.getValue(KEYS[0]!), 999);
  });
});

describe('withSpan', () => {
  let tracing: TestTracing;
  before(() => (tracing = setupTracing('w3c')));
  after(() => tracing.shutdown());

  it('is trace.setSpan: the span is active in it, the values beneath stay, and it works as any context', () => {
    const tracer = tracing.provider.getTracer('test');
    const span = tracer.startSpan('parent');
    const base = ROOT_CONTEXT.setValue(KEYS[0]!, 'kept');
    const ctx = withSpan(base, span);
    assert.equal(trace.getSpan(ctx), span);
    assert.equal(ctx.getValue(KEYS[0]!), 'kept');
    assert.equal(trace.getSpan(base), undefined, 'base unchanged');
    // The active context, a child's parent, and inject.
    context.with(ctx, () => {
      assert.equal(trace.getSpan(context.active()), span);
      const child = tracer.startSpan('child');
      assert.equal(child.spanContext().traceId, span.spanContext().traceId);
      child.end();
    });
    const headers: Record<string, string> = {};
    propagation.inject(ctx, headers);
    assert.match(headers['traceparent'] ?? '', new RegExp(`-${span.spanContext().spanId}-01$`));
    span.end();
    const [child] = tracing.spans().filter((s) => s.name === 'child');
    assert.equal(child?.parentSpanContext?.spanId, span.spanContext().spanId);
  });
});
