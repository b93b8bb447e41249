import { context, SpanKind } from '@opentelemetry/api';
import type * as grpc from '@grpc/grpc-js';
import { safely } from '../core/diagnostics';
import { readMessageContext } from '../core/own-fields';
import { recordIncomingAttributes, resolveIncomingContext } from '../core/incoming-context';
import { ATTR_NETWORK_PEER_ADDRESS, ATTR_NETWORK_PEER_PORT } from '../core/semantic-attributes';
import { incomingOrDefault } from '../core/instrumentation-defaults';
import { markTraced } from '../core/traced-marker';
import { createIncomingPolicyResolver } from '../core/trust-policy';
import type { ResolvedIncomingPolicy } from '../core/trust-policy';
import { grpcMetadataCarrier } from '../propagation/grpc-metadata-carrier';
import { resolveGrpcConfig } from './grpc-config';
import type { GrpcConfig } from './grpc-config';
import type { GrpcServerInterceptorOptions } from './grpc-options';
import { GrpcStatus } from './grpc-status';
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
  return markTraced<grpc.ServerInterceptor>((methodDescriptor, call) => {
    const path = methodDescriptor.path;
    if (config.isIgnored(path)) return new config.grpc.ServerInterceptingCall(call);

    let rpc: RpcSpan | undefined;
    // Every step that can reach the handler, or the request stream it reads, runs inside the call's span.
    // grpc-js calls unary and server-streaming handlers at half-close, so for those the metadata and
    // message steps need no context switch (it costs on every call).
    const inSpan = (work: () => void): void => (rpc === undefined ? work() : context.with(rpc.context, work));
    const requestStreams = methodDescriptor.requestStream;
    return new config.grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            rpc = startServerSpan(config, policyFor({ name: path }), path, methodDescriptor, call, metadata);
            if (requestStreams) inSpan(() => nextMetadata(metadata));
            else nextMetadata(metadata);
          },
          onReceiveMessage: (message, nextMessage) => {
            rpc?.messageReceived();
            if (requestStreams) inSpan(() => nextMessage(message));
            else nextMessage(message);
          },
          onReceiveHalfClose: (nextHalfClose) => inSpan(nextHalfClose),
          onCancel: () => {
            const expired = deadlinePassed(call);
            rpc?.finish(
              expired ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED,
              expired ? 'Deadline exceeded' : 'Cancelled by the client or the connection closed',
            );
          },
        }),
      sendMessage: (message, nextMessage) => {
        rpc?.messageSent();
        nextMessage(message);
      },
      sendStatus: (status, nextStatus) => {
        rpc?.finishWithStatus(status);
        nextStatus(status);
      },
    });
  });
}

function startServerSpan(
  config: GrpcConfig,
  policy: ResolvedIncomingPolicy,
  path: string,
  methodDescriptor: { requestStream: boolean; responseStream: boolean },
  call: grpc.ServerInterceptingCallInterface,
  metadata: grpc.Metadata,
): RpcSpan {
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
    streaming: methodDescriptor.requestStream || methodDescriptor.responseStream,
    kind: SpanKind.SERVER,
    parent: incoming.parent,
    links: incoming.links,
    workBase: incoming.workBase,
    inbound: own,
    continued: incoming.continued,
  });
  if (rpc.span.isRecording()) {
    safely(
      'recording gRPC connection attributes',
      () => {
        recordIncomingAttributes(rpc.span, incoming);
        // getConnectionInfo arrived in grpc-js 1.12; older servers simply go without these attributes.
        const info = typeof call.getConnectionInfo === 'function' ? call.getConnectionInfo() : undefined;
        if (info?.localAddress !== undefined) rpc.span.setAttribute('server.address', info.localAddress);
        if (info?.localPort !== undefined) rpc.span.setAttribute('server.port', info.localPort);
        if (info?.remoteAddress !== undefined)
          rpc.span.setAttribute(ATTR_NETWORK_PEER_ADDRESS, info.remoteAddress);
        if (info?.remotePort !== undefined) rpc.span.setAttribute(ATTR_NETWORK_PEER_PORT, info.remotePort);
      },
      undefined,
    );
    rpc.started(metadata);
  }
  return rpc;
}

function deadlinePassed(call: grpc.ServerInterceptingCallInterface): boolean {
  return safely(
    'reading the call deadline',
    () => {
      const deadline = call.getDeadline();
      const ms = deadline instanceof Date ? deadline.getTime() : deadline;
      return Number.isFinite(ms) && ms <= Date.now();
    },
    false,
  );
}
