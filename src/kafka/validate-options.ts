import { checkOptionTypes } from '../core/option-checks';
import type { OptionType } from '../core/option-checks';

const OPTION_TYPES: Readonly<Record<string, OptionType>> = {
  tracerProvider: 'object',
  meterProvider: 'object',
  signing: 'object',
  originMaxAgeMs: 'positive integer',
  createSpansPerMessage: 'boolean',
  producerHook: 'function',
  groupId: 'string',
  recordBinaryKeys: 'boolean',
  consumerHook: 'function',
};

/** Throws `TracebridgeConfigError` when a Kafka option is given with the wrong type. */
export function validateKafkaOptions(options: object, where: string): void {
  checkOptionTypes(where, options, OPTION_TYPES);
}
