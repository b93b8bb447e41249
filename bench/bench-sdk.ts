/**
 * What every traced benchmark variant shares: one OpenTelemetry SDK per sampler, set up as an application
 * would run it (a `BasicTracerProvider`, a `BatchSpanProcessor`, an exporter that counts spans and discards
 * them), and one set of globals (the AsyncLocalStorage context manager, W3C trace context + baggage) that
 * every traced variant registers alike, so the floor, tracebridge and the contrib instrumentations run
 * against the same propagator and context manager. Tracer providers are never registered globally: each
 * variant is handed its sampler's provider (`tracerProvider` option, `setTracerProvider`), because a tracer
 * taken from the global provider keeps the SDK it first found, and the variants could not be kept apart.
 *
 * Also here: fresh copies of a client library for instrumentations that patch it at `require` time.
 */
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, Sampler, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createPropagator } from '../test/helpers/tracing';

/** Counts exported spans per instrumentation scope and per kind, keeps them only when asked, discards them. */
export class CountingExporter implements SpanExporter {
  total = 0;
  readonly byScope = new Map<string, number>();
  readonly byKind = new Map<SpanKind, number>();
  kept: ReadableSpan[] | undefined;

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.total += spans.length;
    for (const span of spans) {
      const scope = span.instrumentationScope.name;
      this.byScope.set(scope, (this.byScope.get(scope) ?? 0) + 1);
      this.byKind.set(span.kind, (this.byKind.get(span.kind) ?? 0) + 1);
    }
    this.kept?.push(...spans);
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  reset(): void {
    this.total = 0;
    this.byScope.clear();
    this.byKind.clear();
  }

  /** Spans exported from `scope` since the last reset. */
  from(scope: string): number {
    return this.byScope.get(scope) ?? 0;
  }

  /** Spans of `kind` exported since the last reset. */
  ofKind(kind: SpanKind): number {
    return this.byKind.get(kind) ?? 0;
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The samplers every traced variant runs under, by the names the tables print. */
export const SAMPLERS = ['AlwaysOn', 'ParentBased(AlwaysOff)', 'ParentBased(TraceIdRatio 0.1)'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** A sampler, or `'no SDK'`: the library in place and nothing registered at all. */
export type Condition = SamplerName | 'no SDK';
export const CONDITIONS: readonly Condition[] = ['no SDK', ...SAMPLERS];

/** The fraction of root spans each sampler records (children follow their parent). */
const ROOT_RATIO: Readonly<Record<SamplerName, number>> = {
  AlwaysOn: 1,
  'ParentBased(AlwaysOff)': 0,
  'ParentBased(TraceIdRatio 0.1)': 0.1,
};

function createSampler(name: SamplerName): Sampler {
  switch (name) {
    case 'AlwaysOn':
      return new AlwaysOnSampler();
    case 'ParentBased(AlwaysOff)':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'ParentBased(TraceIdRatio 0.1)':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) });
  }
}

/** One sampler's SDK. */
export interface SamplerSdk {
  readonly sampler: SamplerName;
  readonly exporter: CountingExporter;
  readonly provider: BasicTracerProvider;
}

/** The SDKs of one workload, one per sampler, and the globals they share. */
export interface BenchSdk {
  /** `undefined` for `'no SDK'`. */
  of(condition: Condition): SamplerSdk | undefined;
  /** Registers the shared context manager and propagator globally (never a tracer provider). */
  register(): void;
  /** Flushes every processor (so the exporters' counts are complete) and unregisters the globals. */
  unregister(): Promise<void>;
  /** Resets every exporter's counts. */
  reset(): void;
  /** Spans exported by every SDK since the last reset. */
  total(): number;
  /** Starts keeping exported spans (`true`) or stops (`false`); returns those kept so far. */
  keep(on: boolean): ReadableSpan[];
  shutdown(): Promise<void>;
}

/**
 * `maxQueueSize`: spans the processor may hold before it drops; the checks after each run require that
 * none was dropped, so it must exceed the spans of one run.
 */
