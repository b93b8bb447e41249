/**
 * Origin time: when the request a piece of work belongs to entered the pipeline, and how many hops
 * (messages and calls) it has taken since. tracebridge carries it with every message and call it
 * propagates, in a header of its own, so that each consumer and server can record its end-to-end latency.
 *
 * It travels in its own header, `tracebridge-origin`, not in baggage: baggage belongs to the application,
 * and a `'continue'` policy drops it at trust boundaries where the origin is still wanted.
 *
 * Format (version 1), at most {@link ORIGIN_MAX_LENGTH} characters:
 *
 * ```
 * v1:{origin time, ms since the epoch, decimal}:{hops, decimal, from 1}
 * ```
 *
 * `hops` is the number of the hop the receiver is at: the first message or call after the origin carries
 * 1, and each hop's own sends carry its count plus one.
 */
import { createContextKey, trace, TraceFlags } from '@opentelemetry/api';
import { isValidSpanContext } from '../propagation/span-context-validity';
import type { Context, Span, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { ContextLayer } from './context-layer';

/** The header (metadata key, stream field, envelope header) the origin travels in. */
export const ORIGIN_HEADER = 'tracebridge-origin';

/** A version-1 origin is never longer than this; a longer value is refused before it is parsed. */
export const ORIGIN_MAX_LENGTH = 32;

/** Default bound on an origin's age: an older one is not believed (and the hop becomes a new origin). */
export const DEFAULT_ORIGIN_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * How far in the future an origin may be (hosts' clocks drift); within it the latency is recorded as 0,
 * beyond it the origin is ignored.
 */
export const ORIGIN_CLOCK_SKEW_MS = 60 * 1000;

/** Hop counts stop growing here: six digits, the most the format accepts. */
const MAX_HOPS = 999_999;
const VERSION_PREFIX = 'v1:';
/** Digits of the origin time: up to 15 (ms since the epoch have 13 until the year 2286). */
const MAX_TIME_DIGITS = 15;
/** Digits of the hop count: up to 6, no leading zero. */
const MAX_HOP_DIGITS = 6;

/** A pipeline origin: when it started (ms since the epoch) and the hop the current work is at (0 there). */
export interface Origin {
  readonly originMs: number;
  readonly hops: number;
}

const ORIGIN_KEY = createContextKey('tracebridge pipeline origin');

/** The text of `origin` as it travels to the next hop. */
export function formatOrigin(origin: Origin): string {
  return `v1:${Math.floor(origin.originMs)}:${Math.min(origin.hops + 1, MAX_HOPS)}`;
}

/**
 * Parses an inbound origin header in one scan of its characters (no RegExp, no substrings), after
 * refusing anything longer than {@link ORIGIN_MAX_LENGTH}: `v1:`, 1 to 15 digits, `:`, 1 to 6 digits
 * without a leading zero. `undefined` when it is malformed, more than the clock-skew allowance in the
 * future of `nowMs`, or older than `maxAgeMs`.
 */
export function parseOrigin(value: string, nowMs: number, maxAgeMs: number): Origin | undefined {
  if (value.length > ORIGIN_MAX_LENGTH || !value.startsWith(VERSION_PREFIX)) return undefined;
  let i = VERSION_PREFIX.length;
  let originMs = 0;
  const timeStart = i;
  for (; i < value.length && isDigit(value.charCodeAt(i)); i++) originMs = originMs * 10 + digit(value, i);
  const timeDigits = i - timeStart;
  if (timeDigits === 0 || timeDigits > MAX_TIME_DIGITS || value.charCodeAt(i) !== 0x3a) return undefined;
  const hopsStart = ++i;
  if (value.charCodeAt(hopsStart) === 0x30) return undefined;
  let hops = 0;
  for (; i < value.length && isDigit(value.charCodeAt(i)); i++) hops = hops * 10 + digit(value, i);
  const hopDigits = i - hopsStart;
  if (hopDigits === 0 || hopDigits > MAX_HOP_DIGITS || i !== value.length) return undefined;
  if (originMs <= 0 || originMs > nowMs + ORIGIN_CLOCK_SKEW_MS || nowMs - originMs > maxAgeMs)
    return undefined;
  return { originMs, hops };
}

function isDigit(charCode: number): boolean {
  return charCode >= 0x30 && charCode <= 0x39;
}

function digit(value: string, index: number): number {
  return value.charCodeAt(index) - 0x30;
}

/**
 * The origin of the work running in a context, resolved at most once: an inbound header is parsed only
 * when a recording span, a live histogram or a downstream send needs it, and the text a downstream send
 * carries is made once per hop, however many messages the work sends. Until then it is the raw text.
 * One is made per hop only when something may need it (see `EndToEndLatency.wants`).
 */
export class OriginSlot {
  readonly #raw: string | undefined;
  readonly #arrivedAtMs: number;
  readonly #maxAgeMs: number;
  #inbound: Origin | null | undefined;
  #outbound: string | undefined;

  /**
   * @param raw - the trusted inbound header, or `undefined` when this hop is a new origin.
   * @param arrivedAtMs - when the work started: the origin when `raw` is absent or not valid.
   */
  constructor(raw: string | undefined, arrivedAtMs: number, maxAgeMs: number) {
    this.#raw = raw;
    this.#arrivedAtMs = arrivedAtMs;
    this.#maxAgeMs = maxAgeMs;
  }

  /** The valid inbound origin, or `undefined` when this hop is a new origin. */
  inbound(): Origin | undefined {
    if (this.#inbound === undefined) {
      this.#inbound =
        this.#raw === undefined ? null : (parseOrigin(this.#raw, this.#arrivedAtMs, this.#maxAgeMs) ?? null);
    }
    return this.#inbound ?? undefined;
  }

  /** The origin downstream sends carry: the inbound one, or this hop's start as a new one. */
  current(): Origin {
    return this.inbound() ?? { originMs: this.#arrivedAtMs, hops: 0 };
  }

  /** The header downstream sends carry ({@link current} one hop on), formatted once. */
  outbound(): string {
    this.#outbound ??= formatOrigin(this.current());
    return this.#outbound;
  }

  /** When the work at this hop started, in ms since the epoch. */
  get arrivedAtMs(): number {
    return this.#arrivedAtMs;
  }
}

/**
 * Whether a hop without a live meter has a use for the origin: its span records, or is sampled, which is
 * what the hops after it sample by (a span with no SDK behind it, carrying a sampled inbound context, does
 * not record, and the next hop will). The one test of the origin rule, so that what a hop keeps of an
 * inbound origin and what it writes always agree.
 */
export function originWanted(span: Span): boolean {
  return span.isRecording() || (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** `ctx` with `slot` as the origin of the work running in it, as one layer (no copy of `ctx`). */
export function withOrigin(ctx: Context, slot: OriginSlot): Context {
  return ContextLayer.over(ctx, ORIGIN_KEY, slot);
}

/** The origin slot `ctx` holds, if any (a deferred one is not resolved). */
export function originSlotOf(ctx: Context): OriginSlot | undefined {
  const slot = ctx.getValue(ORIGIN_KEY);
  return slot instanceof OriginSlot ? slot : undefined;
}

/** Where a deferred origin comes from: asked once, when a downstream send first writes the origin. */
export interface OriginSource {
  originSlot(): OriginSlot | undefined;
}

/**
 * The origin of work whose context is made before its span starts (a BullMQ job's processor runs in a
 * context BullMQ asks for before it names the job, and whether the job continues its sender's origin
 * depends on which job it is): asked of its source when a downstream send first writes it, once.
 */
class DeferredOrigin {
  readonly #source: OriginSource;
  #slot: OriginSlot | null | undefined;

  constructor(source: OriginSource) {
    this.#source = source;
  }

  slot(): OriginSlot | undefined {
    this.#slot ??= this.#source.originSlot() ?? null;
    return this.#slot ?? undefined;
  }
}

/** `ctx` with the origin `source` gives when first needed, as one layer (see {@link DeferredOrigin}). */
export function withDeferredOrigin(ctx: Context, source: OriginSource): Context {
  return ContextLayer.over(ctx, ORIGIN_KEY, new DeferredOrigin(source));
}

/**
 * `base` carrying an origin, for the context a send or a client call injects: `base` itself when it
 * already carries one (the work of a consumer or server, or of an earlier send), else a new origin at
 * this ingress. The ingress rule: the start time of the span active in `base` (an HTTP server span the
 * application's instrumentation started, read by shape, as only SDK spans expose it), else the start of
 * `span` (the send itself). Nothing is added when `span` has no valid context (then nothing propagates),
 * when nothing will write it (`span` does not record and `metered` is `false`: see {@link originWriterFor}),
 * nor when `base` has no active span: the origin is then `span`'s own start, which the writer reads off
 * the injected context itself, so the common send outside any span copies no context for it.
 *
 * @param metered - whether the sender has a live meter. Default `true` (an origin for every valid
 *   context, recording or not).
 */
export function withIngressOrigin(base: Context, span: Span, metered = true): Context {
  if (!metered && !originWanted(span)) return base;
  if (base.getValue(ORIGIN_KEY) !== undefined) return base;
  const active = trace.getSpan(base);
  if (active === undefined || !isValidSpanContext(span.spanContext())) return base;
  const startMs = startTimeMs(active) ?? startTimeMs(span) ?? Date.now();
  return withOrigin(base, new OriginSlot(undefined, startMs, DEFAULT_ORIGIN_MAX_AGE_MS));
}

/**
 * A span's start time in ms since the epoch, when the span exposes it: SDK spans have `startTime` as an
 * `HrTime` (`[seconds, nanoseconds]`), which the API does not declare. `undefined` otherwise.
 */
export function startTimeMs(span: Span | undefined): number | undefined {
  const startTime = (span as { readonly startTime?: unknown } | undefined)?.startTime;
  if (!Array.isArray(startTime) || startTime.length !== 2) return undefined;
  const seconds: unknown = startTime[0];
  const nanos: unknown = startTime[1];
  if (typeof seconds !== 'number' || typeof nanos !== 'number') return undefined;
  const ms = seconds * 1000 + nanos / 1e6;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** The origin the injected context carries on: its slot's, else the start of its active span. */
function writeOrigin(ctx: Context, activeSpan: Span, carrier: unknown, setter: TextMapSetter): void {
  const held = ctx.getValue(ORIGIN_KEY);
  const slot = held instanceof DeferredOrigin ? held.slot() : held;
  setter.set(
    carrier,
    ORIGIN_HEADER,
    slot instanceof OriginSlot
      ? slot.outbound()
      : formatOrigin({ originMs: startTimeMs(activeSpan) ?? Date.now(), hops: 0 }),
  );
}

/**
 * Writes the origin of the injected context, next to the trace context, with the same setter: the
 * context's slot (an inbound origin one hop on, or this hop's), else the start of the span active in it
 * (the send itself, at an ingress). Nothing is written for a context without a valid span context: the
 * origin travels with the trace, sampled or not (a later hop may sample or meter). The writer of a sender
 * with a live meter (see {@link originWriterFor}). Inject only: what arrives is read with the signature by
 * the own fields' reader (`own-fields.ts`).
 */
export const originWriter: TextMapPropagator = {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const activeSpan = trace.getSpan(ctx);
    if (activeSpan === undefined || !isValidSpanContext(activeSpan.spanContext())) return;
    writeOrigin(ctx, activeSpan, carrier, setter);
  },
  extract: (ctx: Context) => ctx,
  fields: () => [ORIGIN_HEADER],
};

/**
 * {@link originWriter} for a sender without a live meter: the origin is written only when the span
 * active in the injected context records or is sampled ({@link originWanted}). A hop of an unsampled trace
 * that does not meter has no use for the origin, and under parent-based sampling the hops after it, in the
 * same unsampled trace, record none either; the one it would carry costs a header per message for a
 * histogram nobody keeps. The sampled flag counts as well as recording: a span may have ended before its
 * context is injected (a Kafka batch send's `create` span), and an ended span no longer records.
 */
export const recordedOriginWriter: TextMapPropagator = {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const activeSpan = trace.getSpan(ctx);
    if (activeSpan === undefined || !originWanted(activeSpan)) return;
    if (!isValidSpanContext(activeSpan.spanContext())) return;
    writeOrigin(ctx, activeSpan, carrier, setter);
  },
  extract: (ctx: Context) => ctx,
  fields: () => [ORIGIN_HEADER],
};

/**
 * The origin writer of a sender: with a live meter (`metered`), {@link originWriter}, which writes the
 * origin with every valid span context, as the live meter stands for the end-to-end histogram a hop
 * downstream keeps whether or not the trace is sampled; without one, {@link recordedOriginWriter}, which
 * writes it only for a recording span.
 */
export function originWriterFor(metered: boolean): TextMapPropagator {
  return metered ? originWriter : recordedOriginWriter;
}
