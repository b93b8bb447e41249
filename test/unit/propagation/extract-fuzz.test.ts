/**
 * Fuzz: random and mutated header sets through every carrier's extract. Asserts no throw, no hang (the
 * test's timeout), bounded baggage, and a valid span context only when the input held a valid one.
 *
 * For W3C the check is exact, against an oracle written here independently of the library: the extracted
 * trace and span ids are those of the first candidate value that is a well-formed traceparent, or there is
 * no span context when no candidate is. For B3 and Jaeger, an extracted span context must come from ids
 * present in the input. The PRNG is seeded, so a failure reproduces; FUZZ_SEED overrides the seed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isUtf8 } from 'node:buffer';
import { Metadata } from '@grpc/grpc-js';
import { isSpanContextValid, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { amqpHeadersCarrier } from '../../../src/propagation/amqp-headers-carrier';
import { envelopeHeadersCarrier } from '../../../src/propagation/envelope';
import { grpcMetadataCarrier } from '../../../src/propagation/grpc-metadata-carrier';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import { redisStreamFieldsCarrier } from '../../../src/propagation/redis-stream-fields-carrier';
import type { RedisFieldValue } from '../../../src/propagation/redis-stream-fields-carrier';
import { setupTracing } from '../../helpers/tracing';
import type { PropagatorName, TestTracing } from '../../helpers/tracing';

const SEED = Number(process.env['FUZZ_SEED'] ?? 0x7ace);
// The unit suite runs on every change, so the default is sized for seconds; a deeper run (as for a
// release, or after touching a parser) sets FUZZ_SCALE, e.g. FUZZ_SCALE=4 for the 100,000 W3C sets.
const FUZZ_SCALE = Math.max(1, Number(process.env['FUZZ_SCALE'] ?? 1) || 1);
const W3C_SETS = 25_000 * FUZZ_SCALE;
const OTHER_SETS = 2_500 * FUZZ_SCALE;

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  text(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) {
      s += this.chance(0.9)
        ? String.fromCharCode(32 + this.int(95))
        : String.fromCodePoint(this.int(0x2ffff));
    }
    return s;
  }
}

type Value = unknown;
interface HeaderSet {
  /** Ordered (key, value) pairs; a key may repeat, and a value may itself be an array. */
  readonly entries: [string, Value][];
}

// ---------- generation ----------

function validFor(g: Gen, propagator: PropagatorName): [string, string][] {
  const traceId = g.hex(32);
  const spanId = g.hex(16);
  switch (propagator) {
    case 'w3c':
      return [
        ['traceparent', `00-${traceId}-${spanId}-${g.pick(['00', '01'])}`],
        ['tracestate', `vendor=${g.hex(8)},other=${g.hex(4)}`],
        ['baggage', `user=${g.hex(6)},tenant=acme`],
      ];
    case 'b3-single':
      return [['b3', `${traceId}-${spanId}-${g.pick(['0', '1', 'd'])}`]];
    case 'b3-multi':
      return [
        ['x-b3-traceid', traceId],
        ['x-b3-spanid', spanId],
        ['x-b3-sampled', g.pick(['0', '1'])],
      ];
    case 'jaeger':
      return [
        ['uber-trace-id', `${traceId}:${spanId}:0:${g.pick(['0', '1', '3'])}`],
        ['uberctx-user', g.hex(6)],
      ];
  }
}

function mutateString(g: Gen, s: string): string {
  switch (g.int(14)) {
    case 0:
    case 1:
    case 2:
      return s;
    case 3: {
      const i = g.int(Math.max(1, s.length));
      return s.slice(0, i) + g.pick(['g', 'F', '-', ' ', '0', 'z', '\u00e9', '\n']) + s.slice(i + 1);
    }
    case 4:
      return s.slice(0, g.int(s.length + 1));
    case 5:
      return s + (g.chance(0.1) ? 'x'.repeat(100_000) : `-${g.text(g.int(20))}`);
    case 6:
      return s.toUpperCase();
    case 7:
      return `${g.pick(['', ' ', '\t', '  '])}${s}${g.pick(['', ' ', '\t', '\r\n'])}`;
    case 8:
      return g.pick(['01', 'ff', 'cc', '0', '000', 'zz']) + s.slice(2);
    case 9:
      return s
        .replace(/[\da-f]{16}(?=-[\da-f]{2}$)/, '0000000000000000')
        .replace(/-[\da-f]{32}-/, `-${'0'.repeat(32)}-`);
    case 10:
      return s.replace(/[-:]/g, g.pick(['_', '', ':', '-', '%3A']));
    case 11:
      return g.text(g.int(80));
    case 12:
      return '';
    default:
      return s.repeat(1 + g.int(3));
  }
}

