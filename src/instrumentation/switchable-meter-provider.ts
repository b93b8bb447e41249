import { createNoopMeter, metrics } from '@opentelemetry/api';
import type {
  BatchObservableCallback,
  Counter,
  Gauge,
  Histogram,
  Meter,
  MeterOptions,
  MeterProvider,
  MetricAttributes,
  MetricOptions,
  Observable,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
  UpDownCounter,
} from '@opentelemetry/api';

/** A meter provider that records nothing: what a disabled instrumentation's wrappers get. */
const OFF: MeterProvider = { getMeter: () => createNoopMeter() };

/**
 * The meter provider an instrumentation hands to the wrappers created without one: as
 * `SwitchableTracerProvider`, the switch happens per measurement, so NodeSDK's `setMeterProvider`,
 * `disable()` and `enable()` reach the histograms and counters of wrappers made earlier. Observable
 * instruments (tracebridge makes none) register with the provider current when they are created.
 */
export class SwitchableMeterProvider implements MeterProvider {
  #provider: MeterProvider | undefined;
  #enabled = true;

  setProvider(provider: MeterProvider): void {
    this.#provider = provider;
  }

  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  /** The provider measurements go to now. */
  current(): MeterProvider {
    if (!this.#enabled) return OFF;
    return this.#provider ?? metrics.getMeterProvider();
  }

  getMeter(name: string, version?: string, options?: MeterOptions): Meter {
    return new SwitchableMeter(
      () => this.current().getMeter(name, version, options),
      () => this.current(),
    );
  }
}

/** Something resolved again from the current provider whenever the provider changes. */
class Resolved<T> {
  readonly #provider: () => unknown;
  readonly #make: () => T;
  #from: unknown;
  #value: T | undefined;

  constructor(provider: () => unknown, make: () => T) {
    this.#provider = provider;
    this.#make = make;
  }

  get(): T {
    const provider = this.#provider();
    if (this.#value === undefined || this.#from !== provider) {
      this.#value = this.#make();
      this.#from = provider;
    }
    return this.#value;
  }
}

class SwitchableMeter implements Meter {
  readonly #meter: Resolved<Meter>;
  readonly #provider: () => unknown;

  constructor(meter: () => Meter, provider: () => unknown) {
    this.#meter = new Resolved(provider, meter);
    this.#provider = provider;
  }

  createHistogram<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): Histogram<A> {
    const histogram = this.#instrument(() => this.#meter.get().createHistogram<A>(name, options));
    return { record: (value, attributes, context) => histogram.get().record(value, attributes, context) };
  }

  createCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): Counter<A> {
    const counter = this.#instrument(() => this.#meter.get().createCounter<A>(name, options));
    return { add: (value, attributes, context) => counter.get().add(value, attributes, context) };
  }

  createUpDownCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): UpDownCounter<A> {
    const counter = this.#instrument(() => this.#meter.get().createUpDownCounter<A>(name, options));
    return { add: (value, attributes, context) => counter.get().add(value, attributes, context) };
  }

  createGauge<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): Gauge<A> {
    const gauge = this.#instrument(() => this.#meter.get().createGauge<A>(name, options));
    return { record: (value, attributes, context) => gauge.get().record(value, attributes, context) };
  }

  createObservableGauge<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableGauge<A> {
    return this.#meter.get().createObservableGauge<A>(name, options);
  }

  createObservableCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableCounter<A> {
    return this.#meter.get().createObservableCounter<A>(name, options);
  }

  createObservableUpDownCounter<A extends MetricAttributes = MetricAttributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableUpDownCounter<A> {
    return this.#meter.get().createObservableUpDownCounter<A>(name, options);
  }

  addBatchObservableCallback<A extends MetricAttributes = MetricAttributes>(
    callback: BatchObservableCallback<A>,
    observables: Observable<A>[],
  ): void {
    this.#meter.get().addBatchObservableCallback(callback, observables);
  }

  removeBatchObservableCallback<A extends MetricAttributes = MetricAttributes>(
    callback: BatchObservableCallback<A>,
    observables: Observable<A>[],
  ): void {
    this.#meter.get().removeBatchObservableCallback(callback, observables);
  }

  #instrument<T>(make: () => T): Resolved<T> {
    return new Resolved(this.#provider, make);
  }
}
