import { context, SpanKind } from '@opentelemetry/api';
import type * as grpc from '@grpc/grpc-js';
import { markTraced } from '../core/traced-marker';
import { tracedClientCallClass } from './traced-client-call';
import type { NextInterceptingCall } from './traced-client-call';
import { resolveGrpcConfig } from './grpc-config';
import type { GrpcClientInterceptorOptions } from './grpc-options';
import { startRpcSpan } from './rpc-span';

/**
 * A `@grpc/grpc-js` client interceptor: one CLIENT span per call (unary and all three streaming kinds),
 * child of the context active when the call is made, with that span's context injected into a copy of the
 * call's metadata. The span ends exactly once, when the call's status arrives (OK, error, cancellation,
 * deadline, connection lost: grpc-js reports each as a status). Every non-OK status marks it an error.
 *
 * With nothing to do (no SDK registered and no provider given, or an ignored method), the call is the
 * next interceptor's (or grpc-js's own) call, untouched.
 *
 * Options are validated here, at setup: a malformed option throws `TracebridgeConfigError`.
 *
 * @example
 * ```ts
 * const client = new OrdersClient(address, credentials, { interceptors: [grpcClientInterceptor()] });
 * ```
 */
export function grpcClientInterceptor(options: GrpcClientInterceptorOptions = {}): grpc.Interceptor {
  const config = resolveGrpcConfig(options, 'client');
  const TracedClientCall = tracedClientCallClass(config.grpc.InterceptingCall);
  return markTraced<grpc.Interceptor>((callOptions, nextCall) => {
    const method = callOptions.method_definition;
    if (config.dormant() || config.isIgnored(method.path)) return untouched(nextCall(callOptions));

    const rpc = startRpcSpan(config, {
      path: method.path,
      streaming: method.requestStream || method.responseStream,
      kind: SpanKind.CLIENT,
      parent: context.active(),
    });
    // Interceptors further down the chain see this call's span as active.
    const next = context.with(rpc.context, nextCall, undefined, callOptions);
    return new TracedClientCall(next, rpc, config);
  });
}

/**
 * The next call, handed back as this interceptor's own: grpc-js only calls the methods of
 * `InterceptingCallInterface` on what an interceptor returns (its `Interceptor` type names the class,
 * whose only extra members are private), so a pass-through wrapper would add objects and nothing else.
 */
function untouched(call: NextInterceptingCall): grpc.InterceptingCall {
  return call as grpc.InterceptingCall;
}
