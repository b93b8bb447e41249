/**
 * gRPC status codes and the conventions' rule for which of them make a span an error.
 * @see https://opentelemetry.io/docs/specs/semconv/rpc/grpc/#grpc-status
 */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
} as const;

/** Server side: only these codes are the server's fault; the rest describe the request. */
const SERVER_ERROR_CODES: ReadonlySet<number> = new Set([
  GrpcStatus.UNKNOWN,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.UNIMPLEMENTED,
  GrpcStatus.INTERNAL,
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DATA_LOSS,
]);

/** Whether a call that ended with `code` is an error span, on the client (any non-OK) or the server. */
export function isErrorStatus(code: number, side: 'client' | 'server'): boolean {
  return side === 'client' ? code !== GrpcStatus.OK : SERVER_ERROR_CODES.has(code);
}
