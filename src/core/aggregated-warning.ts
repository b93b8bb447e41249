import { logger } from './diagnostics';

/** Default of {@link AggregatedWarning}'s interval: at most one report a minute after the first. */
export const DEFAULT_WARNING_INTERVAL_MS = 60_000;

/**
 * A warning about something that happens per item (an evicted delivery), reported in aggregate so that a
 * flood of items is not a flood of log lines: the first occurrence is logged at once; later ones are
 * counted and reported, with their number, by the first occurrence after `intervalMs` has passed since the
 * last report, and by {@link flush} (call it when the component closes). No timer is used, so nothing keeps
 * the process alive, and nothing is logged when nothing happens.
 */
export class AggregatedWarning {
  readonly #describe: (count: number) => string;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #lastReportAt = -Infinity;
  #unreported = 0;
  #total = 0;

  /**
   * @param describe - the warning for `count` occurrences (1 for the first, then the number since the
   *   previous report).
   * @param now - the clock, in ms; tests pass their own.
   */
  constructor(
    describe: (count: number) => string,
    intervalMs = DEFAULT_WARNING_INTERVAL_MS,
    now: () => number = () => performance.now(),
  ) {
    this.#describe = describe;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Occurrences so far, reported or not. */
  get total(): number {
    return this.#total;
  }

  /** Counts one occurrence, and reports what is pending when the interval since the last report has passed. */
  record(): void {
    this.#total++;
    this.#unreported++;
    const now = this.#now();
    if (now - this.#lastReportAt >= this.#intervalMs) this.#report(now);
  }

  /** Reports the occurrences not yet reported, if any. */
  flush(): void {
    if (this.#unreported > 0) this.#report(this.#now());
  }

  #report(now: number): void {
    const count = this.#unreported;
    this.#unreported = 0;
    this.#lastReportAt = now;
    logger.warn(this.#describe(count));
  }
}
