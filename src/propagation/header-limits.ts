import { isUtf8 } from 'node:buffer';
import { isHexRun } from './hex-digits';

/**
 * Bounds and validity rules for inbound propagation headers.
 *
 * Header values come from the outside world and are hostile input: a value is bounded in size before it is
 * decoded, parsed without throwing, and dropped when it does not parse, so the message is processed as a
 * new trace. Where a key carries several values (a repeated Kafka header, an AMQP array, a gRPC metadata
 * key sent twice) the first *valid* value wins; values are never joined with commas, which would turn two
 * well-formed headers into one malformed one.
 */

/** W3C Trace Context limits; see https://www.w3.org/TR/trace-context/#tracestate-limits */
export const TRACESTATE_MAX_MEMBERS = 32;
export const TRACESTATE_MAX_LENGTH = 512;
/** A tracestate member longer than this is the first to go when the whole value is too long. */
const TRACESTATE_LONG_MEMBER = 128;
/** W3C Baggage limits as tracebridge applies them; see https://www.w3.org/TR/baggage/#limits */
export const BAGGAGE_MAX_MEMBERS = 64;
export const BAGGAGE_MAX_BYTES = 8192;
/** A version-00 traceparent is exactly this long. */
export const TRACEPARENT_V00_LENGTH = 55;
/** Future traceparent versions may append fields; beyond this length a value is refused outright. */
const TRACEPARENT_MAX_LENGTH = 512;
/** Bound for any other header a propagator asks for (`uberctx-*`, `jaeger-baggage`, ...). */
export const GENERIC_HEADER_MAX_LENGTH = 4096;

/** Checks and normalises one candidate value; `undefined` means "not usable". */
interface HeaderRule {
  readonly maxLength: number;
  /**
   * The format is ASCII by definition (hex ids and separators): bytes are decoded as latin1, which is
   * cheaper than validating UTF-8, and any byte above 0x7f then fails the rule's pattern, exactly as a
   * non-UTF-8 or non-ASCII value should.
   */
  readonly ascii: boolean;
  readonly accept: (value: string) => string | undefined;
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

/**
 * Whether the 55 characters of a traceparent's four fields (`{version}-{trace-id}-{parent-id}-{flags}`)
 * are lowercase hex with the dashes in place (at 2, 35 and 52).
 */
function hasTraceparentShape(value: string): boolean {
  return (
    value.charCodeAt(2) === 0x2d &&
    value.charCodeAt(35) === 0x2d &&
    value.charCodeAt(52) === 0x2d &&
    isHexRun(value, 0, 2, 'lower') &&
    isHexRun(value, 3, 35, 'lower') &&
    isHexRun(value, 36, 52, 'lower') &&
    isHexRun(value, 53, TRACEPARENT_V00_LENGTH, 'lower')
  );
}

function isOws(charCode: number): boolean {
  return charCode === 0x20 || charCode === 0x09;
}

/**
 * Optional whitespace around a header value (RFC 9110 OWS: spaces and tabs only), removed by an index
 * scan: a RegExp such as `/^[ \t]+|[ \t]+$/g` retries its second branch at every space of a long run, which
 * is quadratic in the run's length and lets one header freeze the event loop.
 */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/**
 * A W3C traceparent: lowercase hex fields, version `ff` forbidden, all-zero ids invalid; version 00 has
 * exactly four fields, later versions may append more after a dash.
 * @see https://www.w3.org/TR/trace-context/#traceparent-header-field-values
 */
function acceptTraceparent(raw: string): string | undefined {
  const value = trimOws(raw);
  if (value.length < TRACEPARENT_V00_LENGTH || !hasTraceparentShape(value)) return undefined;
  if (value.startsWith('ff') || value.startsWith(ZERO_TRACE_ID, 3) || value.startsWith(ZERO_PARENT_ID, 36)) {
    return undefined;
  }
  if (value.length > TRACEPARENT_V00_LENGTH) {
    if (value.startsWith('00') || value.charCodeAt(TRACEPARENT_V00_LENGTH) !== 0x2d) return undefined;
  }
  return value;
}

/**
 * Keeps a tracestate within 32 members and 512 characters. Too many members drops the whole value (the
 * list cannot be trusted); too long drops whole members, long ones first, then from the end, never cutting
 * one in half.
 */
export function limitTraceState(raw: string): string | undefined {
  if (raw.length <= TRACESTATE_MAX_LENGTH && isTidyList(raw, TRACESTATE_MAX_MEMBERS)) return raw;
  const members = raw
    .split(',')
    .map(trimOws)
    .filter((m) => m.length > 0);
  if (members.length === 0 || members.length > TRACESTATE_MAX_MEMBERS) return undefined;
  let kept = members;
  if (joinedLength(kept) > TRACESTATE_MAX_LENGTH)
    kept = kept.filter((m) => m.length <= TRACESTATE_LONG_MEMBER);
  while (kept.length > 0 && joinedLength(kept) > TRACESTATE_MAX_LENGTH) kept = kept.slice(0, -1);
  return kept.length > 0 ? kept.join(',') : undefined;
}

/**
 * Whether `raw` is already what the list limits make of a list within their bounds: between 1 and
 * `maxMembers` comma-separated members, none empty, and no optional whitespace anywhere (so none around a
 * member to trim). Most tracestate and baggage headers are; such a value is handed on as it is, after one
 * scan of its characters, instead of being split, trimmed, filtered and joined into an equal string.
 */
function isTidyList(raw: string, maxMembers: number): boolean {
  let members = 1;
  // As if a comma came before the first member: an empty first member is refused like any other.
  let previous = 0x2c;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x2c) {
      if (previous === 0x2c || ++members > maxMembers) return false;
    } else if (isOws(c)) {
      return false;
    }
    previous = c;
  }
  return previous !== 0x2c;
}

