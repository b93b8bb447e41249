import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import type { Context, Span, SpanOptions, Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';
import { ProviderSwitch, ResolvedFromProvider } from './provider-switch';

/** A tracer provider that records nothing: what a disabled instrumentation's wrappers get. */
const OFF: TracerProvider = new ProxyTracerProvider();

/**
 * The tracer provider an instrumentation hands to the wrappers created without one. The wrappers keep
 * the tracers they got at creation for their lifetime, so the switch happens here, per span: NodeSDK's
 * `setTracerProvider` after the wrappers exist, `disable()` and `enable()` all reach wrappers made
 * earlier. Without a provider set, spans go to the globally registered one.
 */
export class SwitchableTracerProvider extends ProviderSwitch<TracerProvider> implements TracerProvider {
  constructor() {
    super(OFF, () => trace.getTracerProvider());
  }

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    return new SwitchableTracer(
      new ResolvedFromProvider(
        () => this.current(),
        () => this.current().getTracer(name, version, options),
      ),
    );
  }
}

/** Starts each span with the tracer of the provider's current target. */
class SwitchableTracer implements Tracer {
  readonly #tracer: ResolvedFromProvider<Tracer>;

  constructor(tracer: ResolvedFromProvider<Tracer>) {
    this.#tracer = tracer;
  }

  startSpan(name: string, options?: SpanOptions, context?: Context): Span {
    return this.#tracer.get().startSpan(name, options, context);
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
    const tracer = this.#tracer.get() as { startActiveSpan(name: string, ...rest: unknown[]): unknown };
    return tracer.startActiveSpan(name, ...rest);
  }
}
