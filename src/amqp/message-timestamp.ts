/**
 * The AMQP `timestamp` property, which tracebridge uses as the enqueue time for time-in-queue.
 *
 * AMQP 0-9-1 defines it as a 64-bit POSIX time with an accuracy of one second (the `timestamp` domain), and
 * the Java, .NET and Python clients read it as seconds. So tracebridge writes seconds, and a message stamped
 * in seconds gives time in queue to the second only. It is read as the last millisecond of its second, so the
 * recorded wait is a lower bound, up to one second short of the real one (a wait under a second reads as
 * 0 ms or a few): an honest "at least", never a wait that did not happen. Publishers in the wild also write
 * milliseconds (`Date.now()`); those are told apart by magnitude and read at millisecond resolution.
 *
 * @see https://www.rabbitmq.com/resources/specs/amqp0-9-1.pdf
 */

/**
 * Below this, a timestamp is taken as seconds: 1e11 s is the year 5138, while 1e11 ms is March 1973, well
 * before any message anyone will consume.
 */
const SECONDS_BELOW = 1e11;

/** Now, as tracebridge writes it into a message that has no timestamp: whole seconds since the epoch. */
export function timestampNowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The last millisecond of a whole second: see the file comment for why time in queue is a lower bound. */
const LAST_MS_OF_SECOND = 999;

/**
 * The latest moment the message can have been stamped, in ms since the epoch, from a `timestamp` in seconds
 * (the last millisecond of that second) or in milliseconds; `undefined` when it is absent or not a positive
 * finite number (it is read from the wire: any type).
 */
export function enqueueTimeMs(timestamp: unknown): number | undefined {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp <= 0) return undefined;
  if (timestamp >= SECONDS_BELOW) return timestamp;
  return Number.isInteger(timestamp) ? timestamp * 1000 + LAST_MS_OF_SECOND : timestamp * 1000;
}
