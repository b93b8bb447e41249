/**
 * What the switchable tracer and meter providers share: the provider NodeSDK set (or the global one), a
 * provider that records nothing while the instrumentation is disabled, and objects resolved again from
 * the current provider only when it changes.
 */
export class ProviderSwitch<P> {
  readonly #off: P;
  readonly #global: () => P;
  #provider: P | undefined;
  #enabled = true;

  constructor(off: P, global: () => P) {
    this.#off = off;
    this.#global = global;
  }

  /** The provider NodeSDK (or `registerInstrumentations`) gave the instrumentation. */
  setProvider(provider: P): void {
    this.#provider = provider;
  }

  /** Off: everything using this switch records nothing until it is switched on again. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  /** The provider in force now. */
  current(): P {
    if (!this.#enabled) return this.#off;
    return this.#provider ?? this.#global();
  }
}

/** A tracer, meter or instrument made from the current provider, made again when the provider changes. */
export class ResolvedFromProvider<T> {
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
