import { context, SpanKind } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type * as grpc from '@grpc/grpc-js';
import { stepFailed } from '../core/diagnostics';
import { readMessageContext } from '../core/own-fields';
import { recordIncomingAttributes, resolveIncomingContext } from '../core/incoming-context';
import type { IncomingContext } from '../core/incoming-context';
import { ATTR_NETWORK_PEER_ADDRESS, ATTR_NETWORK_PEER_PORT } from '../core/semantic-attributes';
import { incomingOrDefault } from '../core/instrumentation-defaults';
import { markTraced } from '../core/traced-marker';
import { createIncomingPolicyResolver } from '../core/trust-policy';
import type { ResolvedIncomingPolicy } from '../core/trust-policy';
import { grpcMetadataCarrier } from '../propagation/grpc-metadata-carrier';
import { resolveGrpcConfig } from './grpc-config';
import type { GrpcConfig } from './grpc-config';
import type { GrpcServerInterceptorOptions } from './grpc-options';
import { tracedServerCallClass } from './traced-server-call';
import type { ServerMethod, StartServerSpan } from './traced-server-call';
import { methodAttributes, startRpcSpan } from './rpc-span';
import type { RpcSpan } from './rpc-span';

/**
 * A `@grpc/grpc-js` server interceptor (grpc-js ≥ 1.10, `new Server({ interceptors: [...] })`): one SERVER
 * span per call, parented to the caller's context from the metadata (per the `incoming` policy), with the
 * handler run inside it so that spans it starts are its children. The span ends exactly once: when the
 * status is sent, or when the call is cancelled, its deadline passes or its connection drops. Only the
 * server-fault codes (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS) mark it
 * an error, per the conventions. A thrown handler reaches the span as the UNKNOWN status grpc-js sends.
 *
 * @example
 * ```ts
 * const server = new grpc.Server({ interceptors: [grpcServerInterceptor()] });
 * ```
 */
export function grpcServerInterceptor(options: GrpcServerInterceptorOptions = {}): grpc.ServerInterceptor {
  const config = resolveGrpcConfig(options, 'server');
  const policyFor = createIncomingPolicyResolver(incomingOrDefault(options.incoming, 'grpc'));
  // Rules match the method path alone, so each path's policy is resolved once. Bounded like the paths.
  const policies = new Map<string, ResolvedIncomingPolicy>();
  const policyOf = (path: string): ResolvedIncomingPolicy => {
    let policy = policies.get(path);
    if (policy === undefined) {
      if (policies.size >= MAX_CACHED_POLICIES) policies.clear();
      policy = policyFor({ name: path });
      policies.set(path, policy);
    }
    return policy;
  };
  const startSpan: StartServerSpan = (method, call, metadata) =>
    startServerSpan(config, policyOf(method.path), method, call, metadata);
  const TracedServerCall = tracedServerCallClass(config.grpc.ServerInterceptingCall);
  return markTraced<grpc.ServerInterceptor>((methodDescriptor, call) => {
    if (config.dormant() || config.isIgnored(methodDescriptor.path)) return untouched(call);
    return new TracedServerCall(call, methodDescriptor, startSpan);
  });
}

const MAX_CACHED_POLICIES = 1024;

/**
 * The call, handed back as this interceptor's own: grpc-js only calls the methods of
 * `ServerInterceptingCallInterface` on what an interceptor returns (its `ServerInterceptor` type names
 * the class, whose only extra members are private), so a pass-through wrapper would add objects and
 * nothing else.
 */
function untouched(call: grpc.ServerInterceptingCallInterface): grpc.ServerInterceptingCall {
  return call as grpc.ServerInterceptingCall;
}

function startServerSpan(
  config: GrpcConfig,
  policy: ResolvedIncomingPolicy,
  method: ServerMethod,
  call: grpc.ServerInterceptingCallInterface,
  metadata: grpc.Metadata,
): RpcSpan {
  const path = method.path;
  const verifier = config.signing?.verifier;
  const reader = config.ownFieldsReader;
  const extracted = readMessageContext(reader, grpcMetadataCarrier, metadata);
  const own = reader?.take();
  const incoming = resolveIncomingContext(
    policy,
    extracted,
    context.active(),
    verifier === undefined
      ? undefined
      : { verifier, attributes: methodAttributes(path), signature: own?.signature },
  );
  const rpc = startRpcSpan(config, {
    path,
    streaming: method.requestStream || method.responseStream,
    kind: SpanKind.SERVER,
    parent: incoming.parent,
    links: incoming.links,
    workBase: incoming.workBase,
    inbound: own,
    continued: incoming.continued,
  });
  if (rpc.span.isRecording()) {
    recordCallAttributes(rpc.span, incoming, call);
    rpc.started(metadata);
  }
  return rpc;
}

/** The policy, signature and connection attributes of a recording SERVER span. Never throws. */
function recordCallAttributes(
  span: Span,
  incoming: IncomingContext,
  call: grpc.ServerInterceptingCallInterface,
): void {
  // Inline rather than through `safely`: a closure per call adds up.
  try {
    recordIncomingAttributes(span, incoming);
    // getConnectionInfo arrived in grpc-js 1.12; older servers simply go without these attributes.
    const info = typeof call.getConnectionInfo === 'function' ? call.getConnectionInfo() : undefined;
    if (info?.localAddress !== undefined) span.setAttribute('server.address', info.localAddress);
    if (info?.localPort !== undefined) span.setAttribute('server.port', info.localPort);
    if (info?.remoteAddress !== undefined) span.setAttribute(ATTR_NETWORK_PEER_ADDRESS, info.remoteAddress);
    if (info?.remotePort !== undefined) span.setAttribute(ATTR_NETWORK_PEER_PORT, info.remotePort);
  } catch (error) {
    stepFailed('recording gRPC connection attributes', error);
  }
}
