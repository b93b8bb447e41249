import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { setInstrumentationDefaults } from '../core/instrumentation-defaults';
import type { DefaultsScope } from '../core/instrumentation-defaults';
import { VERSION } from '../version';
import { checkTransportConfig } from './check-config';
import { readEnvConfig } from './env-config';
import { DEFAULT_TRANSPORT_CONFIG } from './instrumentation-config';
import type { TracebridgeTransportConfig } from './instrumentation-config';
import { SwitchableMeterProvider } from './switchable-meter-provider';
import { SwitchableTracerProvider } from './switchable-tracer-provider';

/** A transport instrumentation's configuration once defaults and environment are applied. */
export type ResolvedTransportConfig = TracebridgeTransportConfig &
  Required<Pick<TracebridgeTransportConfig, keyof typeof DEFAULT_TRANSPORT_CONFIG>>;

/** The providers a transport instrumentation hands to the wrappers created without their own. */
interface Switches {
  readonly tracerProvider: SwitchableTracerProvider;
  readonly meterProvider: SwitchableMeterProvider;
}

/**
 * What the four transport instrumentations share: the OpenTelemetry `Instrumentation` face (through
 * `InstrumentationBase`, which also runs the module hooks of zero-code mode), and the defaults it gives
 * tracebridge's wrappers.
 *
 * The wrappers keep what they were created with, so the instrumentation hands them switchable providers:
 * `setTracerProvider`, `setMeterProvider`, `enable()` and `disable()` reach wrappers created before.
 * `setConfig` sets what wrappers created afterwards (and zero-code clients) use when not given an option.
 *
 * `InstrumentationBase`'s constructor calls `setConfig`, `init` and `enable` before this class's fields
 * exist, so the state those methods need is created on first use, never in a field initializer.
 */
export abstract class TransportInstrumentation extends InstrumentationBase<ResolvedTransportConfig> {
  declare private switchesState: Switches | undefined;

  protected constructor(name: string, config: TracebridgeTransportConfig | undefined) {
    // Resolved by `setConfig`, which the base constructor calls with it.
    super(name, VERSION, (config ?? {}) as ResolvedTransportConfig);
  }

  /** The wrappers this instrumentation configures. */
  protected abstract get scope(): DefaultsScope;

  /** Zero-code mode's module hooks; none for a transport without factories to hook. */
  protected abstract zeroCodeModules(): InstrumentationModuleDefinition[];

  /**
   * Replaces the configuration: the defaults, then the environment (`TRACEBRIDGE_*`, `OTEL_*`), then
   * `config`. Wrappers created from now on without an `incoming` (or `semconvStability`,
   * `endToEndLatency`) option use this one's.
   * @throws TracebridgeConfigError when an option has a value it does not accept.
   */
  override setConfig(config: TracebridgeTransportConfig = {}): void {
    checkTransportConfig(this.instrumentationName, config);
    const env = readEnvConfig(this.scope, this.instrumentationName);
    super.setConfig({ ...DEFAULT_TRANSPORT_CONFIG, ...env, ...definedOnly(config) });
    this.publishDefaults();
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this.switches().tracerProvider.setProvider(tracerProvider);
  }

  override setMeterProvider(meterProvider: MeterProvider): void {
    super.setMeterProvider(meterProvider);
    // InstrumentationBase's constructor calls this before the subclass exists; the global applies then.
    this.switches().meterProvider.setProvider(meterProvider);
  }

  override enable(): void {
    this.setSwitches(true);
    super.enable();
  }

  override disable(): void {
    this.setSwitches(false);
    super.disable();
  }

  /** Whether clients created now get traced without a wrapper call. */
  protected zeroCodeOn(): boolean {
    return this.isEnabled() && this.getConfig().zeroCode;
  }

  protected override init(): InstrumentationModuleDefinition[] {
    return this.zeroCodeModules();
  }

  private switches(): Switches {
    return (this.switchesState ??= {
      tracerProvider: new SwitchableTracerProvider(),
      meterProvider: new SwitchableMeterProvider(),
    });
  }

  private setSwitches(enabled: boolean): void {
    const { tracerProvider, meterProvider } = this.switches();
    tracerProvider.setEnabled(enabled);
    meterProvider.setEnabled(enabled);
    this.publishDefaults();
  }

  private publishDefaults(): void {
    const { tracerProvider, meterProvider } = this.switches();
    setInstrumentationDefaults(
      this.scope,
      Object.freeze({
        tracerProvider,
        meterProvider,
        incoming: this.getConfig().incoming,
        semconvStability: this.getConfig().semconvStability,
        endToEndLatency: this.getConfig().endToEndLatency,
      }),
    );
  }
}

/** The fields of `config` that are set: an explicit `undefined` does not erase an environment value. */
function definedOnly<T extends object>(config: T): Partial<T> {
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined)) as Partial<T>;
}
