import { createNoopMeter, metrics } from '@opentelemetry/api';
import { ProviderSwitch, ResolvedFromProvider } from './provider-switch';
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
export class SwitchableMeterProvider extends ProviderSwitch<MeterProvider> implements MeterProvider {
  constructor() {
    super(OFF, () => metrics.getMeterProvider());
  }

  getMeter(name: string, version?: string, options?: MeterOptions): Meter {
    const provider = () => this.current();
    return new SwitchableMeter(
      new ResolvedFromProvider(provider, () => provider().getMeter(name, version, options)),
      provider,
    );
  }
}

class SwitchableMeter implements Meter {
  readonly #meter: ResolvedFromProvider<Meter>;
  readonly #provider: () => unknown;

  constructor(meter: ResolvedFromProvider<Meter>, provider: () => unknown) {
    this.#meter = meter;
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

  #instrument<T>(make: () => T): ResolvedFromProvider<T> {
    return new ResolvedFromProvider(this.#provider, make);
  }
}
