import { checkOptionTypes } from '../core/option-checks';
import type { OptionType } from '../core/option-checks';

/** Options both Kafka wrappers accept (`KafkaTracingOptions`). */
const COMMON_OPTION_TYPES = {
  tracerProvider: 'object',
  meterProvider: 'object',
  signing: 'object',
  recordMessageKeys: 'boolean',
  semconvStability: 'string',
  endToEndLatency: 'boolean',
} as const satisfies Record<string, OptionType>;

/** Every option of `traceProducer` (`KafkaProducerTracingOptions`): any other key is refused. */
const PRODUCER_OPTION_TYPES: Readonly<Record<string, OptionType>> = {
  ...COMMON_OPTION_TYPES,
  createSpansPerMessage: 'boolean',
  producerHook: 'function',
};

/** Every option of `traceConsumer` (`KafkaConsumerTracingOptions`): any other key is refused. */
const CONSUMER_OPTION_TYPES: Readonly<Record<string, OptionType>> = {
  ...COMMON_OPTION_TYPES,
  incoming: 'string or object',
  originMaxAgeMs: 'positive integer',
  groupId: 'string',
  recordBinaryKeys: 'boolean',
  consumerHook: 'function',
};

/**
 * Throws `TracebridgeConfigError` when an option of `traceProducer` or `traceConsumer` is unknown (a typo,
 * or an option of the other wrapper) or given with the wrong type.
 */
export function validateKafkaOptions(options: object, where: 'traceProducer' | 'traceConsumer'): void {
  checkOptionTypes(where, options, where === 'traceProducer' ? PRODUCER_OPTION_TYPES : CONSUMER_OPTION_TYPES);
}