function mutateValue(g: Gen, s: string): Value {
  const m = mutateString(g, s);
  switch (g.int(12)) {
    case 0:
      return Buffer.from(m);
    case 1: {
      const bytes = Buffer.from(m);
      if (bytes.length > 0) bytes[g.int(bytes.length)] = g.pick([0xff, 0xc3, 0x80, 0xfe]);
      return bytes;
    }
    case 2:
      return g.pick([42, null, true, { nested: m }, [[m]], Number.NaN]);
    case 3:
    case 4:
      return Array.from({ length: 1 + g.int(4) }, () =>
        g.chance(0.5) ? mutateString(g, s) : Buffer.from(mutateString(g, s)),
      );
    default:
      return m;
  }
}

function headerSet(g: Gen, propagator: PropagatorName): HeaderSet {
  const entries: [string, Value][] = [];
  for (const [key, value] of validFor(g, propagator)) {
    if (g.chance(0.1)) continue;
    entries.push([g.chance(0.03) ? key.toUpperCase() : key, mutateValue(g, value)]);
    if (g.chance(0.1)) entries.push([key, mutateValue(g, value)]);
  }
  for (let n = g.int(4); n > 0; n--)
    entries.push([g.pick(['x-request-id', 'content-type', g.text(6)]), g.text(g.int(30))]);
  if (g.chance(0.5)) {
    for (let i = entries.length - 1; i > 0; i--) {
      const j = g.int(i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
  }
  return { entries };
}

// ---------- carriers: build the transport's shape, and the candidate values it really holds ----------

interface Materialized {
  readonly extract: () => Context;
  /** Candidate values under `key`, in the order the carrier holds them. */
  readonly candidates: (key: string) => Value[];
}

const flat = (v: Value): Value[] => (Array.isArray(v) ? v : [v]);

/**
 * What a carrier that matches names case-insensitively (Kafka, AMQP, the envelope) reads for `key`, in
 * order: the values under `key` itself, then those under the first other key equal to it ignoring case.
 */
function recordCandidates(record: Record<string, Value>, key: string): Value[] {
  const exact = Object.hasOwn(record, key) ? flat(record[key]) : [];
  const folded = Object.keys(record).find((k) => k !== key && k.toLowerCase() === key);
  return folded === undefined ? exact : [...exact, ...flat(record[folded])];
}

function asRecord(entries: [string, Value][], toValue: (v: Value) => Value): Record<string, Value> {
  // Later duplicates of a key overwrite earlier ones, as in any object.
  const record: Record<string, Value> = {};
  for (const [k, v] of entries) record[k] = toValue(v);
  return record;
}

const MATERIALIZE: Record<string, (set: HeaderSet) => Materialized> = {
  kafka(set) {
    const toKafka = (v: Value): Value =>
      Array.isArray(v)
        ? v.filter((x) => typeof x === 'string' || Buffer.isBuffer(x))
        : typeof v === 'string' || Buffer.isBuffer(v)
          ? v
          : String(v);
    const headers = asRecord(set.entries, toKafka);
    return {
      extract: () => kafkaHeadersCarrier.extract(ROOT_CONTEXT, headers as never),
      candidates: (key) => recordCandidates(headers, key),
    };
  },
  amqp(set) {
    const headers = asRecord(set.entries, (v) => v);
    return {
      extract: () => amqpHeadersCarrier.extract(ROOT_CONTEXT, headers),
      candidates: (key) => recordCandidates(headers, key),
    };
  },
  grpc(set) {
    const metadata = new Metadata();
    for (const [key, value] of set.entries) {
      for (const item of flat(value)) {
        try {
          metadata.add(
            key,
            typeof item === 'string' ? item : Buffer.isBuffer(item) ? item.toString('latin1') : String(item),
          );
        } catch {
          // grpc-js refuses illegal keys and values: they are not part of what the carrier holds.
        }
      }
    }
    return {
      extract: () => grpcMetadataCarrier.extract(ROOT_CONTEXT, metadata),
      candidates: (key) => (key.endsWith('-bin') ? [] : metadata.get(key)),
    };
  },
  redis(set) {
    const fields: RedisFieldValue[] = [];
    for (const [key, value] of set.entries) {
      for (const item of flat(value)) {
        fields.push(key, typeof item === 'string' || Buffer.isBuffer(item) ? item : String(item));
      }
    }
    return {
      extract: () => redisStreamFieldsCarrier.extract(ROOT_CONTEXT, fields),
      candidates: (key) => fields.filter((_, i) => i % 2 === 1 && fields[i - 1] === key),
    };
  },
  envelope(set) {
    const headers = asRecord(set.entries, (v) =>
      typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString() : (JSON.stringify(v) ?? ''),
    );
    return {
      extract: () => envelopeHeadersCarrier.extract(ROOT_CONTEXT, headers as Record<string, string>),
      candidates: (key) => recordCandidates(headers, key),
    };
  },
};

// ---------- oracles ----------

function asText(value: Value, maxBytes: number): string | undefined {
  if (typeof value === 'string') return value.length <= maxBytes ? value : undefined;
  if (Buffer.isBuffer(value)) return value.length <= maxBytes && isUtf8(value) ? value.toString() : undefined;
  return undefined;
}

const W3C_V00 = /^00-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/;
const W3C_FUTURE = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}(-.*)?$/;

/** The ids of the first candidate that is a well-formed traceparent, per the W3C spec. */
function expectedW3c(candidates: Value[]): { traceId: string; spanId: string } | undefined {
  for (const candidate of candidates) {
    const text = asText(candidate, 512)?.replace(/^[ \t]+|[ \t]+$/g, '');
    if (text === undefined) continue;
    const match = W3C_V00.exec(text) ?? W3C_FUTURE.exec(text);
    if (match === null) continue;
    const [traceId, spanId] = match[0].startsWith('00-') ? [match[1]!, match[2]!] : [match[2]!, match[3]!];
    if (match[1] === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(spanId)) continue;
    return { traceId, spanId };
  }
  return undefined;
}

const TRACE_KEYS: Record<PropagatorName, string[]> = {
  w3c: ['traceparent'],
  'b3-single': ['b3'],
  'b3-multi': ['x-b3-traceid', 'x-b3-spanid'],
  jaeger: ['uber-trace-id'],
};

function checkBaggageBounds(ctx: Context): void {
  const entries = propagation.getBaggage(ctx)?.getAllEntries() ?? [];
  assert.ok(entries.length <= 64, `baggage has ${entries.length} entries`);
  const bytes = entries.reduce((sum, [k, e]) => sum + Buffer.byteLength(`${k}=${e.value}`) + 1, -1);
  assert.ok(bytes <= 8192, `baggage has ${bytes} bytes`);
  const traceState = trace.getSpanContext(ctx)?.traceState?.serialize() ?? '';
  assert.ok(traceState.length <= 512, `tracestate has ${traceState.length} characters`);
}

// ---------- the runs ----------

function run(propagator: PropagatorName, sets: number, seed: number): { extracts: number; valid: number } {
  const g = new Gen(seed);
  let extracts = 0;
  let valid = 0;
  for (let n = 0; n < sets; n++) {
    const set = headerSet(g, propagator);
    for (const [carrierName, materialize] of Object.entries(MATERIALIZE)) {
      const m = materialize(set);
      let ctx: Context;
      try {
        ctx = m.extract();
      } catch (error) {
        assert.fail(`${carrierName} extract threw on set #${n} (seed ${seed}): ${String(error)}`);
      }
      extracts++;
      checkBaggageBounds(ctx);
      const spanContext = trace.getSpanContext(ctx);
      const got = spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext : undefined;
      if (got !== undefined) valid++;
      const where = `${propagator} via ${carrierName}, set #${n}, seed ${seed}: ${JSON.stringify(set.entries).slice(0, 300)}`;
      if (propagator === 'w3c') {
        const expected = expectedW3c(m.candidates('traceparent'));
        assert.deepEqual(got && { traceId: got.traceId, spanId: got.spanId }, expected, where);
      } else if (got !== undefined) {
        const input = TRACE_KEYS[propagator]
          .flatMap((k) => m.candidates(k))
          .map((v) => (asText(v, 1_000_000) ?? '').toLowerCase())
          .join(' ');
        assert.ok(input.includes(got.traceId.replace(/^0+/, '')), `trace id not in the input: ${where}`);
        assert.ok(input.includes(got.spanId.replace(/^0+/, '')), `span id not in the input: ${where}`);
      }
    }
  }
  return { extracts, valid };
}

const PROPAGATORS: readonly PropagatorName[] = ['w3c', 'b3-single', 'b3-multi', 'jaeger'];

describe('extract fuzz', { timeout: 300_000 }, () => {
  let tracing: TestTracing | undefined;
  after(() => tracing?.shutdown());

  const plan: [PropagatorName, number][] = [
    ['w3c', W3C_SETS],
    ['b3-single', OTHER_SETS],
    ['b3-multi', OTHER_SETS],
    ['jaeger', OTHER_SETS],
  ];
  for (const [propagator, sets] of plan) {
    it(`${propagator}: ${sets.toLocaleString('en')} header sets through all 5 carriers`, () => {
      tracing = setupTracing(propagator);
      const { extracts, valid } = run(propagator, sets, SEED + sets + propagator.length);
      console.log(
        `fuzz ${propagator}: ${sets} header sets, ${extracts} extracts, ${valid} yielded a valid span context`,
      );
      assert.equal(extracts, sets * 5);
      // The generator must exercise both outcomes, or the oracle would be checking nothing.
      assert.ok(valid > extracts * 0.05 && valid < extracts * 0.95, `valid share ${valid}/${extracts}`);
    });
  }
});

// ---------- worst cases: long runs of what each pattern and parser treats specially ----------

/**
 * The largest value each key's rule lets through (header-limits.ts): the worst cases are built at this
 * size, and one character above it, where they must be refused before any pattern runs.
 */
const MAX_LENGTH: Readonly<Record<string, number>> = {
  traceparent: 512,
  tracestate: 2048,
  baggage: 32_768,
  b3: 72,
  'x-b3-traceid': 32,
  'x-b3-spanid': 16,
  'x-b3-parentspanid': 16,
  'x-b3-sampled': 5,
  'x-b3-flags': 1,
  'uber-trace-id': 160,
  'uberctx-user': 4096,
};

const KEYS_READ: Record<PropagatorName, string[]> = {
  w3c: ['traceparent', 'tracestate', 'baggage'],
  'b3-single': ['b3'],
  'b3-multi': ['x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags'],
  jaeger: ['uber-trace-id', 'uberctx-user'],
};

/** The characters the trim, the list splits, the key=value and property parsers, percent-decoding, the
 * id separators and the hex patterns treat specially. */
const SPECIAL = [' ', '\t', ',', ';', '=', '%', '-', ':', '0', 'f', 'F', '\r\n'];
/** Repeating units that are each parser's worst case: escapes, separators next to ids, members. */
const UNITS = ['%3A', '%zz', '%', '-0', '0-', ':0', ' ,', ', ', '=;', 'k=v;', 'k=v,', 'a=b,', ' \t', '%2C'];

/** A string of exactly `length` characters: `unit` repeated, optionally between two letters. */
function runOf(unit: string, length: number, sandwiched: boolean): string {
  const inner = sandwiched ? length - 3 : length;
  const run = unit.repeat(Math.ceil(inner / unit.length)).slice(0, inner);
  return sandwiched ? ` a${run}b` : run;
}

/** Every worst-case value for one key: each special character and unit, plain and sandwiched, at the
 * maximum size and one above it. */
function worstValues(key: string): string[] {
  const max = MAX_LENGTH[key] ?? 4096;
  const values: string[] = [];
  for (const length of [max, max + 1]) {
    for (const unit of [...SPECIAL, ...UNITS]) {
      values.push(runOf(unit, length, false));
      if (length > 3) values.push(runOf(unit, length, true));
    }
  }
  return values;
}

/** A valid context header for the propagator, so a worst-case field sits next to a usable one. */
function validHeader(propagator: PropagatorName): [string, string] {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const spanId = 'b7ad6b7169203331';
  switch (propagator) {
    case 'w3c':
      return ['traceparent', `00-${traceId}-${spanId}-01`];
    case 'b3-single':
      return ['b3', `${traceId}-${spanId}-1`];
    case 'b3-multi':
      return ['x-b3-traceid', traceId];
    case 'jaeger':
      return ['uber-trace-id', `${traceId}:${spanId}:0:1`];
  }
}

/** The header sets for one propagator: each worst value under each key it reads (as text and bytes, in
 * the propagator's case and in another), floods of baggage headers, and a carrier of 10,000 names. */
function* worstSets(propagator: PropagatorName): Generator<HeaderSet> {
  const [validKey, validValue] = validHeader(propagator);
  for (const key of KEYS_READ[propagator]) {
    for (const value of worstValues(key)) {
      const alongside: [string, Value][] = key === validKey ? [] : [[validKey, validValue]];
      yield { entries: [...alongside, [key, value]] };
      yield { entries: [...alongside, [key.toUpperCase(), Buffer.from(value)]] };
    }
  }
  if (propagator === 'jaeger') {
    for (const unit of ['%', '%3A', ' ', ',', '=']) {
      const flood: [string, Value][] = [[validKey, validValue]];
      for (let i = 0; i < 200; i++) flood.push([`uberctx-k${i}`, runOf(unit, 4096, i % 2 === 0)]);
      yield { entries: flood };
    }
    const many: [string, Value][] = [[validKey, validValue]];
    for (let i = 0; i < 10_000; i++) many.push([`uberctx-k${i}`, `%${i}`]);
    yield { entries: many };
  }
  const names: [string, Value][] = [];
  for (let i = 0; i < 10_000; i++) names.push([`X-Junk-${i}`, ' ,;=%-:']);
  names.push([validKey.toUpperCase(), validValue]);
  yield { entries: names };
}

/** The largest bound among the keys of `set`: no parser may see a longer string. */
function boundOf(set: HeaderSet): number {
  return Math.max(...set.entries.map(([key]) => MAX_LENGTH[key.toLowerCase()] ?? 4096));
}

/**
 * Records the longest string any RegExp, `split` or `decodeURIComponent` is given while `work` runs:
 * the library's parsers and the OpenTelemetry propagators' alike.
 */
function longestParsed(work: () => void): number {
  const regExp = Object.getOwnPropertyDescriptor(RegExp.prototype, 'exec')!;
  const string = Object.getOwnPropertyDescriptor(String.prototype, 'split')!;
  const exec = regExp.value as (this: RegExp, value: string) => RegExpExecArray | null;
  const split = string.value as (this: string, ...args: unknown[]) => string[];
  const decode = globalThis.decodeURIComponent;
  let longest = 0;
  const note = (value: unknown): void => {
    if (typeof value === 'string' && value.length > longest) longest = value.length;
  };
  Object.defineProperty(RegExp.prototype, 'exec', {
    ...regExp,
    value(this: RegExp, value: string) {
      note(value);
      return exec.call(this, value);
    },
  });
  Object.defineProperty(String.prototype, 'split', {
    ...string,
    value(this: string, ...args: unknown[]) {
      note(String(this));
      return split.apply(this, args);
    },
  });
  globalThis.decodeURIComponent = (value: string) => {
    note(value);
    return decode(value);
  };
  try {
    work();
  } finally {
    Object.defineProperty(RegExp.prototype, 'exec', regExp);
    Object.defineProperty(String.prototype, 'split', string);
    globalThis.decodeURIComponent = decode;
  }
  return longest;
}

describe('extract fuzz: worst cases at the maximum sizes', { timeout: 120_000 }, () => {
  let tracing: TestTracing | undefined;
  after(() => tracing?.shutdown());

  for (const propagator of PROPAGATORS) {
    it(`${propagator}: every special-character run through all 5 carriers, bounded before parsing`, () => {
      tracing = setupTracing(propagator);
      let sets = 0;
      let extracts = 0;
      let longest = 0;
      for (const set of worstSets(propagator)) {
        sets++;
        for (const [carrierName, materialize] of Object.entries(MATERIALIZE)) {
          const m = materialize(set);
          let ctx: Context = ROOT_CONTEXT;
          const where = () =>
            `${propagator} via ${carrierName}: ${JSON.stringify(set.entries).slice(0, 200)}`;
          const parsed = longestParsed(() => {
            try {
              ctx = m.extract();
            } catch (error) {
              assert.fail(`extract threw (${String(error)}): ${where()}`);
            }
          });
          extracts++;
          longest = Math.max(longest, parsed);
          checkBaggageBounds(ctx);
          // Nothing longer than the bound of a key in the set is ever handed to a pattern, split or decode.
          assert.ok(parsed <= boundOf(set), `${parsed} characters parsed: ${where()}`);
        }
      }
      console.log(
        `fuzz worst cases ${propagator}: ${sets} header sets, ${extracts} extracts, longest string parsed ${longest}`,
      );
      assert.equal(extracts, sets * 5);
    });
  }

  it('a value one character above its bound never reaches a parser', () => {
    tracing = setupTracing('w3c');
    for (const key of Object.keys(MAX_LENGTH)) {
      for (const value of worstValues(key).filter((v) => v.length > MAX_LENGTH[key]!)) {
        for (const materialize of Object.values(MATERIALIZE)) {
          const m = materialize({ entries: [[key, value]] });
          const parsed = longestParsed(() => m.extract());
          assert.ok(parsed < value.length, `${key}: a ${value.length}-character value was parsed`);
        }
      }
    }
  });
});
