/**
 * Semantic-convention stability: whether spans carry only the current messaging names, or the older names
 * as well, as `OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup` asks of instrumentations in transition.
 *
 * Span names, span kinds and other single-valued facts always follow the current conventions (the spec's
 * dup mode keeps only the new value where there can be one). Metrics are not duplicated either: their
 * names and attributes are the current ones in both modes (see the README, "Migrating from the contrib
 * instrumentations").
 *
 * @see https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/
 */
import type {
  Attributes,
  AttributeValue,
  Exception,
  Link,
  Span,
  SpanAttributes,
  SpanAttributeValue,
  SpanContext,
  SpanStatus,
  TimeInput,
} from '@opentelemetry/api';
import { TracebridgeConfigError, TracebridgeErrorCode } from './errors';
import { instrumentationDefaults } from './instrumentation-defaults';
import { ATTR_LEGACY_MESSAGING_OPERATION, LEGACY_OPERATION, legacyRenames } from './legacy-attributes';
import type { LegacyRename } from './legacy-attributes';

/**
 * Which attribute names tracebridge's spans carry. `'stable'`: the current conventions' only.
 * `'duplicate'`: the older names the contrib instrumentations and the Java agent emit by default as well.
 */
export type SemconvStability = 'stable' | 'duplicate';

/** The values `semconvStability` accepts. */
const SEMCONV_STABILITY_VALUES: ReadonlySet<unknown> = new Set<SemconvStability>(['stable', 'duplicate']);

/**
 * Checks a `semconvStability` option at setup.
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) for any value but `'stable'`,
 *   `'duplicate'` or `undefined`.
 */
export function checkSemconvStability(where: string, value: unknown): void {
  if (value === undefined || SEMCONV_STABILITY_VALUES.has(value)) return;
  throw new TracebridgeConfigError(
    TracebridgeErrorCode.InvalidOption,
    `${where}: option \`semconvStability\` must be 'stable' or 'duplicate', got ${
      typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value
    }`,
  );
}

/**
 * The `semconvStability` a wrapper was given or, when it was not given, the one a
 * `tracebridge/instrumentation` class set for `scope` (from its config or `OTEL_SEMCONV_STABILITY_OPT_IN`),
 * else `'stable'`. Validates what it was given.
 */
export function resolveSemconvStability(where: string, given: unknown, scope: string): SemconvStability {
  checkSemconvStability(where, given);
  return (
    (given as SemconvStability | undefined) ?? instrumentationDefaults(scope).semconvStability ?? 'stable'
  );
}

/**
 * Writes the older names next to the current ones for one messaging system. Made once per telemetry, only
 * in `'duplicate'` mode: in `'stable'` mode there is none, and nothing on the data path changes.
 */
export class LegacyNames {
  readonly #renames: ReadonlyMap<string, LegacyRename>;

  constructor(system: string) {
    this.#renames = legacyRenames(system);
  }

  /**
   * The start attributes of an operation's spans with `messaging.operation` added: computed once per
   * operation and destination, never per message. Frozen.
   */
  startAttributes(attributes: Attributes, operationType: keyof typeof LEGACY_OPERATION): Attributes {
    return Object.freeze({
      ...attributes,
      [ATTR_LEGACY_MESSAGING_OPERATION]: LEGACY_OPERATION[operationType],
    });
  }

  /**
   * A view of a recording span whose `setAttribute` and `setAttributes` also write the older name of each
   * current name they are given; what adapters' `describe` callbacks write through. Hooks get the span
   * itself: what a user's hook records is not renamed.
   */
  view(span: Span): Span {
    return new DuplicatingSpan(span, this);
  }

  /** The older name and value of one current attribute, or `undefined` when it has none. */
  rename(key: string, value: AttributeValue): readonly [string, AttributeValue] | undefined {
    const rename = this.#renames.get(key);
    if (rename === undefined) return undefined;
    const converted = rename.convert === undefined ? value : rename.convert(value);
    return converted === undefined ? undefined : [rename.name, converted];
  }
}

/** See {@link LegacyNames.view}: every other call goes to the span unchanged. */
class DuplicatingSpan implements Span {
  readonly #span: Span;
  readonly #names: LegacyNames;

  constructor(span: Span, names: LegacyNames) {
    this.#span = span;
    this.#names = names;
  }

  setAttribute(key: string, value: SpanAttributeValue): this {
    this.#span.setAttribute(key, value);
    const legacy = this.#names.rename(key, value);
    if (legacy !== undefined) this.#span.setAttribute(legacy[0], legacy[1]);
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const [key, value] of Object.entries(attributes)) {
      if (value !== undefined) this.setAttribute(key, value);
    }
    return this;
  }

  spanContext(): SpanContext {
    return this.#span.spanContext();
  }

  addEvent(name: string, attributesOrStartTime?: SpanAttributes | TimeInput, startTime?: TimeInput): this {
    this.#span.addEvent(name, attributesOrStartTime, startTime);
    return this;
  }

  addLink(link: Link): this {
    this.#span.addLink(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.#span.addLinks(links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.#span.setStatus(status);
    return this;
  }

  updateName(name: string): this {
    this.#span.updateName(name);
    return this;
  }

  end(endTime?: TimeInput): void {
    this.#span.end(endTime);
  }

  isRecording(): boolean {
    return this.#span.isRecording();
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.#span.recordException(exception, time);
  }
}
