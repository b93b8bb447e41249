import type { MeterProvider, Span, TracerProvider } from '@opentelemetry/api';
import type { SemconvStability } from '../core/semconv-stability';
import type { IncomingOption } from '../core/trust-policy';

/** What `sendHook` is told about a job being added (its id is not known yet when the span starts). */
export interface BullmqSendInfo {
  /** The queue the job goes to (`''` for `FlowProducer.addBulk`, whose flows may span queues). */
  readonly queue: string;
  /** BullMQ's operation: `'add'`, `'addBulk'`, `'addFlow'`, `'addBulkFlows'` or `'addNode'`. */
  readonly operation: string;
}

/** What `processHook` is told about a job about to be processed. */
export interface BullmqProcessInfo {
  readonly queue: string;
  /** The job's id; `undefined` only if BullMQ did not say before the span had to start. */
  readonly jobId: string | undefined;
  readonly jobName: string | undefined;
}

/** Options of {@link bullmqTelemetry}. */
export interface BullmqTelemetryOptions {
  /** Where spans go. Default: the globally registered tracer provider. */
  readonly tracerProvider?: TracerProvider | undefined;
  /** Where metrics go. Default: the globally registered meter provider. */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * What a job's stored context may do, per queue name: `'parent'` (default), `'link'` or `'ignore'`,
   * or `{ default, rules: [{ destination: 'queue' | /regexp/, policy }] }`.
   */
  readonly incoming?: IncomingOption;
  /**
   * `'duplicate'`: spans also carry the older messaging attribute names (`messaging.operation`), next to
   * the current ones. Default: `'stable'`. See {@link SemconvStability}.
   */
  readonly semconvStability?: SemconvStability;
  /**
   * `false`: no `tracebridge-origin` is stored with added jobs nor read from processed ones, and no
   * `tracebridge.messaging.end_to_end.duration` (nor its span attributes) is recorded. Default: `true`.
   */
  readonly endToEndLatency?: boolean;
  /** Called on every recording `send`/`create` span; a throw is logged and ignored. Default: none. */
  readonly sendHook?: (span: Span, info: BullmqSendInfo) => void;
  /** Called on every recording `process` span; a throw is logged and ignored. Default: none. */
  readonly processHook?: (span: Span, info: BullmqProcessInfo) => void;
  /**
   * Also hand BullMQ a meter, so that it records its own job counters (`bullmq.jobs.completed`,
   * `bullmq.jobs.failed`, `bullmq.jobs.delayed`, `bullmq.jobs.retried`, ...) and `bullmq.job.duration`
   * next to tracebridge's messaging metrics. Default: `false`.
   */
  readonly jobMetrics?: boolean;
}

/** The defaults of {@link BullmqTelemetryOptions}. */
export const DEFAULT_BULLMQ_TELEMETRY_OPTIONS = Object.freeze({
  incoming: 'parent',
  jobMetrics: false,
} as const satisfies BullmqTelemetryOptions);
