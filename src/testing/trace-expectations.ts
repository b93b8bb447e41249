import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import { checkOptionTypes } from '../core/option-checks';
import { SPAN_KIND_NAMES } from '../cli/trace-span';
import type { SpanKindName } from '../cli/trace-span';

/** A span kind a trace can be expected to contain. */
export type ExpectedSpanKind = Exclude<SpanKindName, 'UNSPECIFIED'>;

/** Minimum numbers of spans by kind, e.g. `{ PRODUCER: 2, CONSUMER: 2 }`. */
export type SpanKindCounts = Readonly<Partial<Record<ExpectedSpanKind, number>>>;

/**
 * What {@link describeTraceProblems} and {@link assertConnectedTrace} check besides connectedness (which
 * they always check: one trace id, every parent present, one root, no orphan CONSUMER span). Every
 * field is optional; defaults are listed with each.
 */
export interface ConnectedTraceExpectations {
  /**
   * Check only the spans of this trace (32 hex digits), ignoring others (other tests' spans in a shared
   * exporter, or the separate trace a batch consumer starts). Default: all the spans given, which must
   * then share one trace id.
   */
  readonly traceId?: string;
  /** Services (resource `service.name`) that must each have at least one span. Default: none. */
  readonly services?: readonly string[];
  /**
   * Span kinds that must be present: minimum counts by kind (`{ PRODUCER: 2, CONSUMER: 2 }`), or a list
   * in which a kind listed n times needs n spans (`['SERVER', 'PRODUCER', 'CONSUMER']`). Default: none.
   */
  readonly spanKinds?: SpanKindCounts | readonly ExpectedSpanKind[];
  /**
   * Fail on any span with status ERROR. Default: false, since a failed attempt that was retried is
   * still part of one connected trace.
   */
  readonly noErrors?: boolean;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * The expected minimum count of each kind, after checking `expectations` is well formed: a typo must
 * not make a check silently pass.
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) naming what is wrong.
 */
export function checkExpectations(
  where: string,
  expectations: ConnectedTraceExpectations,
): Map<ExpectedSpanKind, number> {
  // Every field of `ConnectedTraceExpectations`: any other key is refused, with the closest field named.
  checkOptionTypes(where, expectations, {
    traceId: 'string',
    services: 'object',
    spanKinds: 'object',
    noErrors: 'boolean',
  });
  const { traceId, services, spanKinds } = expectations;
  if (traceId !== undefined && !TRACE_ID.test(traceId)) {
    throw invalid(`${where}: \`traceId\` must be 32 lowercase hex digits, got ${JSON.stringify(traceId)}`);
  }
  if (services !== undefined && (!Array.isArray(services) || !services.every((s) => typeof s === 'string'))) {
    throw invalid(`${where}: \`services\` must be an array of service names`);
  }
  return kindCounts(where, spanKinds);
}

function kindCounts(
  where: string,
  spanKinds: ConnectedTraceExpectations['spanKinds'],
): Map<ExpectedSpanKind, number> {
  const counts = new Map<ExpectedSpanKind, number>();
  if (Array.isArray(spanKinds)) {
    // A list: each mention of a kind asks for one more span of it.
    for (const kind of spanKinds as unknown[]) {
      const name = checkKind(where, kind);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  }
  for (const [kind, count] of Object.entries(spanKinds ?? {})) {
    const name = checkKind(where, kind);
    if (!Number.isInteger(count) || (count as number) < 0) {
      throw invalid(`${where}: the count of ${name} spans must be a whole number, got ${String(count)}`);
    }
    counts.set(name, count as number);
  }
  return counts;
}

function checkKind(where: string, kind: unknown): ExpectedSpanKind {
  if (typeof kind !== 'string' || kind === 'UNSPECIFIED' || !SPAN_KIND_NAMES.includes(kind as SpanKindName)) {
    throw invalid(
      `${where}: unknown span kind ${JSON.stringify(kind)} (INTERNAL, SERVER, CLIENT, PRODUCER or CONSUMER)`,
    );
  }
  return kind as ExpectedSpanKind;
}

function invalid(message: string): TracebridgeConfigError {
  return new TracebridgeConfigError(TracebridgeErrorCode.InvalidOption, message);
}
