import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import type { GrpcModule } from './grpc-options';

/**
 * The grpc-js module the interceptors construct their calls with: the one given, or the one Node resolves
 * from here. Resolved at setup, so a missing grpc-js is a named error when the interceptor is created,
 * never a failure inside a call.
 */
export function loadGrpc(given: GrpcModule | undefined): GrpcModule {
  if (given !== undefined) return given;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@grpc/grpc-js') as GrpcModule;
  } catch (error) {
    throw new TracebridgeConfigError(
      TracebridgeErrorCode.MissingPeerDependency,
      `the gRPC interceptors need @grpc/grpc-js (>= 1.10): install it, or pass your copy as the \`grpc\` option (${String(error)})`,
    );
  }
}
