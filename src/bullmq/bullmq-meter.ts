import type { Meter } from '@opentelemetry/api';
import { safely } from '../core/diagnostics';
import type { BullmqAttributes, BullmqInstrument, BullmqMeter } from './bullmq-types';

/**
 * The meter BullMQ records its job counters and job duration on, over an OpenTelemetry meter. BullMQ asks
 * for the instrument on every record, so each is created once and kept; there are eight names in all.
 */
export function bullmqMeter(meter: Meter): BullmqMeter {
  const counters = new Map<string, BullmqInstrument<'add'>>();
  const histograms = new Map<string, BullmqInstrument<'record'>>();
  return {
    createCounter(name, options) {
      let counter = counters.get(name);
      if (counter === undefined) {
        const instrument = meter.createCounter(name, options);
        counter = { add: (value, attributes) => guarded(() => instrument.add(value, defined(attributes))) };
        counters.set(name, counter);
      }
      return counter;
    },
    createHistogram(name, options) {
      let histogram = histograms.get(name);
      if (histogram === undefined) {
        const instrument = meter.createHistogram(name, options);
        histogram = {
          record: (value, attributes) => guarded(() => instrument.record(value, defined(attributes))),
        };
        histograms.set(name, histogram);
      }
      return histogram;
    },
  };
}

function guarded(record: () => void): void {
  safely('recording a BullMQ metric', record, undefined);
}

/** BullMQ's attributes may hold `undefined` values, which OpenTelemetry's attributes may not. */
function defined(attributes: BullmqAttributes | undefined): Record<string, string | number | boolean> {
  const result: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      result[key] = value;
  }
  return result;
}
