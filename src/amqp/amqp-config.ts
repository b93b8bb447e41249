import { MessagingTelemetry } from '../core/messaging-telemetry';
import { checkOptionTypes } from '../core/option-checks';
import { DEFAULT_AMQP_TRACING_OPTIONS } from './amqp-options';
import type { AmqpConsumeInfo, AmqpPublishInfo, AmqpTracingOptions } from './amqp-options';
import { DeliveryTracker } from './delivery-tracker';
import { PublishNames } from './publish-tracing';

/** The `messaging.system` of every RabbitMQ span and metric. */
export const RABBITMQ_SYSTEM = 'rabbitmq';

/** What one traced channel works with, resolved and validated once, when it is traced. */
export interface AmqpChannelConfig {
  readonly telemetry: MessagingTelemetry<AmqpPublishInfo, AmqpConsumeInfo>;
  /** This channel's unsettled deliveries. */
  readonly tracker: DeliveryTracker;
  /** The names of this channel's last publish destination, kept for the next publish (see `PublishNames`). */
  readonly publishNames: PublishNames;
  readonly setTimestamp: boolean;
}

/** Validates `options` and builds one channel's telemetry; throws `TracebridgeConfigError` when malformed. */
export function resolveAmqpConfig(options: AmqpTracingOptions | undefined): AmqpChannelConfig {
  // Every option of `AmqpTracingOptions`: any other key is refused.
  checkOptionTypes('traceChannel', options, {
    tracerProvider: 'object',
    meterProvider: 'object',
    signing: 'object',
    incoming: 'string or object',
    originMaxAgeMs: 'positive integer',
    publishHook: 'function',
    consumeHook: 'function',
    setTimestamp: 'boolean',
    maxPendingSettles: 'positive integer',
    semconvStability: 'string',
    endToEndLatency: 'boolean',
  });
  const resolved = { ...DEFAULT_AMQP_TRACING_OPTIONS, ...options };
  return {
    telemetry: new MessagingTelemetry<AmqpPublishInfo, AmqpConsumeInfo>({
      system: RABBITMQ_SYSTEM,
      tracerProvider: resolved.tracerProvider,
      meterProvider: resolved.meterProvider,
      // Only what the caller gave: the core puts an instrumentation's default, then its own ('parent'),
      // in place of an absent one.
      incoming: options?.incoming,
      incomingRuleShape: 'amqp',
      signing: resolved.signing,
      originMaxAgeMs: resolved.originMaxAgeMs,
      semconvStability: resolved.semconvStability,
      endToEndLatency: resolved.endToEndLatency,
      sendHook: resolved.publishHook,
      processHook: resolved.consumeHook,
      hookNames: { send: 'publishHook', process: 'consumeHook' },
    }),
    tracker: new DeliveryTracker(resolved.maxPendingSettles),
    publishNames: new PublishNames(),
    setTimestamp: resolved.setTimestamp,
  };
}
