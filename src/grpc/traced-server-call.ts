import { context } from '@opentelemetry/api';
import type * as grpc from '@grpc/grpc-js';
import { safely } from '../core/diagnostics';
import { classPerCopy } from './class-per-copy';
import type { GrpcModule } from './grpc-options';
import { GrpcStatus } from './grpc-status';
import type { RpcSpan } from './rpc-span';

type ServerInterceptingCallClass = GrpcModule['ServerInterceptingCall'];
/** The listener a server call is started with (grpc-js does not export these types by name). */
type InterceptingServerListener = Parameters<grpc.ServerInterceptingCallInterface['start']>[0];
type PartialStatusObject = Parameters<grpc.ServerInterceptingCallInterface['sendStatus']>[0];

/** The method of a server call, as grpc-js describes it to server interceptors. */
export interface ServerMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** The traced server call class over one copy of grpc-js. */
export type TracedServerCallClass = new (
  next: grpc.ServerInterceptingCallInterface,
  method: ServerMethod,
  startSpan: StartServerSpan,
) => grpc.ServerInterceptingCall;

/** How one interceptor starts a call's span from its request metadata (never throws). */
export type StartServerSpan = (
  method: ServerMethod,
  call: grpc.ServerInterceptingCallInterface,
  metadata: grpc.Metadata,
) => RpcSpan;

/**
 * The call a server interceptor returns for a traced call, as a subclass of the given grpc-js copy's
 * `ServerInterceptingCall`: it overrides what the span needs to see (start, each message sent, the
 * status) and inherits the rest, so methods a later grpc-js adds still pass through. It is also the
 * intercepting listener it starts the next call with, so the listener events reach the span and the
 * handler without grpc-js's own listener machinery (closures and an object per call, which exist for
 * interceptors that act asynchronously; every step here is synchronous). Like that machinery, it passes
 * no event on after the call is cancelled.
 *
 * Every step that can reach the handler, or the request stream it reads, runs inside the call's span.
 * grpc-js calls unary and server-streaming handlers at half-close, so for those the metadata and message
 * steps need no context switch (it costs on every call).
 */
function defineTracedServerCall(Base: ServerInterceptingCallClass): TracedServerCallClass {
  return class TracedServerCall extends Base implements InterceptingServerListener {
    readonly #next: grpc.ServerInterceptingCallInterface;
    readonly #method: ServerMethod;
    readonly #startSpan: StartServerSpan;
    #upper: InterceptingServerListener | undefined;
    #rpc: RpcSpan | undefined;
    #cancelled = false;

    constructor(
      next: grpc.ServerInterceptingCallInterface,
      method: ServerMethod,
      startSpan: StartServerSpan,
    ) {
      super(next);
      this.#next = next;
      this.#method = method;
      this.#startSpan = startSpan;
    }

    override start(listener: InterceptingServerListener): void {
      this.#upper = listener;
      this.#next.start(this);
    }

    override sendMessage(message: unknown, callback: () => void): void {
      this.#rpc?.messageSent();
      this.#next.sendMessage(message, callback);
    }

    override sendStatus(status: PartialStatusObject): void {
      this.#rpc?.finishWithStatus(status);
      this.#next.sendStatus(status);
    }

    onReceiveMetadata(metadata: grpc.Metadata): void {
      if (this.#cancelled) return;
      const rpc = this.#startSpan(this.#method, this.#next, metadata);
      this.#rpc = rpc;
      if (this.#method.requestStream)
        context.with(rpc.context, passMetadata, undefined, this.#upper!, metadata);
      else this.#upper!.onReceiveMetadata(metadata);
    }

    onReceiveMessage(message: unknown): void {
      if (this.#cancelled) return;
      const rpc = this.#rpc;
      rpc?.messageReceived();
      if (rpc !== undefined && this.#method.requestStream)
        context.with(rpc.context, passMessage, undefined, this.#upper!, message);
      else this.#upper!.onReceiveMessage(message);
    }

    onReceiveHalfClose(): void {
      if (this.#cancelled) return;
      const rpc = this.#rpc;
      if (rpc === undefined) this.#upper!.onReceiveHalfClose();
      else context.with(rpc.context, passHalfClose, undefined, this.#upper!);
    }

    onCancel(): void {
      this.#cancelled = true;
      const expired = deadlinePassed(this.#next);
      this.#rpc?.finish(
        expired ? GrpcStatus.DEADLINE_EXCEEDED : GrpcStatus.CANCELLED,
        expired ? 'Deadline exceeded' : 'Cancelled by the client or the connection closed',
      );
      this.#upper!.onCancel();
    }
  };
}

function passMetadata(upper: InterceptingServerListener, metadata: grpc.Metadata): void {
  upper.onReceiveMetadata(metadata);
}

function passMessage(upper: InterceptingServerListener, message: unknown): void {
  upper.onReceiveMessage(message);
}

function passHalfClose(upper: InterceptingServerListener): void {
  upper.onReceiveHalfClose();
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

/** The traced server call class extending `base` (a grpc-js copy's `ServerInterceptingCall`), once per copy. */
export const tracedServerCallClass = classPerCopy(defineTracedServerCall);
