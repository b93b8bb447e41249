import { metrics, trace, ValueType } from '@opentelemetry/api';
import type { Histogram, Span, TextMapPropagator, Tracer } from '@opentelemetry/api';
import { nothingRegistered } from '../core/api-registrations';
import { isNoopMeter } from '../core/messaging-metrics';
import { safely } from '../core/diagnostics';
import { createContextSigning } from '../core/context-signing';
import type { ContextSigning } from '../core/context-signing';
import { checkOriginMaxAgeMs, EndToEndLatency, resolveEndToEndLatency } from '../core/end-to-end-latency';
import { ownFieldsReader, ownFieldsWriter } from '../core/own-fields';
import type { OwnFieldsReader } from '../core/own-fields';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../core/errors';
import { instrumentationDefaults } from '../core/instrumentation-defaults';
import { checkOptionTypes } from '../core/option-checks';
import { checkSemconvStability } from '../core/semconv-stability';
import type { OptionType } from '../core/option-checks';
import {
  METRIC_RPC_CLIENT_CALL_DURATION,
  METRIC_RPC_SERVER_CALL_DURATION,
} from '../core/semantic-attributes';
import { INSTRUMENTATION_NAME, VERSION } from '../version';
import type {
  GrpcInterceptorOptions,
  GrpcModule,
  GrpcRequestInfo,
  GrpcResponseInfo,
  GrpcServerInterceptorOptions,
} from './grpc-options';
import { loadGrpc } from './load-grpc';

/** Which end of a call an interceptor sits on. */
export type RpcSide = 'client' | 'server';

/** Interceptor options, validated once at setup and resolved to what every call needs. */
export interface GrpcConfig {
  readonly side: RpcSide;
  readonly grpc: GrpcModule;
  readonly tracer: Tracer;
  /** The call-duration histogram (`rpc.{side}.call.duration`, seconds). */
  readonly callDuration: Histogram | undefined;
  readonly metadataKeys: readonly string[];
  readonly messageEvents: boolean;
  readonly requestHook: ((span: Span, info: GrpcRequestInfo) => void) | undefined;
  readonly responseHook: ((span: Span, info: GrpcResponseInfo) => void) | undefined;
  /** The signer (client) and verifier (server); `undefined` without a `signing` option. */
  readonly signing: ContextSigning | undefined;
  /** tracebridge's own fields the client writes (signature, origin); `undefined`: neither. */
  readonly ownFieldsWriter: TextMapPropagator | undefined;
  /**
   * A live meter: the end-to-end histogram downstream is what it stands for, so an origin is written and
   * kept for a call that does not record only then (the origin rule, see `endToEndLatency`).
   */
  readonly metered: boolean;
  /** The server's reader of the own fields (origin, and the signature when verifying); none: neither. */
  readonly ownFieldsReader: OwnFieldsReader | undefined;
  /** Whether calls carry and record a pipeline origin (the `endToEndLatency` option), decided once. */
  readonly origins: boolean;
  /**
   * The server's end-to-end latency since the caller's pipeline origin; `undefined` on the client and with
   * `endToEndLatency: false`.
   */
  readonly endToEnd: EndToEndLatency | undefined;
  isIgnored(path: string): boolean;
  /**
   * `true` when the interceptor has nothing to do for a call right now: it was given no tracer or meter
   * provider (by option or by a `tracebridge/instrumentation` class), its meter is the API's no-op one,
   * and nothing is registered globally (see `nothingRegistered`). Its span would be a no-op span, inject
   * and extract would do nothing and no metric could be recorded, so the call is handed on as grpc-js
   * would run it without the interceptor. Asked per call (a few property reads), so an SDK registered
   * later is in force from the next call on.
   */
  dormant(): boolean;
}

/** Duration buckets the RPC conventions advise, in seconds. */
const RPC_DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Every option of `GrpcInterceptorOptions`: any other key is refused. */
const CLIENT_OPTION_TYPES: Readonly<Record<string, OptionType>> = {
  tracerProvider: 'object',
  meterProvider: 'object',
  ignoreMethods: 'array',
  metadataAttributes: 'array',
  messageEvents: 'boolean',
  requestHook: 'function',
  responseHook: 'function',
  grpc: 'object',
  signing: 'object',
  semconvStability: 'string',
  endToEndLatency: 'boolean',
};

/** Every option of `GrpcServerInterceptorOptions`. */
const SERVER_OPTION_TYPES: Readonly<Record<string, OptionType>> = {
  ...CLIENT_OPTION_TYPES,
  incoming: 'string or object',
  originMaxAgeMs: 'positive integer',
};

