import { createNoopMeter, ValueType } from '@opentelemetry/api';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { safely } from './diagnostics';
import {
  ATTR_ERROR_TYPE,
  METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES,
  METRIC_MESSAGING_CLIENT_OPERATION_DURATION,
  METRIC_MESSAGING_CLIENT_SENT_MESSAGES,
  METRIC_MESSAGING_PROCESS_DURATION,
  METRIC_TRACEBRIDGE_CONSUMER_LAG,
  METRIC_TRACEBRIDGE_TIME_IN_QUEUE,
} from './semantic-attributes';

/** Bucket boundaries the messaging conventions advise for duration histograms, in seconds. */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** Time in queue spans milliseconds to hours (a delayed job, a backlog); buckets to match. */
const QUEUE_TIME_BUCKETS_S = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/** Consumer lag runs from none to millions of messages behind; powers of ten, with steps between. */
const CONSUMER_LAG_BUCKETS = [0, 1, 10, 50, 100, 500, 1000, 5000, 10_000, 50_000, 100_000, 1_000_000];

/** The class of the API's no-op meter, which every provider hands out when no MeterProvider is registered. */
const NOOP_METER_CLASS: unknown = createNoopMeter().constructor;

/**
 * Whether `meter` is the API's no-op meter. A meter is fixed once obtained (the metrics API has no proxy
 * provider that a later registration would reach), so a no-op meter stays a no-op for good: what it would
 * record can be skipped, without building attributes or reading the clock.
 */
export function isNoopMeter(meter: Meter): boolean {
  return meter.constructor === NOOP_METER_CLASS;
}

/**
 * The messaging histograms and counters, created on first use from the meter the telemetry was given.
 * Without a registered MeterProvider, the meter is the API's no-op one and nothing is recorded at all.
 */
export class MessagingMetrics {
  /** Whether anything is recorded: false when the meter is the API's no-op meter, decided once. */
  readonly live: boolean;
  readonly #meter: Meter;
  #instruments: Instruments | undefined;

  constructor(meter: Meter) {
    this.#meter = meter;
    this.live = !isNoopMeter(meter);
  }

  /** A send or a pull receive finished: its duration, and the messages it carried. */
  recordOperation(
    attributes: Attributes,
    durationS: number,
    errorType: string | undefined,
    sent: number,
  ): void {
    if (!this.live) return;
    safely(
      'recording messaging metrics',
      () => {
        const i = this.#get();
        const withError = withErrorType(attributes, errorType);
        i.operationDuration.record(durationS, withError);
        if (sent > 0) i.sentMessages.add(sent, withError);
      },
      undefined,
    );
  }

  /** Messages handed to the application by a consumer. */
  recordConsumed(attributes: Attributes, count: number): void {
    if (!this.live) return;
    safely(
      'recording messaging metrics',
      () => this.#get().consumedMessages.add(count, attributes),
      undefined,
    );
  }

  /** A process span ended: how long the application's work took. */
  recordProcess(attributes: Attributes, durationS: number, errorType: string | undefined): void {
    if (!this.live) return;
    safely(
      'recording messaging metrics',
      () => this.#get().processDuration.record(durationS, withErrorType(attributes, errorType)),
      undefined,
    );
  }

  /** How long a message waited between being enqueued and reaching the consumer. */
  recordTimeInQueue(attributes: Attributes, seconds: number): void {
    if (!this.live) return;
    safely(
      'recording messaging metrics',
      () => this.#get().timeInQueue.record(seconds, attributes),
      undefined,
    );
  }

  /** How many messages the consumer was behind the end of the partition when it received a batch. */
  recordConsumerLag(attributes: Attributes, lag: number): void {
    if (!this.live) return;
    safely('recording messaging metrics', () => this.#get().consumerLag.record(lag, attributes), undefined);
  }

  #get(): Instruments {
    this.#instruments ??= createInstruments(this.#meter);
    return this.#instruments;
  }
}

interface Instruments {
  readonly operationDuration: Histogram;
  readonly sentMessages: Counter;
  readonly consumedMessages: Counter;
  readonly processDuration: Histogram;
  readonly timeInQueue: Histogram;
  readonly consumerLag: Histogram;
}

function createInstruments(meter: Meter): Instruments {
  const seconds = (description: string, buckets: number[]) => ({
    description,
    unit: 's',
    valueType: ValueType.DOUBLE,
    advice: { explicitBucketBoundaries: buckets },
  });
  return {
    operationDuration: meter.createHistogram(
      METRIC_MESSAGING_CLIENT_OPERATION_DURATION,
      seconds(
        'Duration of messaging operation initiated by a producer or consumer client.',
        DURATION_BUCKETS_S,
      ),
    ),
    sentMessages: meter.createCounter(METRIC_MESSAGING_CLIENT_SENT_MESSAGES, {
      description: 'Number of messages producer attempted to send to the broker.',
      unit: '{message}',
    }),
    consumedMessages: meter.createCounter(METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES, {
      description: 'Number of messages that were delivered to the application.',
      unit: '{message}',
    }),
    processDuration: meter.createHistogram(
      METRIC_MESSAGING_PROCESS_DURATION,
      seconds('Duration of processing operation.', DURATION_BUCKETS_S),
    ),
    timeInQueue: meter.createHistogram(
      METRIC_TRACEBRIDGE_TIME_IN_QUEUE,
      seconds(
        'Time a message waited between being enqueued and reaching its consumer.',
        QUEUE_TIME_BUCKETS_S,
      ),
    ),
    consumerLag: meter.createHistogram(METRIC_TRACEBRIDGE_CONSUMER_LAG, {
      description: 'Messages between the first message of a received batch and the end of its partition.',
      unit: '{message}',
      valueType: ValueType.INT,
      advice: { explicitBucketBoundaries: CONSUMER_LAG_BUCKETS },
    }),
  };
}

function withErrorType(attributes: Attributes, errorType: string | undefined): Attributes {
  return errorType === undefined ? attributes : { ...attributes, [ATTR_ERROR_TYPE]: errorType };
}
