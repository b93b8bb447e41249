import { createContextKey } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { ContextLayer, withSpan } from '../core/context-layer';
import { incomingWorkBase } from '../core/incoming-context';
import type { MessagingSpan } from '../core/messaging-span';
import type { MessageRead } from '../core/messaging-telemetry';
import { originSlotOf, withDeferredOrigin } from '../core/origin-time';
import type { OriginSlot, OriginSource } from '../core/origin-time';
import {
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_TRACEBRIDGE_ATTEMPT,
  ATTR_TRACEBRIDGE_DELAY_MS,
  ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS,
} from '../core/semantic-attributes';
import {
  ATTR_TRACEBRIDGE_BULLMQ_JOB_NAME,
  ATTR_TRACEBRIDGE_BULLMQ_OUTCOME,
  BULLMQ_EVENT_JOB_COMPLETED,
  BULLMQ_EVENT_JOB_FAILED,
  BULLMQ_JOB_ATTEMPTS_MADE,
  BULLMQ_JOB_FAILED_REASON,
  BULLMQ_JOB_ID,
  BULLMQ_JOB_NAME,
} from './bullmq-attributes';
import type { AttemptOutcome } from './bullmq-operation';
import type { BullmqProcessInfo } from './bullmq-options';
import type { BullmqAttributes, BullmqException } from './bullmq-types';
import { DeferredSpan } from './deferred-span';
import type { SpanStarter } from './deferred-span';
import { JOB_METADATA_KEY, jobMetadataCarrier } from './job-metadata';
import type { JobMetadata } from './job-metadata';
import type { BullmqMessagingTelemetry, SpanRole } from './span-role';

/** Where the processing context holds its attempt, for the outcome steps BullMQ runs inside it. */
const JOB_ATTEMPT_KEY = createContextKey('tracebridge.bullmq.job-attempt');

/** The attempt whose processing `ctx` is in, if any. */
export function activeAttempt(ctx: Context): JobAttempt | undefined {
  return ctx.getValue(JOB_ATTEMPT_KEY) as JobAttempt | undefined;
}

/** Job ids BullMQ gives the runs of a job scheduler (and of a legacy repeatable job). */
const SCHEDULED_RUN_ID_PREFIX = 'repeat:';

/**
 * One attempt at processing a job: the CONSUMER span `process {queue}`, parented to the context the job
 * was added in (or linked to it, per the queue's `incoming` policy), the application's processor running
 * inside it. A scheduled job's run starts its own trace, linked to the scheduling: one schedule never
 * grows one endless trace.
 *
 * The span ends when BullMQ ends it, which it does in a `finally` whether the attempt completed, failed,
 * or its worker was closed; how the attempt ended is read off BullMQ's `complete`/`retry`/`delay`/`fail`
 * steps and its `job failed` event.
 */
export class JobAttempt implements SpanRole, SpanStarter, OriginSource {
  readonly #telemetry: BullmqMessagingTelemetry;
  readonly #queue: string;
  #ambient: Context | undefined;
  #read: MessageRead | undefined;
  #metadata: JobMetadata | undefined;
  #jobId: string | undefined;
  #jobName: string | undefined;
  #attemptsMade: number | undefined;
  #outcome: AttemptOutcome | undefined;
  #span: MessagingSpan | undefined;
  /** When the attempt's span started: where its time in queue ends. */
  #arrivedAtMs = 0;
  /** Whether the time-in-queue histogram has been recorded (once per attempt). */
  #timeInQueueRecorded = false;

  constructor(telemetry: BullmqMessagingTelemetry, queue: string) {
    this.#telemetry = telemetry;
    this.#queue = queue;
  }

