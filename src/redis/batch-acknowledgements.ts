/**
 * The `XACK`s of one batch of stream entries, and the moment every one of them has been answered.
 *
 * A traced entry's span ends at its own `XACK`'s answer, so each of those replies is observed once, with
 * the span's ending; the batch then counts them down rather than awaiting every observed promise again
 * with `Promise.all` (which costs a resolve function and a reaction per entry). A dormant entry's raw
 * reply, or that of an entry whose span is inert (see `MessagingSpan.inert`), is observed by nothing else:
 * those are awaited together with one `Promise.all`, as the unwrapped loop does.
 */
import { safely } from '../core/diagnostics';
import type { MessagingSpan } from '../core/messaging-span';
import { ATTR_TRACEBRIDGE_REDIS_ACKNOWLEDGED } from './redis-config';

const ACK = Object.freeze({ kind: 'ack' as const });

/** The acknowledgements of one batch; `Job` is what a failure is reported with. */
export class BatchAcknowledgements<Job> {
  readonly #fail: (error: unknown, job: Job) => void;
  /** Dormant entries' raw `XACK` replies, and their jobs (for the rare failed one): see the constructor. */
  readonly #raw: Promise<unknown>[];
  readonly #rawJobs: Job[];
  /** How many of {@link #raw} have a handler already (see observeRaw). */
  #observed = 0;
  /** Traced `XACK`s not answered yet. */
  #waiting = 0;
  #unacknowledged = 0;
  /** Set once the batch waits for its traced answers: called by the last one. */
  #lastAnswered: (() => void) | undefined;

  /**
   * @param fail - told of every failed `XACK`, with its entry's job.
   * @param raw - the dormant entries' `XACK` replies as the client returned them, pushed by the caller as
   *   it sends them (inert entries' replies are pushed by {@link addTraced}), and `rawJobs` their jobs, at
   *   the same index. The caller's own arrays, rather than a
   *   method of this class: a push written in the batch's loop costs what the unwrapped loop's does, where
   *   a call (not inlined into a loop that large) costs a frame per entry.
   */
  constructor(fail: (error: unknown, job: Job) => void, raw: Promise<unknown>[], rawJobs: Job[]) {
    this.#fail = fail;
    this.#raw = raw;
    this.#rawJobs = rawJobs;
  }

  /**
   * A traced entry's `XACK` reply: `span` ends at the answer, settled as `ack` only when Redis
   * acknowledged the entry. A failed `XACK` is recorded on the span and reported. An inert span (see
   * `MessagingSpan.inert`) has nothing to record at the answer: it ends now, and its reply is awaited with
   * the dormant ones, with no reaction of its own.
   */
  addTraced(reply: Promise<unknown>, span: MessagingSpan, job: Job): void {
    if (span.inert) {
      span.end();
      this.#raw.push(reply);
      this.#rawJobs.push(job);
      return;
    }
    this.#waiting++;
    reply.then(
      (answer) => {
        if (!settleAtAnswer(span, answer)) this.#unacknowledged++;
        this.#answered();
      },
      (error: unknown) => {
        span.recordError(error);
        span.end();
        this.#fail(error, job);
        this.#answered();
      },
    );
  }

  #answered(): void {
    this.#waiting--;
    if (this.#waiting === 0) this.#lastAnswered?.();
  }

  /**
   * Gives the dormant replies added so far a handler, before the batch waits for something else (an
   * asynchronous handler): a reply that fails meanwhile is then not an unhandled rejection, which would
   * end the process. Its failure is still reported by {@link answered}, as any other.
   */
  observeRaw(): void {
    for (; this.#observed < this.#raw.length; this.#observed++)
      this.#raw[this.#observed]!.then(undefined, ignore);
  }

  /**
   * Resolves once every `XACK` added has been answered, with how many of them acknowledged no entry (it
   * was no longer pending in the group); never rejects. A failed one (traced or dormant) is reported
   * through `fail` and counts as answered. Called once, after the last entry is added.
   */
  async answered(): Promise<number> {
    // The dormant replies are observed before the traced ones are waited for (see observeRaw).
    const raw = this.#raw.length === 0 ? undefined : this.#rawAnswers();
    if (this.#waiting > 0) {
      await new Promise<void>((resolve) => {
        this.#lastAnswered = resolve;
      });
    }
    let unacknowledged = this.#unacknowledged;
    if (raw !== undefined) for (const answer of await raw) if (!acknowledgedAny(answer)) unacknowledged++;
    return unacknowledged;
  }

  /**
   * Every dormant reply's answer. The common case costs what the unwrapped loop's `Promise.all` does; the
   * failure case waits for every answer too, and a failed one is reported with its job.
   */
  async #rawAnswers(): Promise<unknown[]> {
    try {
      return await Promise.all(this.#raw);
    } catch {
      const outcomes = await Promise.allSettled(this.#raw);
      return outcomes.map((outcome, i) => {
        if (outcome.status === 'fulfilled') return outcome.value;
        this.#fail(outcome.reason, this.#rawJobs[i]!);
        return 1; // reported, as the error it is
      });
    }
  }
}

/** A rejection handler that leaves the rejection to whoever else observes the promise. */
function ignore(): void {}

/**
 * Whether an `XACK` answer (the count of entries it acknowledged) says it acknowledged one. A reply that
 * cannot be read as a number (only a client other than ioredis could give one) acknowledged none.
 */
function acknowledgedAny(answer: unknown): boolean {
  if (typeof answer === 'number') return answer > 0;
  try {
    return Number(answer) > 0;
  } catch {
    return false;
  }
}

/**
 * Ends a process span at its XACK's answer: settled as `ack` only when Redis acknowledged the entry; an
 * answer of 0 (the entry was no longer pending) ends it unsettled, marked unacknowledged. Returns whether
 * the entry was acknowledged.
 */
function settleAtAnswer(span: MessagingSpan, answer: unknown): boolean {
  if (acknowledgedAny(answer)) {
    span.settle(ACK);
    return true;
  }
  safely(
    'recording an unacknowledged entry',
    () => {
      if (span.span.isRecording()) span.span.setAttribute(ATTR_TRACEBRIDGE_REDIS_ACKNOWLEDGED, false);
    },
    undefined,
  );
  span.end();
  return false;
}
