/** The stable `code` of a {@link TraceAssertionError}. */
export const TRACE_ASSERTION_ERROR_CODE = 'TRACEBRIDGE_TRACE_ASSERTION';

/**
 * Thrown by `assertConnectedTrace` when the spans are not one connected trace as expected. Its message
 * lists every problem and then the spans as a tree, so a failing test shows what the trace looked like:
 * one tree per trace, in the order `describeTraceProblems` names them (start time, then entry root, size
 * and trace id), so a message is the same on every run.
 */
export class TraceAssertionError extends Error {
  /** Always {@link TRACE_ASSERTION_ERROR_CODE}. */
  readonly code = TRACE_ASSERTION_ERROR_CODE;
  /** Each problem, as `describeTraceProblems` returned it. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[], outline: string) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      [
        `expected one connected trace; ${count}:`,
        ...problems.map((problem) => `  - ${problem}`),
        '',
        'spans:',
        ...outline.split('\n').map((line) => `  ${line}`),
      ].join('\n'),
    );
    this.name = 'TraceAssertionError';
    this.problems = Object.freeze([...problems]);
  }
}