  /**
   * The context the processor runs in: the ambient context with the job's baggage when the queue trusts
   * it, this attempt's span, started once BullMQ says which job it is, and the pipeline origin the jobs
   * and messages the processor sends carry on, decided with the span.
   */
  context(ctx: Context): Context {
    this.#metadata = ctx.getValue(JOB_METADATA_KEY) as JobMetadata | undefined;
    // The layer `fromMetadata` set, taken off again: the context BullMQ was in, nothing copied.
    const ambient = ContextLayer.without(ctx, JOB_METADATA_KEY);
    this.#ambient = ambient;
    const read = this.#telemetry.readMessage(jobMetadataCarrier, this.#metadata?.fields);
    this.#read = read;
    // Only the baggage matters here: the span's parent and links are decided when it starts.
    const workBase = incomingWorkBase(this.#telemetry.incomingPolicy(this.#queue), read.context, ambient);
    // The attempt itself starts the span and gives the origin when first asked: no closure per job.
    const processing = withSpan(workBase, new DeferredSpan(this));
    // With end-to-end latency off nothing writes an origin: no layer for one, per job.
    const carried = this.#telemetry.endToEndLatency ? withDeferredOrigin(processing, this) : processing;
    return carried.setValue(JOB_ATTEMPT_KEY, this);
  }

  attributes(attributes: BullmqAttributes): void {
    const jobId = attributes[BULLMQ_JOB_ID];
    if (typeof jobId === 'string') this.#jobId = jobId;
    const jobName = attributes[BULLMQ_JOB_NAME];
    if (typeof jobName === 'string') this.#jobName = jobName;
    const attemptsMade = attributes[BULLMQ_JOB_ATTEMPTS_MADE];
    if (typeof attemptsMade === 'number') this.#attemptsMade = attemptsMade;
    if (this.#jobId !== undefined && this.#ambient !== undefined) this.#started();
  }

  /** BullMQ's `complete`, `retry`, `delay` or `fail` step ran for this attempt. */
  settled(outcome: AttemptOutcome): void {
    this.#outcome = outcome;
  }

  event(name: string, attributes: BullmqAttributes | undefined): void {
    if (name === BULLMQ_EVENT_JOB_COMPLETED) {
      this.#outcome ??= 'completed';
    } else if (name === BULLMQ_EVENT_JOB_FAILED) {
      const reason = attributes?.[BULLMQ_JOB_FAILED_REASON];
      this.#started().recordError(typeof reason === 'string' ? reason : 'job failed');
    }
  }

  exception(exception: BullmqException): void {
    this.#started().recordError(exception);
  }

  /**
   * The processor wrapper read from the job when it became ready to be processed and how long it was
   * delayed: the span's time in queue is measured from then, the delay recorded apart, and the
   * histogram recorded with that value instead of the one from the job's add.
   */
  ready(readyAtMs: number, delayMs: number): void {
    const messagingSpan = this.#started();
    if (this.#timeInQueueRecorded) return;
    this.#timeInQueueRecorded = true;
    const timeInQueueMs = this.#telemetry.recordTimeInQueue(this.#queue, readyAtMs, this.#arrivedAtMs);
    const span = messagingSpan.span;
    if (!span.isRecording() || timeInQueueMs === undefined) return;
    span.setAttribute(ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS, timeInQueueMs);
    if (delayMs > 0) span.setAttribute(ATTR_TRACEBRIDGE_DELAY_MS, delayMs);
  }

  end(): void {
    const messagingSpan = this.#started();
    if (!this.#timeInQueueRecorded) {
      // No processor wrapper said better: time in queue runs from the job's add, as the span says.
      this.#timeInQueueRecorded = true;
      this.#telemetry.recordTimeInQueue(this.#queue, this.#metadata?.enqueuedAtMs, this.#arrivedAtMs);
    }
    const span = messagingSpan.span;
    if (span.isRecording()) {
      // BullMQ counts an attempt when it finishes: after this one, `attemptsMade` is its number.
      if (this.#attemptsMade !== undefined) span.setAttribute(ATTR_TRACEBRIDGE_ATTEMPT, this.#attemptsMade);
      if (this.#outcome !== undefined) span.setAttribute(ATTR_TRACEBRIDGE_BULLMQ_OUTCOME, this.#outcome);
    }
    messagingSpan.end();
  }

  /** The attempt's span, for the {@link DeferredSpan} the processor's context holds. */
  startedSpan(): Span {
    return this.#started().span;
  }

  /** The origin the processor's sends carry on, decided with the span (see `withDeferredOrigin`). */
  originSlot(): OriginSlot | undefined {
    return originSlotOf(this.#started().context);
  }

  #started(): MessagingSpan {
    this.#span ??= this.#start();
    return this.#span;
  }

  #start(): MessagingSpan {
    const jobId = this.#jobId;
    const jobName = this.#jobName;
    this.#arrivedAtMs = Date.now();
    return this.#telemetry.startProcess({
      destination: this.#queue,
      carrier: jobMetadataCarrier,
      headers: this.#metadata?.fields,
      read: this.#read,
      enqueueTimeMs: this.#metadata?.enqueuedAtMs,
      // Recorded once the processor wrapper has had its say, or at the end (see `ready`).
      deferTimeInQueue: true,
      ambient: this.#ambient,
      policy: jobId?.startsWith(SCHEDULED_RUN_ID_PREFIX) === true ? 'link' : undefined,
      describe: describeJob,
      info: { queue: this.#queue, jobId, jobName },
    });
  }
}

/** A recording attempt's span gets the job's id and name (one function for every job). */
function describeJob(span: Span, info: BullmqProcessInfo): void {
  if (info.jobId !== undefined) span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, info.jobId);
  if (info.jobName !== undefined) span.setAttribute(ATTR_TRACEBRIDGE_BULLMQ_JOB_NAME, info.jobName);
}
