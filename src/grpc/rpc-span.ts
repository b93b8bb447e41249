import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanOptions } from '@opentelemetry/api';
import { callHook, logger, safely, stepFailed } from '../core/diagnostics';
import { withSpan } from '../core/context-layer';
import { withIngressOrigin, withOrigin } from '../core/origin-time';
import type { InboundOwnFields } from '../core/own-fields';
import { startSpanSafely } from '../core/start-span';
import {
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_RPC_MESSAGE_ID,
  ATTR_RPC_MESSAGE_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  ATTR_TRACEBRIDGE_RPC_MESSAGES_RECEIVED,
  ATTR_TRACEBRIDGE_RPC_MESSAGES_SENT,
} from '../core/semantic-attributes';
import { peerOf } from './call-peer';
import type { PeerSource } from './call-peer';
import type { GrpcConfig } from './grpc-config';
import { GrpcStatus, isErrorStatus } from './grpc-status';
import { parseMethodPath } from './method-path';
import type { MethodName } from './method-path';

/** The metadata a call carries, as far as this file reads it. */
interface MetadataView {
  get(key: string): (string | Buffer)[];
}

/**
 * One gRPC call's span, on either side: counts messages, records allow-listed metadata, and ends exactly
 * once with the call's status, whichever of status, cancellation or deadline arrives first. No method
 * throws into grpc-js.
 */
export class RpcSpan {
  readonly span: Span;
  /** The context the call's work runs in (the handler on the server, the rest of the chain on the client). */
  readonly context: Context;
  readonly #config: GrpcConfig;
  readonly #streaming: boolean;
  readonly #profile: MethodProfile;
  /** When the call started, for the duration metric; read only when there is one. */
  readonly #startedAt: number;
  #sent = 0;
  #received = 0;
  #ended = false;

  constructor(
    config: GrpcConfig,
    span: Span,
    spanContext: Context,
    profile: MethodProfile,
    streaming: boolean,
  ) {
    this.#config = config;
    this.span = span;
    this.context = spanContext;
    this.#profile = profile;
    this.#streaming = streaming;
    this.#startedAt = config.callDuration === undefined ? 0 : performance.now();
  }

  /** Records allow-listed request metadata and calls `requestHook`. */
  started(metadata: MetadataView & object): void {
    if (!this.span.isRecording()) return;
    this.recordMetadata('request', metadata);
    // The hook's info only when there is a hook: an object per call otherwise made for nothing.
    if (this.#config.requestHook === undefined) return;
    callHook('requestHook', this.#config.requestHook, this.span, {
      path: this.#profile.path,
      service: this.#profile.name.service,
      method: this.#profile.name.method,
      metadata: metadata as never,
    });
  }

