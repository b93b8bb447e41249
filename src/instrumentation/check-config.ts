import { checkOptionTypes } from '../core/option-checks';
import { checkSemconvStability } from '../core/semconv-stability';
import { createIncomingPolicyResolver } from '../core/trust-policy';
import type { TracebridgeInstrumentationConfig, TracebridgeTransportConfig } from './instrumentation-config';

const TRANSPORT_OPTION_TYPES = {
  enabled: 'boolean',
  zeroCode: 'boolean',
  unpatchContrib: 'boolean',
  semconvStability: 'string',
  endToEndLatency: 'boolean',
} as const;

/**
 * Validates one transport's configuration, at construction and at every `setConfig`: a wrong option is a
 * `TracebridgeConfigError` there, never a surprise on the data path.
 */
export function checkTransportConfig(where: string, config: TracebridgeTransportConfig | undefined): void {
  if (config === undefined) return;
  // `incoming` is a string or an object: the core's resolver checks it.
  const { incoming, ...rest } = config as Record<string, unknown>;
  checkOptionTypes(where, rest, TRANSPORT_OPTION_TYPES);
  if (incoming !== undefined)
    createIncomingPolicyResolver(incoming as TracebridgeTransportConfig['incoming']);
  checkSemconvStability(where, config.semconvStability);
}

/** Validates the bundle's configuration: its own transport fields, then each transport's. */
export function checkInstrumentationConfig(config: TracebridgeInstrumentationConfig | undefined): void {
  if (config === undefined) return;
  const { kafka, rabbitmq, grpc, redis, ...shared } = config;
  checkOptionTypes(
    'TracebridgeInstrumentation',
    { kafka, rabbitmq, grpc, redis },
    {
      kafka: 'object',
      rabbitmq: 'object',
      grpc: 'object',
      redis: 'object',
    },
  );
  checkTransportConfig('TracebridgeInstrumentation', shared);
  for (const [scope, part] of Object.entries({ kafka, rabbitmq, grpc, redis })) {
    checkTransportConfig(`TracebridgeInstrumentation.${scope}`, part);
  }
}
