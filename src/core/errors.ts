/**
 * Stable error codes. A code never changes meaning once released, so callers may branch on it.
 */
export const TracebridgeErrorCode = {
  /** An option has a value outside what the option accepts. */
  InvalidOption: 'TRACEBRIDGE_INVALID_OPTION',
  /** An `incoming` trust policy is not `'parent'`, `'link'` or `'ignore'`, or a rule is malformed. */
  InvalidIncomingPolicy: 'TRACEBRIDGE_INVALID_INCOMING_POLICY',
  /** An optional peer dependency an adapter needs (its client library) cannot be loaded. */
  MissingPeerDependency: 'TRACEBRIDGE_MISSING_PEER_DEPENDENCY',
  /** A delayed job has more fields than promotion onto its stream can move (a {@link TracebridgeArgumentError}). */
  JobTooWide: 'TRACEBRIDGE_JOB_TOO_WIDE',
  /**
   * A helper was handed a command reply of another shape than the command returns (a
   * {@link TracebridgeArgumentError}), such as something that is not a `BRPOP` reply given to a list consumer.
   */
  UnexpectedReply: 'TRACEBRIDGE_UNEXPECTED_REPLY',
} as const;

/** One of the values of {@link TracebridgeErrorCode}. */
export type TracebridgeErrorCode = (typeof TracebridgeErrorCode)[keyof typeof TracebridgeErrorCode];

/**
 * Thrown at setup time, never on the data path, when tracebridge is misconfigured.
 *
 * Instrumentation failures at run time are reported through the `diag` logger instead, so the host's
 * messages and calls are never disturbed by tracing.
 */
export class TracebridgeConfigError extends Error {
  /** A stable, documented code; see {@link TracebridgeErrorCode}. */
  readonly code: TracebridgeErrorCode;

  constructor(code: TracebridgeErrorCode, message: string) {
    super(message);
    this.name = 'TracebridgeConfigError';
    this.code = code;
  }
}

/**
 * Rejects one call of a helper whose argument it cannot use: a job it cannot store, a command reply of a
 * shape the command never returns. Unlike {@link TracebridgeConfigError} it is about this one call, not the
 * setup: it goes to the caller of that call only (the promise the call returned), which handed over the
 * argument, and never into the processing of a message (a handler, a hook, the host's own calls).
 */
export class TracebridgeArgumentError extends Error {
  /** A stable, documented code; see {@link TracebridgeErrorCode}. */
  readonly code: TracebridgeErrorCode;

  constructor(code: TracebridgeErrorCode, message: string) {
    super(message);
    this.name = 'TracebridgeArgumentError';
    this.code = code;
  }
}
