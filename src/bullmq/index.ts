/**
 * `tracebridge/bullmq`: BullMQ jobs in the trace of the request that added them, through BullMQ's own
 * `telemetry` option (`Queue`, `Worker`, `FlowProducer`; BullMQ 5.x). Nothing is patched, and BullMQ is
 * never loaded by tracebridge: you hand the telemetry to the BullMQ objects you make.
 *
 * A separate entry point, so that an application without BullMQ never loads this code.
 * @packageDocumentation
 */
export { bullmqTelemetry, BULLMQ_MESSAGING_SYSTEM } from './bullmq-telemetry';
export { traceProcessor } from './trace-processor';
export type { JobReadiness } from './trace-processor';
export type { BullmqProcessInfo, BullmqSendInfo, BullmqTelemetryOptions } from './bullmq-options';
export { DEFAULT_BULLMQ_TELEMETRY_OPTIONS } from './bullmq-options';
export type {
  BullmqAttributes,
  BullmqAttributeValue,
  BullmqContextManager,
  BullmqException,
  BullmqInstrument,
  BullmqMeter,
  BullmqSpan,
  BullmqTelemetry,
  BullmqTracer,
} from './bullmq-types';
export type { AttemptOutcome } from './bullmq-operation';
export {
  ATTR_TRACEBRIDGE_BULLMQ_JOB_NAME,
  ATTR_TRACEBRIDGE_BULLMQ_OUTCOME,
  ATTR_TRACEBRIDGE_BULLMQ_SCHEDULER_ID,
} from './bullmq-attributes';
