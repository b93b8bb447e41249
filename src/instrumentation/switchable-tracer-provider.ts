import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import type { Context, Span, SpanOptions, Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';

/** A tracer provider that records nothing: what a disabled instrumentation's wrappers get. */
const OFF: TracerProvider = new ProxyTracerProvider();

/**
 * The tracer provider an instrumentation hands to the wrappers created without one. The wrappers keep
 * the tracers they got at creation for their lifetime, so the switch happens here, per span: NodeSDK's
 * `setTracerProvider` after the wrappers exist, `disable()` and `enable()` all reach wrappers made
 * earlier. Without a provider set, spans go to the globally registered one.
 */
export class SwitchableTracerProvider implements TracerProvider {
  #provider: TracerProvider | undefined;
  #enabled = true;

  /** The provider NodeSDK (or `registerInstrumentations`) gave the instrumentation. */
  setProvider(provider: TracerProvider): void {
    this.#provider = provider;
  }

  /** Off: every wrapper using this provider records nothing until it is switched on again. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  /** The provider spans go to now. */
  current(): TracerProvider {
    if (!this.#enabled) return OFF;
    return this.#provider ?? trace.getTracerProvider();
  }

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    return new SwitchableTracer(this, name, version, options);
  }
}

/** Resolves its tracer from the provider's current target, once per change of target. */
class SwitchableTracer implements Tracer {
  readonly #switch: SwitchableTracerProvider;
  readonly #name: string;
  readonly #version: string | undefined;
  readonly #options: TracerOptions | undefined;
  #resolvedFrom: TracerProvider | undefined;
  #tracer: Tracer | undefined;

  constructor(
    provider: SwitchableTracerProvider,
    name: string,
    version: string | undefined,
    options: TracerOptions | undefined,
  ) {
    this.#switch = provider;
    this.#name = name;
    this.#version = version;
    this.#options = options;
  }

  startSpan(name: string, options?: SpanOptions, context?: Context): Span {
    return this.#current().startSpan(name, options, context);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    context: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan(name: string, ...rest: unknown[]): unknown {
    const tracer = this.#current() as { startActiveSpan(name: string, ...rest: unknown[]): unknown };
    return tracer.startActiveSpan(name, ...rest);
  }

  #current(): Tracer {
    const provider = this.#switch.current();
    if (this.#tracer === undefined || this.#resolvedFrom !== provider) {
      this.#tracer = provider.getTracer(this.#name, this.#version, this.#options);
      this.#resolvedFrom = provider;
    }
    return this.#tracer;
  }
}
