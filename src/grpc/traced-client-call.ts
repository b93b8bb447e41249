import type * as grpc from '@grpc/grpc-js';
import { grpcMetadataCarrier } from '../propagation/grpc-metadata-carrier';
import type { GrpcConfig } from './grpc-config';
import { classPerCopy } from './class-per-copy';
import type { GrpcModule } from './grpc-options';
import { GrpcStatus } from './grpc-status';
import type { RpcSpan } from './rpc-span';

type InterceptingCallClass = GrpcModule['InterceptingCall'];
/** What an interceptor's `nextCall` returns (grpc-js does not export the interface by name). */
export type NextInterceptingCall = ReturnType<grpc.NextCall>;
type MessageContext = Parameters<NextInterceptingCall['sendMessageWithContext']>[0];

/** The traced call class over one copy of grpc-js. */
export type TracedClientCallClass = new (
  next: NextInterceptingCall,
  rpc: RpcSpan,
  config: GrpcConfig,
) => grpc.InterceptingCall;

/**
 * The call a client interceptor returns for a traced call, as a subclass of the given grpc-js copy's
 * `InterceptingCall`: it overrides what the span needs to see (start, each message sent, half-close,
 * cancel) and inherits the rest, so methods a later grpc-js adds still pass through. It is also the
 * intercepting listener it starts the next call with (a listener whose `onReceiveMetadata` takes one
 * argument is used by grpc-js as it is), so a call costs this one object where a requester and a listener
 * of closures would cost a dozen: grpc-js's own requester and listener machinery exists for interceptors
 * that act asynchronously, and every step here is synchronous.
 */
function defineTracedClientCall(Base: InterceptingCallClass): TracedClientCallClass {
  return class TracedClientCall extends Base implements grpc.InterceptingListener {
    readonly #next: NextInterceptingCall;
    readonly #rpc: RpcSpan;
    readonly #config: GrpcConfig;
    #listener: Partial<grpc.InterceptingListener> | undefined;

    constructor(next: NextInterceptingCall, rpc: RpcSpan, config: GrpcConfig) {
      super(next);
      this.#next = next;
      this.#rpc = rpc;
      this.#config = config;
    }

    override start(metadata: grpc.Metadata, listener?: Partial<grpc.InterceptingListener>): void {
      const outgoing = grpcMetadataCarrier.inject(
        this.#rpc.context,
        metadata,
        this.#config.ownFieldsWriter,
      ) as grpc.Metadata;
      this.#rpc.started(outgoing);
      this.#listener = listener;
      this.#next.start(outgoing, this);
    }

    override sendMessageWithContext(messageContext: MessageContext, message: unknown): void {
      this.#rpc.messageSent();
      this.#next.sendMessageWithContext(messageContext, message);
    }

    override halfClose(): void {
      this.#next.halfClose();
    }

    override cancelWithStatus(status: grpc.status, details: string): void {
      // Ended here rather than at the CANCELLED status grpc-js reports next, because a call cancelled
      // before it started has no listener to report to. grpc-js reports the peer only once the call is
      // past its start; after cancelling it still does.
      this.#next.cancelWithStatus(status, details);
      this.#rpc.finish(GrpcStatus.CANCELLED, 'Cancelled on client', this);
    }

    onReceiveMetadata(metadata: grpc.Metadata): void {
      this.#rpc.recordMetadata('response', metadata);
      this.#listener?.onReceiveMetadata?.(metadata);
    }

    onReceiveMessage(message: unknown): void {
      this.#rpc.messageReceived();
      this.#listener?.onReceiveMessage?.(message);
    }

    onReceiveStatus(status: grpc.StatusObject): void {
      this.#rpc.finishWithStatus(status, this);
      this.#listener?.onReceiveStatus?.(status);
    }
  };
}

/** The traced call class extending `base` (a grpc-js copy's `InterceptingCall`), made once per copy. */
export const tracedClientCallClass = classPerCopy(defineTracedClientCall);
