import type { TextMapGetter } from '@opentelemetry/api';
import { BAGGAGE_MAX_BYTES, BAGGAGE_MAX_MEMBERS, hasHeaderRule } from './header-limits';

/** The index of a carrier without a name in another case than lowercase: shared, never written. */
const NO_FOLDED_NAMES: ReadonlyMap<string, string> = new Map();

/** The names of tracebridge's own fields (`tracebridge-origin`, `tracebridge-signature`) start so. */
const OWN_FIELD_PREFIX = 'tracebridge-';

/**
 * The getter one extract runs with: the transport's getter, bounded in the work a hostile carrier can
 * cause, and optionally tolerant of header-name case.
 *
 * - Fields without a rule of their own (see `hasHeaderRule`), above all Jaeger's `uberctx-*` baggage,
 *   whose number the sender chooses: at most {@link BAGGAGE_MAX_MEMBERS} of them are looked up, and their
 *   values are handed out while their total stays within {@link BAGGAGE_MAX_BYTES} UTF-8 bytes. Beyond
 *   that `get` answers `undefined` without touching the carrier, so 10,000 `uberctx-*` headers cost no
 *   more decoding than 64 (the propagator still filters the key list once, which is linear).
 * - With `caseInsensitive`, a field that yields no valid value under exactly the name asked for is read
 *   under the first name equal to it ignoring case (`X-B3-TraceId` for `x-b3-traceid`). One index of the
 *   carrier's names is built on the first such miss and reused for every later one: linear in the number
 *   of headers, never a scan per field asked for.
 * - tracebridge's own fields (`tracebridge-*`) are read under their exact name alone (no index is built
 *   for them), within the size bound of every value (see `selectHeaderValue`), and never count against
 *   the budget of the fields above.
 *
 * A new reading is made for every extract: its budget and index belong to one carrier.
 */
export class CarrierReading<C> implements TextMapGetter<C> {
  readonly #getter: TextMapGetter<C>;
  readonly #caseInsensitive: boolean;
  #unruledReads = 0;
  #unruledBytes = 0;
  #foldedNames: ReadonlyMap<string, string> | undefined;

  constructor(getter: TextMapGetter<C>, caseInsensitive: boolean) {
    this.#getter = getter;
    this.#caseInsensitive = caseInsensitive;
  }

  keys(carrier: C): string[] {
    return this.#getter.keys(carrier);
  }

  get(carrier: C, key: string): string | string[] | undefined {
    // tracebridge's own fields are written by tracebridge alone, in lowercase: one exact lookup, no index
    // of the carrier's names for another casing, and outside the budget of the fields a propagator finds.
    if (key.startsWith(OWN_FIELD_PREFIX)) return this.#getter.get(carrier, key);
    if (hasHeaderRule(key)) return this.#lookup(carrier, key);
    if (this.#unruledReads >= BAGGAGE_MAX_MEMBERS) return undefined;
    this.#unruledReads++;
    const value = this.#lookup(carrier, key);
    if (value === undefined) return undefined;
    this.#unruledBytes += byteLength(value);
    if (this.#unruledBytes > BAGGAGE_MAX_BYTES) {
      // The budget is spent: like an oversized baggage header, the rest is dropped from here on.
      this.#unruledReads = BAGGAGE_MAX_MEMBERS;
      return undefined;
    }
    return value;
  }

  #lookup(carrier: C, key: string): string | string[] | undefined {
    const exact = this.#getter.get(carrier, key);
    if (exact !== undefined || !this.#caseInsensitive) return exact;
    const name = this.#foldedName(carrier, key);
    return name === undefined ? undefined : this.#getter.get(carrier, name);
  }

  #foldedName(carrier: C, key: string): string | undefined {
    if (this.#foldedNames === undefined) {
      let folded: Map<string, string> | undefined;
      for (const name of this.#getter.keys(carrier)) {
        // Scanned, not lowered and compared: `toLowerCase` makes a new string even of a lowercase name.
        if (!mayHaveUpperCase(name)) continue;
        const lower = name.toLowerCase();
        if (lower === name) continue;
        folded ??= new Map();
        // The first such name wins, as the first value of a repeated header does.
        if (!folded.has(lower)) folded.set(lower, name);
      }
      // Most carriers have no name in another case: they share one empty index rather than each a Map.
      this.#foldedNames = folded ?? NO_FOLDED_NAMES;
    }
    // Nothing to find in an empty index: no lowered copy of the key for it.
    if (this.#foldedNames.size === 0) return undefined;
    const name = this.#foldedNames.get(key.toLowerCase());
    return name === key ? undefined : name;
  }
}

/**
 * Whether `name` may differ from its lowercase form: it holds an ASCII capital, or any character outside
 * ASCII (left to `toLowerCase` to decide). A scan of character codes, which allocates nothing.
 */
function mayHaveUpperCase(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c >= 0x80) return true;
  }
  return false;
}

function byteLength(value: string | string[]): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  let bytes = 0;
  for (const item of value) bytes += Buffer.byteLength(item);
  return bytes;
}