export function createBenchSdk(maxQueueSize = 262_144): BenchSdk {
  const sdks = new Map<SamplerName, SamplerSdk>(
    SAMPLERS.map((sampler) => {
      const exporter = new CountingExporter();
      const provider = new BasicTracerProvider({
        sampler: createSampler(sampler),
        spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize, maxExportBatchSize: 4096 })],
      });
      return [sampler, { sampler, exporter, provider }];
    }),
  );
  const all = [...sdks.values()];
  const contextManager = new AsyncLocalStorageContextManager();
  const propagator = createPropagator('w3c');
  let kept: ReadableSpan[] = [];
  return {
    of: (condition) => (condition === 'no SDK' ? undefined : sdks.get(condition)),
    register() {
      context.setGlobalContextManager(contextManager.enable());
      propagation.setGlobalPropagator(propagator);
    },
    async unregister() {
      await Promise.all(all.map((sdk) => sdk.provider.forceFlush()));
      context.disable();
      propagation.disable();
    },
    reset() {
      for (const sdk of all) sdk.exporter.reset();
    },
    total: () => all.reduce((n, sdk) => n + sdk.exporter.total, 0),
    keep(on) {
      const spans = kept;
      kept = [];
      for (const sdk of all) sdk.exporter.kept = on ? kept : undefined;
      return spans;
    },
    async shutdown() {
      await Promise.all(all.map((sdk) => sdk.provider.shutdown()));
      trace.disable();
    },
  };
}

/**
 * Traces a run makes when every one is recorded: `traces` traces of `spans` spans each. A workload lists
 * one group per shape (Kafka: one trace per message, and one per send).
 */
export interface TraceGroup {
  readonly traces: number;
  readonly spans: number;
}

/**
 * The span counts a run may export under `condition`: exactly all or none for AlwaysOn, ParentBased
 * (AlwaysOff) and no SDK; for the ratio sampler, which samples each trace independently, the binomial
 * mean within six standard deviations (a correct run falls outside it about once in 10^9).
 */
export function expectedSpans(
  condition: Condition,
  groups: readonly TraceGroup[],
): { min: number; max: number } {
  const all = groups.reduce((n, g) => n + g.traces * g.spans, 0);
  if (condition === 'no SDK') return { min: 0, max: 0 };
  const p = ROOT_RATIO[condition];
  if (p === 0 || p === 1) return { min: p * all, max: p * all };
  const mean = p * all;
  const sd = Math.sqrt(groups.reduce((v, g) => v + g.traces * p * (1 - p) * g.spans * g.spans, 0));
  return { min: Math.max(0, Math.floor(mean - 6 * sd)), max: Math.ceil(mean + 6 * sd) };
}

/**
 * The setup check every traced variant passes before timing: the spans it exported, from its own scope
 * only, number what `condition` allows, and every trace has the shape `checkTrace` demands (kinds and
 * parents). Under AlwaysOn the count is exact, so every message made its trace; under the ratio sampler
 * every sampled trace must be whole (a child recorded without its parent would fail `checkTrace`).
 */
export function checkExported(
  variant: string,
  condition: Condition,
  spans: readonly ReadableSpan[],
  scope: string,
  groups: readonly TraceGroup[],
  checkTrace: (spans: readonly ReadableSpan[]) => string | undefined,
): void {
  const { min, max } = expectedSpans(condition, groups);
  const foreign = spans.filter((s) => s.instrumentationScope.name !== scope).length;
  if (spans.length < min || spans.length > max || foreign > 0)
    throw new Error(
      `${variant}: exported ${spans.length} spans (${foreign} not from ${scope}), expected ${min}..${max}`,
    );
  for (const trace of groupByTrace(spans).values()) {
    const problem = checkTrace(trace);
    if (problem !== undefined) throw new Error(`${variant}: ${problem}`);
  }
}

/** `spans` by trace id. */
export function groupByTrace(spans: readonly ReadableSpan[]): Map<string, ReadableSpan[]> {
  const traces = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    const id = span.spanContext().traceId;
    const list = traces.get(id) ?? [];
    list.push(span);
    traces.set(id, list);
  }
  return traces;
}

