import { ValueType } from '@opentelemetry/api';
import type { Attributes, Histogram, Meter, Span } from '@opentelemetry/api';
import { safely, stepFailed } from './diagnostics';
import { TracebridgeConfigError, TracebridgeErrorCode } from './errors';
import { instrumentationDefaults } from './instrumentation-defaults';
import { checkOptionTypes } from './option-checks';
import { DEFAULT_ORIGIN_MAX_AGE_MS, OriginSlot, originWanted } from './origin-time';
import type { InboundOwnFields } from './own-fields';
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_TRACEBRIDGE_HOPS,
  ATTR_TRACEBRIDGE_END_TO_END_MS,
  ATTR_TRACEBRIDGE_RPC_END_TO_END_MS,
  ATTR_TRACEBRIDGE_RPC_HOPS,
  METRIC_TRACEBRIDGE_END_TO_END_DURATION,
  METRIC_TRACEBRIDGE_RPC_END_TO_END_DURATION,
} from './semantic-attributes';
import { isNoopMeter } from './messaging-metrics';

/** End-to-end latency runs from milliseconds to hours (a delayed job, a backlog, a retry topic). */
const END_TO_END_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21_600, 86_400,
];

/** Which side records: messaging consumers, or RPC servers. */
export type EndToEndSide = 'messaging' | 'rpc';

const NAMES: Readonly<Record<EndToEndSide, { metric: string; latencyMs: string; hops: string }>> = {
  messaging: {
    metric: METRIC_TRACEBRIDGE_END_TO_END_DURATION,
    latencyMs: ATTR_TRACEBRIDGE_END_TO_END_MS,
    hops: ATTR_TRACEBRIDGE_HOPS,
  },
  rpc: {
    metric: METRIC_TRACEBRIDGE_RPC_END_TO_END_DURATION,
    latencyMs: ATTR_TRACEBRIDGE_RPC_END_TO_END_MS,
    hops: ATTR_TRACEBRIDGE_RPC_HOPS,
  },
};

/**
 * The `endToEndLatency` option a wrapper was given or, when it was not given, the one a
 * `tracebridge/instrumentation` class set for `scope` (from its config or
 * `TRACEBRIDGE_END_TO_END_LATENCY`), else `true`. Decided once, at setup: `false` means no
 * `tracebridge-origin` header written or read, no end-to-end histogram, attributes or context value.
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) when `given` is neither a boolean nor
 *   `undefined`.
 */
export function resolveEndToEndLatency(where: string, given: unknown, scope: string): boolean {
  checkOptionTypes(where, { endToEndLatency: given }, { endToEndLatency: 'boolean' });
  return (given as boolean | undefined) ?? instrumentationDefaults(scope).endToEndLatency ?? true;
}

/**
 * The `originMaxAgeMs` option, validated (also with `endToEndLatency: false`, where it has no effect: a
 * malformed option is refused either way), or its default.
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) when it is not a positive integer.
 */
export function checkOriginMaxAgeMs(maxAgeMs: number | undefined): number {
  const checked = maxAgeMs ?? DEFAULT_ORIGIN_MAX_AGE_MS;
  if (!Number.isSafeInteger(checked) || checked <= 0)
    throw new TracebridgeConfigError(
      TracebridgeErrorCode.InvalidOption,
      `originMaxAgeMs must be a positive integer of ms, got ${String(maxAgeMs)}`,
    );
  return checked;
}

/**
 * Records, where a message or call arrives, the time since its pipeline's origin: on the span (ms, and
 * the hop count) and on the end-to-end histogram (seconds). Whether the histogram is live is decided
 * once, here: with no MeterProvider, an inbound origin is parsed only for recording spans.
 */
export class EndToEndLatency {
  readonly #histogram: Histogram | undefined;
  readonly #names: (typeof NAMES)[EndToEndSide];
  readonly #maxAgeMs: number;
  /** Metric attributes with a consumer group, per destination's attributes and group. */
  readonly #withGroup = new WeakMap<Attributes, Map<string, Attributes>>();

