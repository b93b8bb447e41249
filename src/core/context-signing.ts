/**
 * Signed creation context: producers inside a trust domain sign the span context they inject, and
 * consumers and servers continue only contexts whose signature is valid and fresh.
 *
 * The signature is carried in a header of tracebridge's own, `tracebridge-signature`, whatever propagator
 * carries the context itself (W3C, B3, Jaeger): it signs the span context, not one header's text.
 *
 * Format (version 1), at most {@link SIGNATURE_MAX_LENGTH} characters:
 *
 * ```
 * v1:{key id}:{created at, ms since the epoch, decimal}:{HMAC-SHA256, base64url without padding}
 * ```
 *
 * The MAC is computed over `tracebridge-signature/v1|{key id}|{created at}|{trace id}|{span id}|{0 or 1}`,
 * the last field being the sampled bit of the trace flags (the only flag every propagator carries).
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { trace, TraceFlags, ValueType } from '@opentelemetry/api';
import { isValidSpanContext } from '../propagation/span-context-validity';
import type {
  Attributes,
  Context,
  Counter,
  Meter,
  SpanContext,
  TextMapPropagator,
  TextMapSetter,
} from '@opentelemetry/api';
import { safely } from './diagnostics';
import { TracebridgeConfigError, TracebridgeErrorCode } from './errors';
import {
  ATTR_TRACEBRIDGE_TRUST_FAILURE_REASON,
  METRIC_TRACEBRIDGE_TRUST_VERIFICATION_FAILURES,
} from './semantic-attributes';

/** The header (metadata key, stream field, envelope header) the signature travels in. */
export const SIGNATURE_HEADER = 'tracebridge-signature';

/** A version-1 signature is never longer than this; a longer value is refused before it is parsed. */
export const SIGNATURE_MAX_LENGTH = 128;

/** The shortest secret accepted: 32 bytes, the HMAC-SHA256 output size (RFC 2104, section 3). */
export const MIN_SECRET_BYTES = 32;

/** Default freshness window: a signature older than a day no longer verifies. */
export const DEFAULT_SIGNATURE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** How far in the future a signature's creation time may be (producer clocks drift). */
export const SIGNATURE_CLOCK_SKEW_MS = 60 * 1000;

/** One shared secret, named so that keys can rotate: verify with the old and new, sign with the new. */
export interface SigningKey {
  /** 1 to 32 characters from `A-Z a-z 0-9 _ -`; travels in the header. */
  readonly id: string;
  /** At least 32 bytes (a string is taken as UTF-8). */
  readonly secret: string | Uint8Array;
}

/**
 * The `signing` option of every adapter. Without it nothing is signed or verified, at no cost.
 *
 * @example
 * ```ts
 * signing: { keys: [{ id: '2026-12', secret: process.env.TRACE_KEY_NEW }, { id: '2026-11', secret: process.env.TRACE_KEY_OLD }], signWith: '2026-12' }
 * ```
 */
export interface SigningOption {
  /** Every key a signature may verify with. At least one; ids unique. */
  readonly keys: readonly SigningKey[];
  /** The id of the key producers sign with. Default: none, nothing is signed (a verifying-only side). */
  readonly signWith?: string;
  /**
   * How long after its creation a signature verifies, in ms: a redelivered, requeued or long-queued
   * message keeps verifying within it, as its signature carries the time the context was created.
   * Default: 24 hours.
   */
  readonly maxAgeMs?: number;
  /**
   * What happens to a context that does not verify where the policy would have continued it
   * (`'parent'` or `'continue'`): `'link'` starts a new trace linked to it, `'ignore'` neither continues
   * nor links it. Default: `'link'`.
   */
  readonly unverified?: 'link' | 'ignore';
}

/** Why a context failed verification: the `tracebridge.trust.failure_reason` attribute's values. */
export type SignatureFailure =
  /** No signature came with the context. */
  | 'missing'
  /** The header is too long or not of the documented format. */
  | 'malformed'
  /** The key id is not among the configured keys. */
  | 'unknown_key'
  /** The MAC does not match: a forgery, or a signature copied onto another context. */
  | 'mismatch'
  /** Created longer ago than `maxAgeMs`. */
  | 'expired'
  /** Created more than a minute in the future. */
  | 'future';

/** The outcome of checking one inbound context: `'valid'` or why not. */
export type SignatureCheck = 'valid' | SignatureFailure;

