/**
 * Stream entry fields in the shapes ioredis uses: the flat `[field, value, ...]` list of `XADD` arguments
 * and of replies, a plain object, or a `Map` (RESP3 map replies).
 */
import { propagation } from '@opentelemetry/api';
import { OWN_FIELDS } from '../core/own-fields';
import type { RedisArgument } from './redis-client';
import type { StreamFieldsInput } from './redis-options';

/** The field a delayed job carries from `schedule` to its processing: when it was scheduled (ms). */
export const SCHEDULED_AT_FIELD = 'tracebridge-scheduled-at';

/** The propagator's fields {@link contextFieldNames} last saw, and the names it made of them. */
let lastPropagatorFields: readonly string[] = [];
let lastNames: ReadonlySet<string> = new Set([...OWN_FIELDS, SCHEDULED_AT_FIELD]);

/**
 * The names of the fields tracebridge adds to an entry: the registered propagator's fields (`traceparent`,
 * `tracestate`, `baggage`, `b3`, ...), tracebridge's own (the context's signature, its pipeline's origin)
 * and {@link SCHEDULED_AT_FIELD}. Read per batch, as the application may register its propagator after
 * creating a consumer; the set is made again only when the propagator's fields change (a few string
 * compares per batch, rather than a set and two lists).
 */
export function contextFieldNames(): ReadonlySet<string> {
  const fields = propagation.fields();
  if (!sameNames(fields, lastPropagatorFields)) {
    lastNames = new Set([...fields, ...OWN_FIELDS, SCHEDULED_AT_FIELD]);
    lastPropagatorFields = [...fields];
  }
  return lastNames;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function nameOf(name: unknown): string | undefined {
  if (typeof name === 'string') return name;
  if (Buffer.isBuffer(name)) return name.toString('latin1');
  return undefined;
}

/**
 * The fields of a reply entry as a flat list, whatever shape they came in; `undefined` for anything that
 * is not fields (a deleted entry's `null`, a malformed reply).
 */
export function flatFields(fields: unknown): (string | Buffer)[] | undefined {
  if (Array.isArray(fields)) return fields as (string | Buffer)[];
  if (fields instanceof Map) {
    const flat: (string | Buffer)[] = [];
    for (const [name, value] of fields as Map<string | Buffer, string | Buffer>) flat.push(name, value);
    return flat;
  }
  if (typeof fields === 'object' && fields !== null && !Buffer.isBuffer(fields)) {
    const flat: (string | Buffer)[] = [];
    for (const [name, value] of Object.entries(fields as Record<string, string | Buffer>))
      flat.push(name, value);
    return flat;
  }
  return undefined;
}

/**
 * `flat` without the fields named in `names`; `flat` itself (no copy) when it has none of them. One pass:
 * the copy starts at the first field to drop.
 */
export function withoutFields<V>(flat: readonly V[], names: ReadonlySet<string>): readonly V[] {
  let kept: V[] | undefined;
  for (let i = 0; i < flat.length; i += 2) {
    if (isNamed(flat[i], names)) {
      kept ??= flat.slice(0, i);
      continue;
    }
    if (kept === undefined) continue;
    kept.push(flat[i] as V);
    if (i + 1 < flat.length) kept.push(flat[i + 1] as V);
  }
  return kept ?? flat;
}

/**
 * Whether a field name is one of `names`: a string name is looked up as it is, and only a Buffer name
 * (from the `*Buffer` commands) is decoded first. This runs for every field of every entry.
 */
function isNamed(name: unknown, names: ReadonlySet<string>): boolean {
  if (typeof name === 'string') return names.has(name);
  return Buffer.isBuffer(name) && names.has(name.toString('latin1'));
}

/** The first value of field `name` as a string, or `undefined`. */
export function fieldString(flat: readonly unknown[], name: string): string | undefined {
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (nameOf(flat[i]) !== name) continue;
    const value = flat[i + 1];
    if (typeof value === 'string') return value;
    if (Buffer.isBuffer(value)) return value.toString('latin1');
  }
  return undefined;
}

/** Fields to add, as the flat `field, value, ...` argument list `XADD` takes. */
export function fieldArguments(fields: StreamFieldsInput): RedisArgument[] {
  if (Array.isArray(fields)) return fields as RedisArgument[];
  const flat: RedisArgument[] = [];
  if (fields instanceof Map) {
    for (const [name, value] of fields as ReadonlyMap<string, RedisArgument>) flat.push(name, value);
  } else {
    for (const [name, value] of Object.entries(fields as Readonly<Record<string, RedisArgument>>))
      flat.push(name, value);
  }
  return flat;
}
