import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';

/**
 * How many layers may stack before they are folded into the context beneath: lookups walk the layers,
 * so a context set over and over (a loop of `setValue`) must not make every later lookup longer.
 */
const MAX_DEPTH = 16;

/**
 * A context that is `base` with one value set (or, for `undefined`, removed), in one small object.
 *
 * The API's own contexts copy their whole map of values for every value set: over 500 bytes for each
 * span set on a context, once per message sent or processed. A layer holds the one value and delegates
 * every other lookup to `base`, so setting a span costs one object of a few fields. It behaves as any
 * `Context` (see the API's `Context` interface): `setValue` and `deleteValue` return a new context and
 * never change this one, and `getValue` answers as `base` with the value set would.
 */
export class ContextLayer implements Context {
  readonly #base: Context;
  readonly #key: symbol;
  readonly #value: unknown;
  /** Layers down to the first context that is not one (1 on a foreign context). */
  readonly #depth: number;

  private constructor(base: Context, key: symbol, value: unknown, depth: number) {
    this.#base = base;
    this.#key = key;
    this.#value = value;
    this.#depth = depth;
  }

  /** `base` with `key` set to `value` (`undefined`: removed), folding the layers when they stack deep. */
  static over(base: Context, key: symbol, value: unknown): Context {
    if (!(base instanceof ContextLayer)) return new ContextLayer(base, key, value, 1);
    if (base.#depth < MAX_DEPTH) return new ContextLayer(base, key, value, base.#depth + 1);
    return new ContextLayer(base.#folded(), key, value, 1);
  }

  /**
   * `ctx` without `key`, as `ctx.deleteValue(key)` answers lookups: the context beneath when `ctx` is the
   * layer that set `key` (the common case of a value set only to be taken off again, which then copies
   * nothing), `ctx` itself when it holds no `key`, else `ctx.deleteValue(key)`.
   */
  static without(ctx: Context, key: symbol): Context {
    const beneath = ctx instanceof ContextLayer && ctx.#key === key ? ctx.#base : ctx;
    return beneath.getValue(key) === undefined ? beneath : beneath.deleteValue(key);
  }

  getValue(key: symbol): unknown {
    // A loop, not recursion: the layers are few, and this runs for every lookup in the work's context.
    if (this.#key === key) return this.#value;
    let ctx = this.#base;
    while (ctx instanceof ContextLayer) {
      if (ctx.#key === key) return ctx.#value;
      ctx = ctx.#base;
    }
    return ctx.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return ContextLayer.over(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return ContextLayer.over(this, key, undefined);
  }

  /** The context beneath every layer with their values set on it, the topmost value of each key winning. */
  #folded(): Context {
    const layers: ContextLayer[] = [this];
    let ctx = this.#base;
    while (ctx instanceof ContextLayer) {
      layers.push(ctx);
      ctx = ctx.#base;
    }
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      ctx = layer.#value === undefined ? ctx.deleteValue(layer.#key) : ctx.setValue(layer.#key, layer.#value);
    }
    return ctx;
  }
}

/** A context that only records the key `trace.setSpan` sets, to learn it through the public API. */
class KeyProbe implements Context {
  key: symbol | undefined;
  getValue(): unknown {
    return undefined;
  }
  setValue(key: symbol): Context {
    this.key = key;
    return this;
  }
  deleteValue(): Context {
    return this;
  }
}

/**
 * The API's key of the active span, as `trace.setSpan` sets it on a context (the API does not export it);
 * `undefined` should an API release set it otherwise, and then `withSpan` is `trace.setSpan` itself.
 */
const SPAN_KEY: symbol | undefined = (() => {
  const probe = new KeyProbe();
  try {
    trace.setSpan(probe, trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  } catch {
    return undefined;
  }
  return probe.key;
})();

/** `trace.setSpan(base, span)` as one {@link ContextLayer}: the same context, without copying `base`. */
export function withSpan(base: Context, span: Span): Context {
  return SPAN_KEY === undefined ? trace.setSpan(base, span) : ContextLayer.over(base, SPAN_KEY, span);
}
