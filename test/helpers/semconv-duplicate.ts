// For the semconv-duplicate integration tests: the older attribute names 'duplicate' adds, and a
// `TracebridgeInstrumentation` registered the way a NodeSDK service's environment configures it.
import assert from 'node:assert/strict';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import * as legacy from '../../src/core/legacy-attributes';
import { setInstrumentationDefaults } from '../../src/core/instrumentation-defaults';
import { TracebridgeInstrumentation } from '../../src/instrumentation/index';

/** Every older name `semconvStability: 'duplicate'` may add, on any transport. */
export const LEGACY_NAMES: readonly string[] = Object.entries(legacy)
  .filter(([name, value]) => name.startsWith('ATTR_LEGACY_') && typeof value === 'string')
  .map(([, value]) => value as string);

/** Asserts `span` carries none of the older names: what every span records by default. */
export function assertNoLegacyNames(span: ReadableSpan): void {
  const found = Object.keys(span.attributes).filter((key) => LEGACY_NAMES.includes(key));
  assert.deepEqual(found, [], `${span.name}: older attribute names on a 'stable' span`);
}

/**
 * Runs `work` with `OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup` and a `TracebridgeInstrumentation` created
 * under it (recording to the global tracer provider, as NodeSDK's would), then disables it, removes the
 * defaults it set and restores the environment.
 */
export async function withMessagingDupInstrumentation<T>(work: () => Promise<T>): Promise<T> {
  const saved = process.env['OTEL_SEMCONV_STABILITY_OPT_IN'];
  process.env['OTEL_SEMCONV_STABILITY_OPT_IN'] = 'messaging/dup';
  const instrumentation = new TracebridgeInstrumentation();
  try {
    return await work();
  } finally {
    instrumentation.disable();
    for (const scope of ['kafka', 'rabbitmq', 'grpc', 'redis'] as const)
      setInstrumentationDefaults(scope, undefined);
    if (saved === undefined) delete process.env['OTEL_SEMCONV_STABILITY_OPT_IN'];
    else process.env['OTEL_SEMCONV_STABILITY_OPT_IN'] = saved;
  }
}
