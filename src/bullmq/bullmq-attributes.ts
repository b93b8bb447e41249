/**
 * BullMQ's own attribute names, as its `TelemetryAttributes` enum spells them: tracebridge reads them off
 * the calls BullMQ makes on its spans, as they are the only way BullMQ tells its telemetry about a job.
 */
export const BULLMQ_QUEUE_NAME = 'bullmq.queue.name';
export const BULLMQ_QUEUE_OPERATION = 'bullmq.queue.operation';
export const BULLMQ_JOB_ID = 'bullmq.job.id';
export const BULLMQ_JOB_NAME = 'bullmq.job.name';
export const BULLMQ_JOB_ATTEMPTS_MADE = 'bullmq.job.attempts.made';
export const BULLMQ_JOB_FAILED_REASON = 'bullmq.job.failed.reason';
export const BULLMQ_BULK_COUNT = 'bullmq.job.bulk.count';
export const BULLMQ_FLOW_NAME = 'bullmq.flow.name';
export const BULLMQ_JOB_SCHEDULER_ID = 'bullmq.job.scheduler.id';
export const BULLMQ_WORKER_NAME = 'bullmq.worker.name';

/** The events BullMQ adds to a process span when the attempt ends. */
export const BULLMQ_EVENT_JOB_COMPLETED = 'job completed';
export const BULLMQ_EVENT_JOB_FAILED = 'job failed';

/**
 * How a job's attempt ended, on its process span: `completed`; `retry` or `delay` (failed, BullMQ tries
 * again, at once or after a backoff); `failed` (failed and no attempt is left).
 */
export const ATTR_TRACEBRIDGE_BULLMQ_OUTCOME = 'tracebridge.messaging.bullmq.outcome';
/** The job's name (BullMQ's `job.name`), on send and process spans. */
export const ATTR_TRACEBRIDGE_BULLMQ_JOB_NAME = 'tracebridge.messaging.bullmq.job.name';
/** The id of the job scheduler (repeatable job) a job was created by. */
export const ATTR_TRACEBRIDGE_BULLMQ_SCHEDULER_ID = 'tracebridge.messaging.bullmq.scheduler.id';
