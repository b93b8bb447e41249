/**
 * `tracebridge/redis`: helpers over an ioredis client (5.x or 6.x, RESP2 or RESP3) for jobs on Redis
 * streams, lists and pub/sub, whose processing joins the trace that enqueued them.
 *
 * Nothing is patched: you pass your client in. No span is made per Redis command; a job gets one span
 * where it is sent (PRODUCER) and one where it is processed (CONSUMER, parented to the sender's context).
 * A separate entry point, so that an application without Redis never loads this code.
 * @packageDocumentation
 */

// Streams: the primary job transport.
export type { StreamProducer } from './stream-producer';
export { streamProducer } from './stream-producer';
export type { StreamConsumer } from './stream-consumer';
export { streamConsumer } from './stream-consumer';
export type { StreamWorker } from './stream-worker';
export { streamWorker } from './stream-worker';
export type { DelayedJobs } from './delayed-jobs';
export { delayedJobs } from './delayed-jobs';
export { SCHEDULED_AT_FIELD } from './stream-fields';
export { DELAYED_JOB_MAX_FIELDS } from './promote-due-jobs';

// Lists and pub/sub: the payload travels in the tracebridge envelope.
export type { ListProducer } from './list-producer';
export { listProducer } from './list-producer';
export type { ListConsumer, ListJobHandler } from './list-consumer';
export { listConsumer } from './list-consumer';
export type { ChannelPublisher } from './channel-publisher';
export { channelPublisher } from './channel-publisher';
export type { ChannelListener } from './channel-listener';
export { channelListener } from './channel-listener';

// Options, jobs, and the client shapes the helpers accept.
export type {
  ChannelListenerOptions,
  ChannelMessage,
  ChannelPublisherOptions,
  DelayedJobsOptions,
  DelayedJobWhen,
  EnvelopeJob,
  EnvelopeSendInfo,
  ListConsumerOptions,
  ListEnd,
  ListJob,
  ListProducerOptions,
  ProcessReadOptions,
  PromoteDueJobsOptions,
  RedisConsumerTelemetryOptions,
  RedisJobErrorHandler,
  RedisProducerTelemetryOptions,
  StreamConsumerOptions,
  StreamFieldsInput,
  StreamJob,
  StreamJobHandler,
  StreamProducerOptions,
  StreamSendInfo,
  StreamWorkerOptions,
} from './redis-options';
export {
  DEFAULT_DELAYED_JOBS_OPTIONS,
  DEFAULT_LIST_PRODUCER_OPTIONS,
  DEFAULT_STREAM_WORKER_OPTIONS,
} from './redis-options';
export { ATTR_TRACEBRIDGE_REDIS_ACKNOWLEDGED, REDIS_MESSAGING_SYSTEM } from './redis-config';
export type { RedisArgument, RedisCommandClient, RedisConnection, RedisSubscriber } from './redis-client';