  /** Records allow-listed metadata as `rpc.grpc.{request|response}.metadata.<key>` (string arrays). */
  recordMetadata(direction: 'request' | 'response', metadata: MetadataView): void {
    if (this.#config.metadataKeys.length === 0 || !this.span.isRecording()) return;
    safely(
      'recording gRPC metadata',
      () => {
        for (const key of this.#config.metadataKeys) {
          const values = metadata.get(key).filter((v): v is string => typeof v === 'string');
          if (values.length > 0) this.span.setAttribute(`rpc.grpc.${direction}.metadata.${key}`, values);
        }
      },
      undefined,
    );
  }

  messageSent(): void {
    this.#sent++;
    this.#messageEvent('SENT', this.#sent);
  }

  messageReceived(): void {
    this.#received++;
    this.#messageEvent('RECEIVED', this.#received);
  }

  /** Whether the span has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Ends the span with a status object as grpc-js (or an interceptor further along) hands it over. Its
   * fields are read defensively: a status is a host value, and a throw here would reach grpc-js.
   */
  finishWithStatus(status: unknown, peer?: PeerSource): void {
    if (this.#ended) return;
    // Inline rather than through `safely`, as in `finish`: a closure and a result object per call add up.
    let code: number = GrpcStatus.UNKNOWN;
    let details: string | undefined;
    try {
      const fields = (status ?? {}) as { code?: unknown; details?: unknown };
      const given = fields.code;
      const text = fields.details;
      // UNKNOWN unless a whole number, as grpc-js itself treats it.
      if (Number.isInteger(given)) code = given as number;
      if (typeof text === 'string') details = text;
    } catch (failure) {
      stepFailed('reading a gRPC status', failure);
    }
    this.finish(code, details, peer);
  }

  /**
   * Ends the span with the call's final status. Only the first call has an effect. `peer` (the client's
   * call) is asked for the server's address only when the span records it.
   */
  finish(code: number, details: string | undefined, peerSource?: PeerSource): void {
    if (this.#ended) return;
    this.#ended = true;
    const error = isErrorStatus(code, this.#config.side);
    // Inline rather than through `safely`: a closure per call adds up.
    try {
      if (this.span.isRecording()) {
        this.span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
        const peer = peerSource === undefined ? undefined : peerOf(peerSource);
        if (peer !== undefined) {
          this.span.setAttribute('server.address', peer.address);
          this.span.setAttribute('server.port', peer.port);
        }
        if (this.#streaming) {
          this.span.setAttribute(ATTR_TRACEBRIDGE_RPC_MESSAGES_SENT, this.#sent);
          this.span.setAttribute(ATTR_TRACEBRIDGE_RPC_MESSAGES_RECEIVED, this.#received);
        }
        if (error)
          this.span.setStatus({ code: SpanStatusCode.ERROR, message: details ?? `gRPC status ${code}` });
        if (this.#config.responseHook !== undefined)
          callHook('responseHook', this.#config.responseHook, this.span, {
            path: this.#profile.path,
            service: this.#profile.name.service,
            method: this.#profile.name.method,
            code,
            details,
          });
      }
      this.span.end();
    } catch (failure) {
      logger.error('ending a gRPC span failed; tracing skips this step', failure);
    }
    const callDuration = this.#config.callDuration;
    if (callDuration === undefined) return;
    const durationS = (performance.now() - this.#startedAt) / 1000;
    try {
      callDuration.record(durationS, metricAttributes(this.#profile, code));
    } catch (error) {
      logger.error('recording the RPC duration failed; tracing skips this step', error);
    }
  }

  #messageEvent(type: 'SENT' | 'RECEIVED', id: number): void {
    if (!this.#config.messageEvents || this.#ended || !this.span.isRecording()) return;
    safely(
      'adding a message event',
      () => this.span.addEvent('message', { [ATTR_RPC_MESSAGE_TYPE]: type, [ATTR_RPC_MESSAGE_ID]: id }),
      this.span,
    );
  }
}

/** Per method path: the parsed name and the sampling attributes, computed once. */
interface MethodProfile {
  readonly path: string;
  readonly name: MethodName;
  readonly attributes: Attributes;
  /** The span options of a call without links, per side: one object shared by every call. */
  readonly clientOptions: SpanOptions;
  readonly serverOptions: SpanOptions;
  /** The duration metric's attributes per status code, made on first use. */
  readonly byStatus: Map<number, Attributes>;
}

function metricAttributes(profile: MethodProfile, code: number): Attributes {
  let attributes = profile.byStatus.get(code);
  if (attributes === undefined) {
    attributes = Object.freeze({ ...profile.attributes, [ATTR_RPC_GRPC_STATUS_CODE]: code });
    profile.byStatus.set(code, attributes);
  }
  return attributes;
}

const MAX_CACHED_METHODS = 1024;
const profiles = new Map<string, MethodProfile>();

function profileOf(path: string): MethodProfile {
  let profile = profiles.get(path);
  if (profile === undefined) {
    // A server only sees paths it registered; a client's paths come from its stubs: both are bounded in
    // practice, and the cap covers the rest.
    if (profiles.size >= MAX_CACHED_METHODS) profiles.clear();
    const name = parseMethodPath(path);
    const attributes = Object.freeze({
      [ATTR_RPC_SYSTEM]: 'grpc',
      [ATTR_RPC_SERVICE]: name.service,
      [ATTR_RPC_METHOD]: name.method,
    });
    profile = {
      path,
      name,
      attributes,
      // Without links the option is left out, not `undefined`: SpanOptions says an absent list that way.
      clientOptions: Object.freeze({ kind: SpanKind.CLIENT, attributes }),
      serverOptions: Object.freeze({ kind: SpanKind.SERVER, attributes }),
      byStatus: new Map(),
    };
    profiles.set(path, profile);
  }
  return profile;
}

/** A method's `rpc.system`, `rpc.service` and `rpc.method`: the attributes of its span and metrics. */
export function methodAttributes(path: string): Attributes {
  return profileOf(path).attributes;
}

/** Where and how a call's span starts. */
export interface RpcStart {
  readonly path: string;
  /** Whether either direction streams (message counts are recorded then). */
  readonly streaming: boolean;
  readonly kind: SpanKind;
  readonly parent: Context;
  readonly links?: Link[] | undefined;
  /** The context the span is set on for the call's work. Default: `parent`. */
  readonly workBase?: Context;
  /**
   * On the server: what tracebridge's own fields in the call's metadata held, whose origin the call's
   * work carries on (when `continued`) and its end-to-end latency is recorded from. Default: none.
   */
  readonly inbound?: InboundOwnFields | undefined;
  /** Whether the caller's trace is continued, so that its origin is believed (see `IncomingContext`). */
  readonly continued?: boolean;
}

/**
 * The context the call's span is set on, carrying its origin: on the server, the caller's (or a new one
 * at this hop) once the span has started, with its end-to-end latency recorded; on the client, the
 * origin of the work it is made in, or a new one when it is an ingress (made outside any consumer or
 * server). With `endToEndLatency: false`, the base as it is.
 */
function originBase(
  config: GrpcConfig,
  start: RpcStart,
  span: Span,
  arrivedAtMs: number,
  attributes: Attributes,
): Context {
  const base = start.workBase ?? start.parent;
  if (!config.origins) return base;
  if (config.endToEnd === undefined) return withIngressOrigin(base, span, config.metered);
  const recording = span.isRecording();
  if (!config.endToEnd.wants(span, recording)) return base;
  const continued = start.continued === true;
  return withOrigin(
    base,
    config.endToEnd.arrive(start.inbound, continued, span, recording, arrivedAtMs, attributes),
  );
}

/** Starts the CLIENT or SERVER span of one call. Never throws: a failing tracer yields a non-recording span. */
export function startRpcSpan(config: GrpcConfig, start: RpcStart): RpcSpan {
  const profile = profileOf(start.path);
  // A server's new origin is its arrival, read before its span starts (never later than the span's start).
  const arrivedAtMs = config.endToEnd === undefined ? 0 : Date.now();
  const span = startSpanSafely(
    config.tracer,
    profile.name.spanName,
    start.links === undefined
      ? start.kind === SpanKind.CLIENT
        ? profile.clientOptions
        : profile.serverOptions
      : { kind: start.kind, attributes: profile.attributes, links: start.links },
    start.parent,
  );
  const base = originBase(config, start, span, arrivedAtMs, profile.attributes);
  return new RpcSpan(config, span, withSpan(base, span), profile, start.streaming);
}