const VERSION_PREFIX = 'v1:';
const MAC_LABEL = 'tracebridge-signature/v1';
const MAC_BYTES = 32;
/** 32 bytes in base64url without padding. */
const MAC_TEXT_LENGTH = 43;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** Creation times are ms since the epoch: 13 digits until the year 2286. */
const MAX_TIME_DIGITS = 15;

/** What a validated `signing` option becomes: each side uses the half it needs. */
export interface ContextSigning {
  /** Writes the signature next to the injected context; `undefined` when no `signWith` was given. */
  readonly signer: TextMapPropagator | undefined;
  /** Checks inbound contexts. */
  readonly verifier: ContextVerifier;
}

/**
 * Validates a `signing` option once, at setup (throwing a {@link TracebridgeConfigError} coded
 * `TRACEBRIDGE_INVALID_SIGNING` when it is malformed), and returns the signer and verifier it configures;
 * `undefined` when the option is absent, so that adapters decide at construction that nothing is signed.
 */
export function createContextSigning(
  option: SigningOption | undefined,
  meter: Meter,
): ContextSigning | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'object' || option === null) throw invalid('signing must be an object');
  for (const key of Object.keys(option)) {
    if (!['keys', 'signWith', 'maxAgeMs', 'unverified'].includes(key))
      throw invalid(
        `signing has no option ${JSON.stringify(key)} (accepted: keys, signWith, maxAgeMs, unverified)`,
      );
  }
  const keys = checkKeys(option.keys);
  const maxAgeMs = option.maxAgeMs ?? DEFAULT_SIGNATURE_MAX_AGE_MS;
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs <= 0)
    throw invalid(`signing.maxAgeMs must be a positive integer of ms, got ${String(maxAgeMs)}`);
  const unverified = option.unverified ?? 'link';
  if (unverified !== 'link' && unverified !== 'ignore')
    throw invalid(`signing.unverified must be 'link' or 'ignore', got ${JSON.stringify(unverified)}`);
  let signer: TextMapPropagator | undefined;
  if (option.signWith !== undefined) {
    const key = keys.get(option.signWith);
    if (key === undefined)
      throw invalid(
        `signing.signWith ${JSON.stringify(option.signWith)} is not among signing.keys (${[...keys.keys()].join(', ')})`,
      );
    signer = new SignaturePropagator(option.signWith, key);
  }
  const failures = safely(
    'creating the verification failure counter',
    () =>
      meter.createCounter(METRIC_TRACEBRIDGE_TRUST_VERIFICATION_FAILURES, {
        description: 'Inbound trace contexts that failed signature verification, by reason.',
        unit: '{context}',
        valueType: ValueType.INT,
      }),
    undefined,
  );
  return { signer, verifier: new ContextVerifier(keys, maxAgeMs, unverified, failures) };
}

function checkKeys(keys: unknown): Map<string, KeyObject> {
  if (!Array.isArray(keys) || keys.length === 0)
    throw invalid('signing.keys must be a non-empty array of { id, secret }');
  const byId = new Map<string, KeyObject>();
  keys.forEach((key: unknown, i) => {
    const where = `signing.keys[${i}]`;
    if (typeof key !== 'object' || key === null) throw invalid(`${where} must be an object { id, secret }`);
    const { id, secret } = key as { id?: unknown; secret?: unknown };
    if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id))
      throw invalid(`${where}.id must be 1 to 32 characters of A-Z, a-z, 0-9, _ and -`);
    if (byId.has(id)) throw invalid(`${where}.id ${JSON.stringify(id)} is given twice`);
    const bytes =
      typeof secret === 'string'
        ? Buffer.from(secret, 'utf8')
        : secret instanceof Uint8Array
          ? secret
          : undefined;
    if (bytes === undefined) throw invalid(`${where}.secret must be a string or bytes`);
    if (bytes.length < MIN_SECRET_BYTES)
      throw invalid(`${where}.secret is ${bytes.length} bytes; at least ${MIN_SECRET_BYTES} are needed`);
    byId.set(id, createSecretKey(Buffer.from(bytes)));
  });
  return byId;
}

function mac(key: KeyObject, keyId: string, createdAtMs: string, spanContext: SpanContext): Buffer {
  const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0 ? '1' : '0';
  return createHmac('sha256', key)
    .update(`${MAC_LABEL}|${keyId}|${createdAtMs}|${spanContext.traceId}|${spanContext.spanId}|${sampled}`)
    .digest();
}

