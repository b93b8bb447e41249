import type { TextMapGetter } from '@opentelemetry/api';
import { createContextCarrier } from './context-carrier';
import { selectHeaderValue } from './header-limits';
import { assignOwnFields } from './own-fields';

/** A stream entry field name or value as ioredis hands it over (string replies or `*Buffer` replies). */
export type RedisFieldValue = string | Buffer | number;

/**
 * The fields of a Redis stream entry, in any of the shapes ioredis uses: the flat `[field, value, ...]`
 * list of `XADD` arguments and RESP2 replies, a plain object, or a `Map` (RESP3 map replies).
 */
export type RedisStreamFields =
  | readonly RedisFieldValue[]
  | Readonly<Record<string, RedisFieldValue>>
  | ReadonlyMap<string | Buffer, RedisFieldValue>;

function fieldName(name: unknown): string | undefined {
  if (typeof name === 'string') return name;
  if (Buffer.isBuffer(name)) return name.toString('latin1');
  return undefined;
}

/** Whether a field name (string or Buffer reply) is `key`, without decoding names of another length. */
function isField(name: unknown, key: string): boolean {
  if (typeof name === 'string') return name === key;
  return Buffer.isBuffer(name) && name.length === key.length && name.toString('latin1') === key;
}

/** The first valid value stored under `key`, in entry order (a field may repeat in a stream entry). */
function firstValid(fields: RedisStreamFields, key: string): string | undefined {
  if (Array.isArray(fields)) {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (!isField(fields[i], key)) continue;
      const value = selectHeaderValue(key, fields[i + 1]);
      if (value !== undefined) return value;
    }
    return undefined;
  }
  if (fields instanceof Map) {
    for (const [name, fieldValue] of fields as ReadonlyMap<unknown, unknown>) {
      if (!isField(name, key)) continue;
      const value = selectHeaderValue(key, fieldValue);
      if (value !== undefined) return value;
    }
    return undefined;
  }
  const record = fields as Readonly<Record<string, unknown>>;
  return Object.prototype.hasOwnProperty.call(record, key) ? selectHeaderValue(key, record[key]) : undefined;
}

function namesOf(fields: RedisStreamFields): string[] {
  if (Array.isArray(fields)) {
    const names: string[] = [];
    for (let i = 0; i < fields.length; i += 2) {
      const name = fieldName(fields[i]);
      if (name !== undefined) names.push(name);
    }
    return names;
  }
  if (fields instanceof Map) {
    return [...(fields as ReadonlyMap<unknown, unknown>).keys()].flatMap((n) => fieldName(n) ?? []);
  }
  return Object.keys(fields);
}

const streamFieldsGetter: TextMapGetter<RedisStreamFields> = {
  keys: namesOf,
  get: firstValid,
};

function copyFields(fields: RedisStreamFields | undefined): RedisStreamFields {
  if (fields === undefined) return [];
  if (Array.isArray(fields)) return [...(fields as readonly RedisFieldValue[])];
  if (fields instanceof Map) return new Map(fields as ReadonlyMap<string | Buffer, RedisFieldValue>);
  return assignOwnFields<Record<string, RedisFieldValue>>({}, fields);
}

function setField(fields: RedisStreamFields, key: string, value: string): void {
  if (Array.isArray(fields)) {
    const list = fields as RedisFieldValue[];
    for (let i = 0; i + 1 < list.length; i += 2) {
      if (isField(list[i], key)) {
        list[i + 1] = value;
        return;
      }
    }
    list.push(key, value);
  } else if (fields instanceof Map) {
    (fields as Map<string | Buffer, RedisFieldValue>).set(key, value);
  } else {
    (fields as Record<string, RedisFieldValue>)[key] = value;
  }
}

/**
 * Carries trace context in extra fields of a Redis stream entry, next to the job's own fields. Inject
 * returns a copy in the same shape it was given; extract accepts every shape ioredis replies with.
 */
export const redisStreamFieldsCarrier = createContextCarrier<RedisStreamFields | undefined>({
  name: 'redis-stream-fields',
  getter: streamFieldsGetter,
  copyForWrite: copyFields,
  set: setField,
});