function joinedLength(members: readonly string[]): number {
  return members.reduce((sum, m) => sum + m.length, 0) + Math.max(0, members.length - 1);
}

/** Keeps a baggage header within 64 members and 8192 bytes by dropping whole members from the end. */
export function limitBaggage(raw: string): string | undefined {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: a short value needs no count of its bytes.
  if (
    raw.length <= BAGGAGE_MAX_BYTES &&
    isTidyList(raw, BAGGAGE_MAX_MEMBERS) &&
    (raw.length * 3 <= BAGGAGE_MAX_BYTES || Buffer.byteLength(raw) <= BAGGAGE_MAX_BYTES)
  ) {
    return raw;
  }
  let members = raw
    .split(',')
    .map(trimOws)
    .filter((m) => m.length > 0);
  if (members.length > BAGGAGE_MAX_MEMBERS) members = members.slice(0, BAGGAGE_MAX_MEMBERS);
  let bytes = members.reduce((sum, m) => sum + Buffer.byteLength(m), 0) + Math.max(0, members.length - 1);
  while (members.length > 0 && bytes > BAGGAGE_MAX_BYTES) {
    const last = members[members.length - 1] ?? '';
    bytes -= Buffer.byteLength(last) + (members.length > 1 ? 1 : 0);
    members = members.slice(0, -1);
  }
  return members.length > 0 ? members.join(',') : undefined;
}

/**
 * A rule for the hex-based B3 and Jaeger headers. Their propagators accept uppercase hex as valid ids; we
 * lowercase it, so an id compares equal to the same id elsewhere in the trace (the formats mean lowercase).
 */
function hexPattern(regex: RegExp, maxLength: number): HeaderRule {
  return {
    maxLength,
    ascii: true,
    accept: (raw) => {
      const value = trimOws(raw).toLowerCase();
      return regex.test(value) ? value : undefined;
    },
  };
}

