/**
 * Copies every own enumerable key of `source` onto `target` as a data property, overwriting what `target`
 * holds under that key, and returns `target`. With `keep`, only the keys it accepts are copied.
 *
 * Plain assignment (and `Object.assign`) runs the `__proto__` setter for a key named `__proto__`: a
 * header or field of that name, which kafkajs and amqplib decode as an ordinary own key, would vanish from
 * the copy and, were its value an object (a Buffer), become the copy's prototype. Such a key is defined
 * instead, so the copy stays an ordinary object (client libraries and handlers may call its
 * `Object.prototype` methods) that holds every header and that kafkajs (`Object.keys`) and amqplib
 * (`for...in`) send on.
 */
export function assignOwnFields<T extends object>(
  target: T,
  source: object | null | undefined,
  keep?: (key: string) => boolean,
): T {
  if (source === null || source === undefined) return target;
  if (keep === undefined && !Object.prototype.hasOwnProperty.call(source, '__proto__')) {
    // The common case, and V8's fastest copy.
    return Object.assign(target, source);
  }
  const fields = source as Readonly<Record<string, unknown>>;
  for (const key of Object.keys(fields)) {
    if (keep !== undefined && !keep(key)) continue;
    if (key === '__proto__') {
      Object.defineProperty(target, key, {
        value: fields[key],
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else {
      (target as Record<string, unknown>)[key] = fields[key];
    }
  }
  return target;
}
