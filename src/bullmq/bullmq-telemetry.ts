import { context, metrics } from '@opentelemetry/api';
import { ContextLayer } from '../core/context-layer';
import { MessagingTelemetry } from '../core/messaging-telemetry';
import { checkOptionTypes } from '../core/option-checks';
import { INSTRUMENTATION_NAME, VERSION } from '../version';
import { bullmqMeter } from './bullmq-meter';
import { DEFAULT_BULLMQ_TELEMETRY_OPTIONS } from './bullmq-options';
import type { BullmqProcessInfo, BullmqSendInfo, BullmqTelemetryOptions } from './bullmq-options';
import { DORMANT_BULLMQ_SPAN, TracebridgeBullmqSpan } from './bullmq-span';
import { activeAttempt } from './job-attempt';
import type { BullmqContextManager, BullmqTelemetry, BullmqTracer } from './bullmq-types';
import { decodeJobMetadata, encodeJobMetadata, JOB_METADATA_KEY } from './job-metadata';

/**
 * The `messaging.system` of every BullMQ span and metric. The semantic conventions list no value for
 * BullMQ; `messaging.system` is an open enum whose guidance is a custom value naming the system.
 * @see https://opentelemetry.io/docs/specs/semconv/registry/attributes/messaging/#messaging-system
 */
export const BULLMQ_MESSAGING_SYSTEM = 'bullmq';

/**
 * Creates the value of the `telemetry` option of a BullMQ `Queue`, `Worker` or `FlowProducer` (BullMQ
 * 5.x's own extension point; nothing is patched). Give the same (or an equally configured) telemetry to
 * the queues that add jobs and the workers that process them:
 *
 * - adding a job is a PRODUCER span `send {queue}` (a flow: one `send`, and a `create {queue}` per job),
 *   whose context BullMQ stores with the job;
 * - each attempt at processing it is a CONSUMER span `process {queue}` whose parent is that context (or
 *   that links to it, per the `incoming` policy of the queue), with the processor's own spans inside;
 *   a scheduled (repeatable) job's runs each start their own trace, linked to the scheduling;
 * - BullMQ's other operations (fetching jobs, extending locks, stalled checks, moving jobs between
 *   states) make no spans;
 * - with nothing registered (no tracer provider, propagator or meter provider, and none given) it is
 *   dormant: no span, and no context stored with an added job, which is then stored and processed as
 *   without telemetry. Asked per operation, so an SDK registered later traces from the next job on.
 *
 * @throws TracebridgeConfigError at setup, for an option of the wrong type or a malformed `incoming`.
 */
export function bullmqTelemetry(options: BullmqTelemetryOptions = {}): BullmqTelemetry {
  // `incoming` takes a string or an object; the core checks it in full.
  const { incoming, ...typed } = options;
  checkOptionTypes('bullmqTelemetry', typed, {
    tracerProvider: 'object',
    meterProvider: 'object',
    sendHook: 'function',
    processHook: 'function',
    jobMetrics: 'boolean',
    semconvStability: 'string',
    endToEndLatency: 'boolean',
  });
  const resolved = { ...DEFAULT_BULLMQ_TELEMETRY_OPTIONS, ...options };
  const telemetry = new MessagingTelemetry<BullmqSendInfo, BullmqProcessInfo>({
    system: BULLMQ_MESSAGING_SYSTEM,
    tracerProvider: resolved.tracerProvider,
    meterProvider: resolved.meterProvider,
    incoming: incoming ?? resolved.incoming,
    semconvStability: resolved.semconvStability,
    endToEndLatency: resolved.endToEndLatency,
    sendHook: resolved.sendHook,
    processHook: resolved.processHook,
  });

  // Dormant (nothing registered, nothing given; asked per call, so an SDK registered later is in force
  // from BullMQ's next operation): no span, and no metadata stored with a job, which BullMQ then adds
  // and processes exactly as without telemetry. A step of an attempt that started while an SDK was
  // registered still reaches that attempt, so its span ends with its outcome.
  const tracer: BullmqTracer = {
    startSpan(_name, spanOptions, ctx) {
      const startContext = ctx ?? context.active();
      if (telemetry.dormant && activeAttempt(startContext) === undefined) return DORMANT_BULLMQ_SPAN;
      return new TracebridgeBullmqSpan(telemetry, spanOptions?.kind ?? 0, startContext);
    },
  };
  const contextManager: BullmqContextManager = {
    active: () => context.active(),
    // BullMQ calls `fn` with no arguments.
    with: (ctx, fn) => context.with(ctx, fn as () => ReturnType<typeof fn>),
    // `''` is no metadata: BullMQ stores none with the job.
    getMetadata: (ctx) => (telemetry.dormant ? '' : encodeJobMetadata(telemetry, ctx, Date.now())),
    fromMetadata(activeContext, metadata) {
      if (telemetry.dormant) return activeContext;
      // Missing or malformed metadata: the job is processed all the same, as a new trace. A layer, not a
      // copy of the active context: the process span takes it off again at once (see `JobAttempt`).
      const decoded = decodeJobMetadata(metadata);
      return decoded === undefined
        ? activeContext
        : ContextLayer.over(activeContext, JOB_METADATA_KEY, decoded);
    },
  };
  if (!resolved.jobMetrics) return { tracer, contextManager };
  const meterProvider = resolved.meterProvider ?? metrics.getMeterProvider();
  return {
    tracer,
    contextManager,
    meter: bullmqMeter(meterProvider.getMeter(INSTRUMENTATION_NAME, VERSION)),
  };
}
