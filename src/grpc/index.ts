/**
 * `tracebridge/grpc`: client and server interceptors for `@grpc/grpc-js`.
 *
 * A separate entry point, so that an application without gRPC never loads, or needs the type definitions
 * of, `@grpc/grpc-js`.
 * @packageDocumentation
 */
export { grpcClientInterceptor } from './client-interceptor';
export { grpcServerInterceptor } from './server-interceptor';
export type {
  GrpcCallInfo,
  GrpcClientInterceptorOptions,
  GrpcInterceptorOptions,
  GrpcModule,
  GrpcRequestInfo,
  GrpcResponseInfo,
  GrpcServerInterceptorOptions,
} from './grpc-options';
export { GrpcStatus, isErrorStatus } from './grpc-status';
export type { MethodName } from './method-path';
export { parseMethodPath } from './method-path';
