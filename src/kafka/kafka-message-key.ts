import { isUtf8 } from 'node:buffer';

/** Keys longer than this are not recorded: an attribute is no place for a large blob. */
const MAX_RECORDED_KEY_BYTES = 1024;

/**
 * The `messaging.kafka.message.key` value for `key`: the key as text when it is UTF-8 (at most 1 KiB),
 * base64 for other bytes when `recordBinary` is set, otherwise `undefined` (not recorded).
 */
export function recordableKey(
  key: Buffer | string | null | undefined,
  recordBinary: boolean,
): string | undefined {
  if (key === null || key === undefined) return undefined;
  if (typeof key === 'string') return key.length <= MAX_RECORDED_KEY_BYTES ? key : undefined;
  if (!Buffer.isBuffer(key) || key.length > MAX_RECORDED_KEY_BYTES) return undefined;
  if (isUtf8(key)) return key.toString('utf8');
  return recordBinary ? key.toString('base64') : undefined;
}