const RULES: ReadonlyMap<string, HeaderRule> = new Map<string, HeaderRule>([
  ['traceparent', { maxLength: TRACEPARENT_MAX_LENGTH, ascii: true, accept: acceptTraceparent }],
  ['tracestate', { maxLength: TRACESTATE_MAX_LENGTH * 4, ascii: false, accept: limitTraceState }],
  ['baggage', { maxLength: BAGGAGE_MAX_BYTES * 4, ascii: false, accept: limitBaggage }],
  // B3 single header: {traceId}-{spanId}[-{sampled}[-{parentSpanId}]] or a bare sampling flag. Ids have
  // their exact lengths (trace 16 or 32 hex, span and parent 16): the propagator's own pattern is not
  // anchored and would continue a 31-hex trace id under a 16-hex substring the sender never used.
  // https://github.com/openzipkin/b3-propagation#single-header
  ['b3', hexPattern(/^[\da-f]{16}(?:[\da-f]{16})?-[\da-f]{16}(?:-[01d](?:-[\da-f]{16})?)?$|^[01d]$/, 72)],
  ['x-b3-traceid', hexPattern(/^[\da-f]{16}([\da-f]{16})?$/, 32)],
  ['x-b3-spanid', hexPattern(/^[\da-f]{16}$/, 16)],
  ['x-b3-parentspanid', hexPattern(/^[\da-f]{16}$/, 16)],
  ['x-b3-sampled', hexPattern(/^(0|1|true|false|d)$/, 5)],
  ['x-b3-flags', hexPattern(/^[01]$/, 1)],
  // Jaeger: {trace-id}:{span-id}:{parent-span-id}:{flags}, sometimes URL-encoded (%3A).
  ['uber-trace-id', hexPattern(/^[\da-f:%]+$/, 160)],
]);

/**
 * Whether `key` is one of the fixed fields of the W3C, B3 and Jaeger formats, read under its own rule.
 * Any other key a propagator asks for was discovered among the carrier's keys (Jaeger's `uberctx-*`
 * baggage) or belongs to a format tracebridge has no rule for; such reads share one budget per extract.
 */
export function hasHeaderRule(key: string): boolean {
  return RULES.has(key);
}

const GENERIC_RULE: HeaderRule = {
  maxLength: GENERIC_HEADER_MAX_LENGTH,
  ascii: false,
  accept: (value) => value,
};

/**
 * Picks the value a propagator should see for `key` (under the rule of its lowercase name) out of
 * whatever a carrier holds there: a string, a byte buffer (decoded only when it is valid UTF-8 and within
 * bounds), or an array of them (first valid wins). Any other type (a number, a nested table, `null`) is
 * not a propagation header and yields `undefined`. Never throws.
 */
export function selectHeaderValue(key: string, raw: unknown): string | undefined {
  const rule = ruleFor(key);
  if (typeof raw === 'string') return acceptCandidate(rule, raw);
  if (raw instanceof Uint8Array) return acceptBytes(rule, raw);
  if (Array.isArray(raw)) {
    for (const item of raw as unknown[]) {
      const value =
        typeof item === 'string'
          ? acceptCandidate(rule, item)
          : item instanceof Uint8Array
            ? acceptBytes(rule, item)
            : undefined;
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

/**
 * The rule of a header name, whatever its case: names of these formats are case-insensitive, and a
 * carrier that falls back to `X-B3-TraceId` must read it under the rule of `x-b3-traceid`.
 */
function ruleFor(key: string): HeaderRule {
  const rule = RULES.get(key);
  if (rule !== undefined) return rule;
  const lower = key.toLowerCase();
  return (lower === key ? undefined : RULES.get(lower)) ?? GENERIC_RULE;
}

function acceptCandidate(rule: HeaderRule, value: string): string | undefined {
  return value.length <= rule.maxLength ? rule.accept(value) : undefined;
}

function acceptBytes(rule: HeaderRule, bytes: Uint8Array): string | undefined {
  // Checked before decoding, so an oversized value costs nothing to refuse.
  if (bytes.byteLength > rule.maxLength) return undefined;
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (rule.ascii) return rule.accept(buffer.toString('latin1'));
  return isUtf8(buffer) ? rule.accept(buffer.toString('utf8')) : undefined;
}
