/**
 * Stable error codes. A code never changes meaning once released, so callers may branch on it.
 */
export const TracebridgeErrorCode = {
  /**
   * An option is unknown (a typo, or an option of another adapter: the message names the closest valid
   * one) or has a value outside what it accepts; or an argument of one of tracebridge's own helpers is
   * malformed (see {@link TracebridgeConfigError} for which).
   */
  InvalidOption: 'TRACEBRIDGE_INVALID_OPTION',
  /**
   * An `incoming` trust policy is not one of the policies, has an unknown key, or a rule of it is
   * malformed.
   */
  InvalidIncomingPolicy: 'TRACEBRIDGE_INVALID_INCOMING_POLICY',
  /** A `signing` option is malformed: no keys, a short secret, an unknown `signWith` key id, ... */
  InvalidSigning: 'TRACEBRIDGE_INVALID_SIGNING',
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
 * Thrown (or rejected with) when tracebridge is misused, never because of what a message contains or
 * because tracing failed.
 *
 * Mostly at setup: where an adapter is created (`traceProducer`, `traceChannel`, `grpcServerInterceptor`,
 * `streamWorker`, ...) with an unknown or malformed option, a malformed `incoming` policy, or an object
 * that is not the client it wraps; and when a peer dependency is missing.
 *
 * It also reaches the data path in the few places where the caller hands one of tracebridge's own helpers
 * an argument it cannot act on, and where passing the call on untraced would lose the caller's data: a
 * Redis `delayedJobs().schedule` given no finite due time, a `listConsumer().process` given a reply of a
 * shape it cannot read (rather than dropping the popped values silently), and the `tracebridge/testing`
 * assertions given malformed expectations or spans. Each such method says so in its documentation.
 *
 * Nowhere else: failures of instrumentation at run time (a throwing hook, tracer, carrier or logger, a
 * malformed header) are reported through the `diag` logger and the message or call goes ahead, and the
 * host's own errors reach the host unchanged.
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