/**
 * Signs on inject, run by a carrier after the global propagator with the same setter. What arrives is
 * read with the origin by the own fields' reader (`own-fields.ts`), so this propagator extracts nothing.
 */
class SignaturePropagator implements TextMapPropagator {
  readonly #keyId: string;
  readonly #key: KeyObject;

  constructor(keyId: string, key: KeyObject) {
    this.#keyId = keyId;
    this.#key = key;
  }

  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(ctx);
    if (spanContext === undefined || !isValidSpanContext(spanContext)) return;
    const createdAtMs = String(Date.now());
    const signature = mac(this.#key, this.#keyId, createdAtMs, spanContext).toString('base64url');
    setter.set(carrier, SIGNATURE_HEADER, `${VERSION_PREFIX}${this.#keyId}:${createdAtMs}:${signature}`);
  }

  extract(ctx: Context): Context {
    return ctx;
  }

  fields(): string[] {
    return [SIGNATURE_HEADER];
  }
}

/** A parsed, well-formed signature header; nothing verified yet. */
interface ParsedSignature {
  readonly keyId: string;
  readonly createdAtText: string;
  readonly createdAtMs: number;
  readonly mac: Buffer;
}

/**
 * Parses a signature header in time linear in its length, after refusing anything longer than
 * {@link SIGNATURE_MAX_LENGTH}. `undefined` when it is not of the documented format.
 */
export function parseSignature(value: string): ParsedSignature | undefined {
  if (value.length > SIGNATURE_MAX_LENGTH || !value.startsWith(VERSION_PREFIX)) return undefined;
  const parts = value.slice(VERSION_PREFIX.length).split(':');
  if (parts.length !== 3) return undefined;
  const [keyId, createdAtText, macText] = parts as [string, string, string];
  if (!KEY_ID_PATTERN.test(keyId)) return undefined;
  if (!/^[0-9]+$/.test(createdAtText) || createdAtText.length > MAX_TIME_DIGITS) return undefined;
  if (macText.length !== MAC_TEXT_LENGTH || !/^[A-Za-z0-9_-]+$/.test(macText)) return undefined;
  const decoded = Buffer.from(macText, 'base64url');
  if (decoded.length !== MAC_BYTES) return undefined;
  return { keyId, createdAtText, createdAtMs: Number(createdAtText), mac: decoded };
}

/** Checks inbound contexts against the configured keys and freshness window. */
export class ContextVerifier {
  /** The policy an unverified context falls back to. */
  readonly unverified: 'link' | 'ignore';
  readonly #keys: ReadonlyMap<string, KeyObject>;
  readonly #maxAgeMs: number;
  readonly #failures: Counter | undefined;

  /** @internal Made by {@link createContextSigning}. */
  constructor(
    keys: ReadonlyMap<string, KeyObject>,
    maxAgeMs: number,
    unverified: 'link' | 'ignore',
    failures: Counter | undefined,
  ) {
    this.#keys = keys;
    this.#maxAgeMs = maxAgeMs;
    this.unverified = unverified;
    this.#failures = failures;
  }

  /** Counts one failure on `tracebridge.trust.verification_failures`, with the destination's attributes. */
  recordFailure(reason: SignatureFailure, attributes: Attributes): void {
    safely(
      'counting a verification failure',
      () => this.#failures?.add(1, { ...attributes, [ATTR_TRACEBRIDGE_TRUST_FAILURE_REASON]: reason }),
      undefined,
    );
  }

  /**
   * Whether `signature`, the raw header that came with a context (see `InboundOwnFields`), is valid for
   * its span context, now. The MAC is compared in constant time.
   */
  check(signature: string | undefined, spanContext: SpanContext, nowMs = Date.now()): SignatureCheck {
    if (signature === undefined) return 'missing';
    const parsed = parseSignature(signature);
    if (parsed === undefined) return 'malformed';
    const key = this.#keys.get(parsed.keyId);
    if (key === undefined) return 'unknown_key';
    const expected = mac(key, parsed.keyId, parsed.createdAtText, spanContext);
    if (!timingSafeEqual(expected, parsed.mac)) return 'mismatch';
    if (parsed.createdAtMs > nowMs + SIGNATURE_CLOCK_SKEW_MS) return 'future';
    if (nowMs - parsed.createdAtMs > this.#maxAgeMs) return 'expired';
    return 'valid';
  }
}

function invalid(message: string): TracebridgeConfigError {
  return new TracebridgeConfigError(TracebridgeErrorCode.InvalidSigning, message);
}
