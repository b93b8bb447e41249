import type * as grpc from '@grpc/grpc-js';
import type { MeterProvider, Span, TracerProvider } from '@opentelemetry/api';
import type { SigningOption } from '../core/context-signing';
import type { SemconvStability } from '../core/semconv-stability';
import type { IncomingOption } from '../core/trust-policy';

/** The grpc-js classes the interceptors build on; pass your own copy's module as `grpc` if needed. */
export type GrpcModule = Pick<typeof grpc, 'InterceptingCall' | 'ServerInterceptingCall'>;

/** What request and response hooks learn about a call. */
export interface GrpcCallInfo {
  /** The method path, `/package.Service/Method`. */
  readonly path: string;
  readonly service: string;
  readonly method: string;
}

/** Handed to `requestHook`: the call and its request metadata (read-only: the hook must not modify it). */
export interface GrpcRequestInfo extends GrpcCallInfo {
  readonly metadata: grpc.Metadata;
}

/** Handed to `responseHook` when the call ends. */
export interface GrpcResponseInfo extends GrpcCallInfo {
  /** The gRPC status code the call ended with. */
  readonly code: number;
  readonly details: string | undefined;
}

/** Options both interceptors accept. Every field is optional; defaults are listed with each. */
export interface GrpcInterceptorOptions {
  /** Where spans go. Default: the globally registered tracer provider. */
  readonly tracerProvider?: TracerProvider | undefined;
  /** Where the call-duration histograms go. Default: the globally registered meter provider. */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * Calls not traced at all: a string matches a method path (`/grpc.health.v1.Health/Check`) or a whole
   * service (`grpc.health.v1.Health`); a RegExp is tested against the path. Default: none.
   */
  readonly ignoreMethods?: readonly (string | RegExp)[];
  /**
   * Metadata keys (case-insensitive) whose values are recorded as `rpc.grpc.request.metadata.<key>` and
   * `rpc.grpc.response.metadata.<key>` attributes. Binary (`-bin`) keys are never recorded. Default: none,
   * as metadata may carry credentials.
   */
  readonly metadataAttributes?: readonly string[];
  /** Adds an event per message sent or received (`rpc.message.type`, `rpc.message.id`). Default: false. */
  readonly messageEvents?: boolean;
  /** Called when a traced call starts, on recording spans; a throw is logged and ignored. */
  readonly requestHook?: (span: Span, info: GrpcRequestInfo) => void;
  /** Called when a traced call ends, on recording spans; a throw is logged and ignored. */
  readonly responseHook?: (span: Span, info: GrpcResponseInfo) => void;
  /**
   * Signed creation context: the client interceptor signs the context it injects (with `signWith`), the
   * server interceptor continues only callers whose signature verifies and links (or ignores) the rest.
   * Default: none, nothing signed or verified. See {@link SigningOption}.
   */
  readonly signing?: SigningOption;
  /**
   * The `@grpc/grpc-js` module whose interceptor classes to use. Default: the one `require('@grpc/grpc-js')`
   * finds from tracebridge. Pass yours when your application bundles or pins a different copy.
   */
  readonly grpc?: GrpcModule;
  /**
   * Accepted (and checked) like every adapter's, so that one setting covers them all; gRPC spans are the
   * same under both values. The RPC names tracebridge emits are already those the contrib grpc
   * instrumentation and the Java agent emit by default (`rpc.system`, `rpc.service`, `rpc.method`,
   * `rpc.grpc.status_code`, `server.address`, `server.port`): there are no older ones to add. Default:
   * `'stable'`. See {@link SemconvStability}.
   */
  readonly semconvStability?: SemconvStability;
  /**
   * `false`: no `tracebridge-origin` metadata is sent by the client nor read by the server, and the server
   * records no `tracebridge.rpc.end_to_end.duration` (nor its span attributes). Signing is unaffected.
   * Default: a `tracebridge/instrumentation` class's setting (`TRACEBRIDGE_END_TO_END_LATENCY=false`), else
   * `true`.
   *
   * When on, a call pays for the origin only where something wants it: the client sends it, and the server
   * keeps its caller's for the calls and sends its handler makes, only when the call's trace is sampled
   * (its span records or carries the sampled flag) or the interceptor has a live meter (standing for the
   * end-to-end histogram downstream). So an unsampled hop that does not meter does not forward the origin,
   * and a later hop counts the call as a new origin.
   */
  readonly endToEndLatency?: boolean;
}

/** Options of `grpcClientInterceptor`. */
export type GrpcClientInterceptorOptions = GrpcInterceptorOptions;

/** Options of `grpcServerInterceptor`. */
export interface GrpcServerInterceptorOptions extends GrpcInterceptorOptions {
  /**
   * What the caller's trace context may do, per method path (rules match the path `/package.Service/Method`).
   * Default `'parent'`: the SERVER span continues the caller's trace. Use `'link'` on public ingress.
   */
  readonly incoming?: IncomingOption;
  /**
   * Inbound pipeline origins (the `tracebridge-origin` header) older than this, in ms, are not believed:
   * no `tracebridge.rpc.end_to_end.duration` is recorded and the hop counts as a new origin. Default: 7 days.
   */
  readonly originMaxAgeMs?: number;
}