/** Validates `options` (throwing `TracebridgeConfigError` on a malformed one) and resolves them. */
export function resolveGrpcConfig(options: GrpcInterceptorOptions, side: RpcSide): GrpcConfig {
  const where = side === 'client' ? 'grpcClientInterceptor' : 'grpcServerInterceptor';
  checkOptionTypes(where, options, side === 'client' ? CLIENT_OPTION_TYPES : SERVER_OPTION_TYPES);
  checkSemconvStability(where, options.semconvStability);
  const grpc = loadGrpc(options.grpc);
  const defaults = instrumentationDefaults('grpc');
  const meter = (options.meterProvider ?? defaults.meterProvider ?? metrics.getMeterProvider()).getMeter(
    INSTRUMENTATION_NAME,
    VERSION,
  );
  // A no-op meter stays one (see `isNoopMeter`): no histogram then, so calls read no clock for it.
  const callDuration = isNoopMeter(meter)
    ? undefined
    : safely(
        'creating the RPC duration histogram',
        () =>
          meter.createHistogram(
            side === 'client' ? METRIC_RPC_CLIENT_CALL_DURATION : METRIC_RPC_SERVER_CALL_DURATION,
            {
              description: `Measures the duration of an outgoing (client) or incoming (server) remote procedure call.`,
              unit: 's',
              valueType: ValueType.DOUBLE,
              advice: { explicitBucketBoundaries: RPC_DURATION_BUCKETS_S },
            },
          ),
        undefined,
      );
  const signing = createContextSigning(options.signing, meter);
  const metered = !isNoopMeter(meter);
  const origins = resolveEndToEndLatency(where, options.endToEndLatency, 'grpc');
  const originMaxAgeMs = checkOriginMaxAgeMs((options as GrpcServerInterceptorOptions).originMaxAgeMs);
  const mayBeDormant =
    options.tracerProvider === undefined &&
    defaults.tracerProvider === undefined &&
    options.meterProvider === undefined &&
    defaults.meterProvider === undefined &&
    !metered;
  return {
    side,
    grpc,
    tracer: (options.tracerProvider ?? defaults.tracerProvider ?? trace.getTracerProvider()).getTracer(
      INSTRUMENTATION_NAME,
      VERSION,
    ),
    callDuration,
    metadataKeys: checkMetadataKeys(options.metadataAttributes),
    messageEvents: options.messageEvents === true,
    requestHook: options.requestHook,
    responseHook: options.responseHook,
    signing,
    ownFieldsWriter: ownFieldsWriter(signing?.signer, origins, metered),
    metered,
    ownFieldsReader: ownFieldsReader(signing !== undefined, origins),
    origins,
    endToEnd: side === 'server' && origins ? new EndToEndLatency(meter, 'rpc', originMaxAgeMs) : undefined,
    isIgnored: createIgnoreMatcher(options.ignoreMethods),
    dormant: mayBeDormant ? nothingRegistered : never,
  };
}

const never = (): boolean => false;

function checkMetadataKeys(keys: readonly string[] | undefined): readonly string[] {
  if (keys === undefined) return [];
  if (!Array.isArray(keys)) throw invalid('metadataAttributes must be an array of metadata keys');
  return keys.map((key: unknown, i) => {
    if (typeof key !== 'string' || key.length === 0)
      throw invalid(`metadataAttributes[${i}] must be a non-empty string`);
    if (key.toLowerCase().endsWith('-bin'))
      throw invalid(`metadataAttributes[${i}] is a binary key; it cannot be an attribute`);
    return key.toLowerCase();
  });
}

function createIgnoreMatcher(patterns: readonly (string | RegExp)[] | undefined): (path: string) => boolean {
  if (patterns === undefined || patterns.length === 0) return () => false;
  if (!Array.isArray(patterns)) throw invalid('ignoreMethods must be an array of strings or RegExps');
  const paths = new Set<string>();
  const regexps: RegExp[] = [];
  patterns.forEach((pattern: unknown, i) => {
    if (typeof pattern === 'string') {
      // A service name matches all of its methods; a path matches one method.
      paths.add(pattern.startsWith('/') ? pattern : `/${pattern}`);
    } else if (pattern instanceof RegExp && !pattern.global && !pattern.sticky) {
      regexps.push(pattern);
    } else {
      throw invalid(`ignoreMethods[${i}] must be a string or a RegExp without the g or y flag`);
    }
  });
  return (path) => {
    if (paths.has(path) || paths.has(path.slice(0, path.lastIndexOf('/')))) return true;
    return regexps.some((r) => r.test(path));
  };
}

function invalid(message: string): TracebridgeConfigError {
  return new TracebridgeConfigError(TracebridgeErrorCode.InvalidOption, message);
}
