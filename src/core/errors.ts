/**
 * Stable error codes. A code never changes meaning once released, so callers may branch on it.
 */
export const TracebridgeErrorCode = {
  /** An option has a value outside what the option accepts. */
  InvalidOption: 'TRACEBRIDGE_INVALID_OPTION',
  /** An `incoming` trust policy is not `'parent'`, `'link'` or `'ignore'`, or a rule is malformed. */
  InvalidIncomingPolicy: 'TRACEBRIDGE_INVALID_INCOMING_POLICY',
  /** A `signing` option is malformed: no keys, a short secret, an unknown `signWith` key id, ... */
  InvalidSigning: 'TRACEBRIDGE_INVALID_SIGNING',
  /** An optional peer dependency an adapter needs (its client library) cannot be loaded. */
  MissingPeerDependency: 'TRACEBRIDGE_MISSING_PEER_DEPENDENCY',
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
