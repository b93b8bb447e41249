import type { Context } from '@opentelemetry/api';
import { ATTR_MESSAGING_BATCH_MESSAGE_COUNT, ATTR_MESSAGING_MESSAGE_ID } from '../core/semantic-attributes';
import type { MessagingSpan } from '../core/messaging-span';
import {
  ATTR_TRACEBRIDGE_BULLMQ_JOB_NAME,
  ATTR_TRACEBRIDGE_BULLMQ_SCHEDULER_ID,
  BULLMQ_BULK_COUNT,
  BULLMQ_JOB_ID,
  BULLMQ_JOB_NAME,
  BULLMQ_JOB_SCHEDULER_ID,
} from './bullmq-attributes';
import type { BullmqAttributes, BullmqException } from './bullmq-types';
import type { BullmqMessagingTelemetry, SpanRole } from './span-role';

/**
 * A PRODUCER span for adding jobs: `send {queue}` for `add`, `addBulk` and a whole flow, `create {queue}`
 * for each job of a flow. BullMQ serialises the context this span runs in into the job, so the job's
 * processing is its child. The job id is known only once the job is stored; it arrives as an attribute.
 */
export class JobSend implements SpanRole {
  readonly #telemetry: BullmqMessagingTelemetry;
  readonly #queue: string;
  readonly #operation: string;
  readonly #operationType: 'send' | 'create';
  #span: MessagingSpan | undefined;

  constructor(
    telemetry: BullmqMessagingTelemetry,
    queue: string,
    operation: string,
    operationType: 'send' | 'create',
  ) {
    this.#telemetry = telemetry;
    this.#queue = queue;
    this.#operation = operation;
    this.#operationType = operationType;
  }

  context(ctx: Context): Context {
    this.#span ??= this.#telemetry.startSend({
      destination: this.#queue === '' ? undefined : this.#queue,
      operationName: this.#operationType,
      operationType: this.#operationType,
      parent: ctx,
      info: { queue: this.#queue, operation: this.#operation },
    });
    return this.#span.context;
  }

  attributes(attributes: BullmqAttributes): void {
    const span = this.#span?.span;
    if (span === undefined || !span.isRecording()) return;
    const jobId = attributes[BULLMQ_JOB_ID];
    if (typeof jobId === 'string') span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, jobId);
    const jobName = attributes[BULLMQ_JOB_NAME];
    if (typeof jobName === 'string') span.setAttribute(ATTR_TRACEBRIDGE_BULLMQ_JOB_NAME, jobName);
    const count = attributes[BULLMQ_BULK_COUNT];
    if (typeof count === 'number') span.setAttribute(ATTR_MESSAGING_BATCH_MESSAGE_COUNT, count);
    const schedulerId = attributes[BULLMQ_JOB_SCHEDULER_ID];
    if (typeof schedulerId === 'string') span.setAttribute(ATTR_TRACEBRIDGE_BULLMQ_SCHEDULER_ID, schedulerId);
  }

  event(): void {
    // BullMQ adds no events to its add spans.
  }

  exception(exception: BullmqException): void {
    this.#span?.recordError(exception);
  }

  end(): void {
    this.#span?.end();
  }
}