/**
 * The check after each timed run (outside the timed region): the spans exported by every SDK number what
 * `condition` allows, all from `scope`, none dropped.
 */
export function checkCounts(
  variant: string,
  condition: Condition,
  sdk: BenchSdk,
  scope: string,
  groups: readonly TraceGroup[],
): void {
  const { min, max } = expectedSpans(condition, groups);
  const total = sdk.total();
  const own = sdk.of(condition)?.exporter.from(scope) ?? 0;
  if (total < min || total > max || own !== total)
    throw new Error(`${variant}: exported ${total} spans (${own} from ${scope}), expected ${min}..${max}`);
}

/** A trace of one `parentKind` root and `childKinds` children of it, as most workloads make. */
export function rootWithChild(
  rootKind: SpanKind,
  childKind: SpanKind,
): (spans: readonly ReadableSpan[]) => string | undefined {
  return (spans) => {
    const root = spans.find((s) => s.kind === rootKind && s.parentSpanContext === undefined);
    const child = spans.find((s) => s.kind === childKind);
    if (spans.length !== 2 || root === undefined || child === undefined)
      return `a trace of ${spans.map((s) => SpanKind[s.kind]).join(', ')}, expected a ${SpanKind[rootKind]} root and a ${SpanKind[childKind]} child`;
    if (child.parentSpanContext?.spanId !== root.spanContext().spanId)
      return `a ${SpanKind[childKind]} span is not the child of its trace's ${SpanKind[rootKind]} span: context did not travel`;
    return undefined;
  };
}

/**
 * What every floor span of one operation on one destination shares: its name and the attributes it starts
 * with, those of tracebridge's spans (see `checkFloorParity` in matrix.ts).
 */
export interface FloorOperation {
  readonly name: string;
  readonly attributes: Attributes;
}

/**
 * `make`'s operation for the destination last asked for, made again only when the destination changes (a
 * run has one), as a careful instrumentation keeps its names and attributes rather than building them per
 * message.
 */
export function lastFloorOperation(
  make: (destination: string) => FloorOperation,
): (destination: string) => FloorOperation {
  let last: { destination: string; operation: FloorOperation } | undefined;
  return (destination) => {
    if (last?.destination !== destination) last = { destination, operation: make(destination) };
    return last.operation;
  };
}

/** The tracer the floor variants start their spans with: the sampler's SDK, or the global API when none. */
export function floorTracer(sdk: SamplerSdk | undefined): Tracer {
  return (sdk?.provider ?? trace.getTracerProvider()).getTracer(FLOOR_SCOPE);
}

/** The instrumentation scope of the floor variants' spans. */
export const FLOOR_SCOPE = 'bench-floor';

/**
 * Loads separate copies of one package: each `fresh()` requires it again after removing its files from
 * the module cache, so an instrumentation enabled in between patches only the copies loaded after it.
 * `restore()` puts back the copy the process had before.
 */
export function packageCopies(packageName: string): { fresh<T>(): T; restore(): void } {
  const requireHere = createRequire(__filename);
  const main = requireHere.resolve(packageName);
  const marker = `${sep}node_modules${sep}${packageName.split('/').join(sep)}${sep}`;
  const root = main.includes(marker)
    ? main.slice(0, main.indexOf(marker) + marker.length)
    : `${dirname(main)}${sep}`;
  const keys = () => Object.keys(requireHere.cache).filter((key) => key.startsWith(root));
  const original = new Map(keys().map((key) => [key, requireHere.cache[key]]));
  return {
    fresh<T>(): T {
      for (const key of keys()) delete requireHere.cache[key];
      return requireHere(packageName) as T;
    },
    restore() {
      for (const key of keys()) delete requireHere.cache[key];
      for (const [key, module] of original) requireHere.cache[key] = module;
    },
  };
}

/** Whether `target[key]` (own or inherited) is a function shimmer wrapped, as instrumentations do. */
export function isWrapped(target: object, key: string): boolean {
  const fn: unknown = Reflect.get(target, key);
  return typeof fn === 'function' && Reflect.get(fn, '__wrapped') === true;
}
