import { context, SpanKind } from '@opentelemetry/api';
import type * as grpc from '@grpc/grpc-js';
import { logger } from '../core/diagnostics';
import { markTraced } from '../core/traced-marker';
import { grpcMetadataCarrier } from '../propagation/grpc-metadata-carrier';
import { resolveGrpcConfig } from './grpc-config';
import type { GrpcClientInterceptorOptions } from './grpc-options';
import { GrpcStatus } from './grpc-status';
import { startRpcSpan } from './rpc-span';
import type { Peer } from './rpc-span';

/**
 * A `@grpc/grpc-js` client interceptor: one CLIENT span per call (unary and all three streaming kinds),
 * child of the context active when the call is made, with that span's context injected into a copy of the
 * call's metadata. The span ends exactly once, when the call's status arrives (OK, error, cancellation,
 * deadline, connection lost: grpc-js reports each as a status). Every non-OK status marks it an error.
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
  return markTraced<grpc.Interceptor>((callOptions, nextCall) => {
    const method = callOptions.method_definition;
    if (config.isIgnored(method.path)) return new config.grpc.InterceptingCall(nextCall(callOptions));

    const rpc = startRpcSpan(config, {
      path: method.path,
      streaming: method.requestStream || method.responseStream,
      kind: SpanKind.CLIENT,
      parent: context.active(),
    });
    // Interceptors further down the chain see this call's span as active.
    const next = context.with(rpc.context, () => nextCall(callOptions));
    const call: grpc.InterceptingCall = new config.grpc.InterceptingCall(next, {
      start: (metadata, listener, start) => {
        const outgoing = grpcMetadataCarrier.inject(
          rpc.context,
          metadata,
          config.ownFieldsWriter,
        ) as grpc.Metadata;
        rpc.started(outgoing);
        start(outgoing, {
          onReceiveMetadata: (received, nextMetadata) => {
            rpc.recordMetadata('response', received);
            nextMetadata(received);
          },
          onReceiveMessage: (message, nextMessage) => {
            rpc.messageReceived();
            nextMessage(message);
          },
          onReceiveStatus: (status, nextStatus) => {
            rpc.finishWithStatus(status, () => peerOf(call));
            nextStatus(status);
          },
        });
      },
      sendMessage: (message, nextMessage) => {
        rpc.messageSent();
        nextMessage(message);
      },
      cancel: (nextCancel) => {
        // Ended here rather than at the CANCELLED status grpc-js reports next, because a call cancelled
        // before it started has no listener to report to.
        // grpc-js reports the peer only once the call is past its start; after cancelling it still does.
        nextCancel();
        rpc.finish(GrpcStatus.CANCELLED, 'Cancelled on client', peerOf(call));
      },
    });
    return call;
  });
}

/** Parsed peers: a client talks to few servers, so each peer string is parsed once. Bounded. */
const peers = new Map<string, Peer | undefined>();
const MAX_CACHED_PEERS = 256;

/** The server's address as grpc-js reports it (`host:port`, `[v6]:port`), for `server.address`/`port`. */
function peerOf(call: grpc.InterceptingCall): Peer | undefined {
  let peer: string;
  try {
    peer = call.getPeer();
  } catch (error) {
    logger.debug('could not read the gRPC peer', error);
    return undefined;
  }
  if (peers.has(peer)) return peers.get(peer);
  const match = /^(?:ipv[46]:)?\[?([^\]]*?)\]?:(\d+)$/.exec(peer);
  const parsed = match === null ? undefined : { address: match[1]!, port: Number(match[2]) };
  if (peers.size >= MAX_CACHED_PEERS) peers.clear();
  peers.set(peer, parsed);
  return parsed;
}