  /**
   * @param maxAgeMs - the `originMaxAgeMs` option, validated here: an older origin is ignored.
   * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) when `maxAgeMs` is not a positive integer.
   */
  constructor(meter: Meter, side: EndToEndSide, maxAgeMs: number | undefined) {
    this.#names = NAMES[side];
    this.#maxAgeMs = checkOriginMaxAgeMs(maxAgeMs);
    this.#histogram = isNoopMeter(meter)
      ? undefined
      : safely(
          'creating the end-to-end latency histogram',
          () =>
            meter.createHistogram(this.#names.metric, {
              description:
                'Time from the start of the request a message or call belongs to until its processing starts.',
              unit: 's',
              valueType: ValueType.DOUBLE,
              advice: { explicitBucketBoundaries: END_TO_END_BUCKETS_S },
            }),
          undefined,
        );
  }

  /**
   * Whether a hop whose span is `span` has a use for an origin: a live histogram, or a span that records
   * (`recording`, as the caller asked it) or is sampled (see `originWanted`). When it has none, nothing is
   * recorded and (see `recordedOriginWriter`) the sends its work makes carry no origin either: the caller
   * then makes no {@link arrive} call, its work's context gets no copy for an origin, and the header is
   * never parsed.
   */
  wants(span: Span, recording: boolean): boolean {
    return this.#histogram !== undefined || recording || originWanted(span);
  }

  /**
   * The origin of the work a message or call starts, once its span has started, for a hop that
   * {@link wants} one: the sender's (in the `inbound` own fields the extract found) when its trace is
   * `continued` (the trust policy is `'parent'` or `'continue'` and, under signing, the context verified),
   * else a new origin at this hop, at `arrivedAtMs` (never later than the span's own start). The latency
   * since a sender's origin is recorded here, on the span when it is `recording` and on the histogram when
   * it is live, with the destination's (or method's) metric `attributes`; a new origin has nothing to
   * measure from and skips that step.
   */
  arrive(
    inbound: InboundOwnFields | undefined,
    continued: boolean,
    span: Span,
    recording: boolean,
    arrivedAtMs: number,
    attributes: Attributes,
    consumerGroup?: string,
  ): OriginSlot {
    const raw = continued ? inbound?.origin : undefined;
    const slot = new OriginSlot(raw, arrivedAtMs, this.#maxAgeMs);
    if (raw !== undefined && (recording || this.#histogram !== undefined))
      this.#recordSince(span, recording, slot, attributes, consumerGroup);
    return slot;
  }

  #recordSince(
    span: Span,
    recording: boolean,
    slot: OriginSlot,
    attributes: Attributes,
    consumerGroup: string | undefined,
  ): void {
    // Inline rather than through `safely`: this runs for every message, and a closure each adds up.
    try {
      const origin = slot.inbound();
      if (origin === undefined) return;
      // Within the clock-skew allowance an origin may be ahead of this host's clock: no measurable wait.
      const latencyMs = Math.max(0, slot.arrivedAtMs - origin.originMs);
      if (recording) {
        span.setAttribute(this.#names.latencyMs, latencyMs);
        span.setAttribute(this.#names.hops, origin.hops);
      }
      this.#histogram?.record(latencyMs / 1000, this.#attributes(attributes, consumerGroup));
    } catch (error) {
      stepFailed('recording the end-to-end latency', error);
    }
  }

  #attributes(attributes: Attributes, consumerGroup: string | undefined): Attributes {
    if (consumerGroup === undefined) return attributes;
    let byGroup = this.#withGroup.get(attributes);
    if (byGroup === undefined) {
      byGroup = new Map();
      this.#withGroup.set(attributes, byGroup);
    }
    let withGroup = byGroup.get(consumerGroup);
    if (withGroup === undefined) {
      // Groups are named by the operator, few per destination.
      withGroup = Object.freeze({ ...attributes, [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: consumerGroup });
      byGroup.set(consumerGroup, withGroup);
    }
    return withGroup;
  }
}
