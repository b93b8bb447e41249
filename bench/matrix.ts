/**
 * The variants every workload runs, and the ratios the hot-path targets are stated in (issue 13):
 *
 * - the untraced baseline;
 * - the floor: exactly tracebridge's output made with the bare OpenTelemetry API and plain code (its spans:
 *   same count, kinds, parents, names and attributes, its own `tracebridge.*` ones included; inject into and
 *   extract from plain objects; the headers it adds, see floor-features.ts), the least any SDK-based
 *   instrumentation pays for that output; the setup check proves the names and attribute keys match;
 * - tracebridge;
 * - the contrib instrumentation, where one exists;
 *
 * the floor and tracebridge under no SDK and each sampler, the contrib instrumentation under each sampler.
 */
import { SpanKind } from '@opentelemetry/api';
import type { TracerProvider } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { checkExported, CONDITIONS, SAMPLERS } from './bench-sdk';
import type { BenchSdk, Condition, SamplerSdk, TraceGroup } from './bench-sdk';
import { median } from './runner';
import type { Variant, WorkloadResult } from './runner';

export type Family = 'baseline' | 'floor' | 'tracebridge' | 'contrib';

/** One cell of the matrix: what runs, and under which condition (none for the baseline). */
export interface Cell {
  readonly family: Family;
  readonly condition: Condition | undefined;
  readonly name: string;
}

/** The table's name of a cell: `tracebridge · AlwaysOn`, `floor · no SDK`, `no tracing`. */
export function cellName(family: Family, condition: Condition | undefined): string {
  return condition === undefined ? 'no tracing' : `${family} · ${condition}`;
}

/** Every cell of a workload, in run order; without `hasContrib`, no contrib cells. */
export function cells(hasContrib: boolean): Cell[] {
  const cell = (family: Family, condition: Condition | undefined): Cell => ({
    family,
    condition,
    name: cellName(family, condition),
  });
  return [
    cell('baseline', undefined),
    ...CONDITIONS.flatMap((c) => [
      cell('floor', c),
      cell('tracebridge', c),
      ...(hasContrib && c !== 'no SDK' ? [cell('contrib', c)] : []),
    ]),
  ];
}

/** The ratios of the targets. */
const NO_SDK_TARGET = 0.97;
const FLOOR_TARGET = 0.95;
const CONTRIB_TARGET = 1.2;

/** What a ratio is computed from: wall-clock time per operation, or this process's CPU time per operation. */
type Measure = 'nsPerOp' | 'cpuNsPerOp';

/**
 * One ratio of throughputs (`numerator` over `denominator`; 1.1 = numerator 10% faster), from the rounds:
 * both variants ran in every round, interleaved, so each round gives one ratio; the median of those and
 * their range are what the line prints.
 */
function roundRatios(
  result: WorkloadResult,
  measure: Measure,
  numerator: string,
  denominator: string,
): number[] | undefined {
  const top = result.results.find((r) => r.name === numerator)?.[measure];
  const bottom = result.results.find((r) => r.name === denominator)?.[measure];
  if (top === undefined || bottom === undefined) return undefined;
  return top.map((ns, i) => bottom[i]! / ns);
}

/** `0.96x (0.91..1.02) MET`, for one measure. */
function ratioCell(ratios: readonly number[], target: number | undefined): string {
  const mid = median(ratios);
  const spread = `(${Math.min(...ratios).toFixed(2)}..${Math.max(...ratios).toFixed(2)})`;
  const verdict = target === undefined ? '' : mid >= target ? ' MET' : ' UNMET';
  return `${mid.toFixed(3)}x ${spread}${verdict}`.padEnd(27);
}

/** `label  wall 0.96x (0.91..1.02) MET  cpu 0.97x (..) MET  (target >= 0.95x)`; `n/a` when a side did not run. */
function ratioLine(
  result: WorkloadResult,
  label: string,
  numerator: string,
  denominator: string,
  target?: number,
): string {
  const wall = roundRatios(result, 'nsPerOp', numerator, denominator);
  const cpu = roundRatios(result, 'cpuNsPerOp', numerator, denominator);
  if (wall === undefined || cpu === undefined || wall.length === 0)
    return `  ${label.padEnd(66)} n/a (not run)`;
  const goal = target === undefined ? '' : `(target >= ${target.toFixed(2)}x)`;
  const alloc = `alloc ${allocationDifference(result, numerator, denominator)}`.padEnd(18);
  return `  ${label.padEnd(66)} wall ${ratioCell(wall, target)} cpu ${ratioCell(cpu, target)} ${alloc} ${goal}`.trimEnd();
}

/** `+1234 B`: how many more bytes per operation `numerator` allocates than `denominator` (medians). */
function allocationDifference(result: WorkloadResult, numerator: string, denominator: string): string {
  const bytes = (name: string) => median(result.results.find((r) => r.name === name)!.bytesPerOp);
  const difference = Math.round(bytes(numerator) - bytes(denominator));
  return `${difference >= 0 ? '+' : ''}${difference} B`;
}

/**
 * The lines under a workload's table: each target's ratio as the median of per-round ratios with their
 * min..max, by wall-clock throughput and by this process's CPU per operation (on a shared machine the
 * latter is the steadier measure of tracing's own cost), and whether each is met; then the floor against
 * the baseline, for scale.
 */
export function targetsReport(result: WorkloadResult, contribLabel?: string): string {
  const name = cellName;
  const line = ratioLine.bind(undefined, result);
  const lines = ['targets (median of per-round throughput ratios, min..max across rounds):'];
  lines.push(
    line(
      'tracebridge, no SDK vs no tracing',
      name('tracebridge', 'no SDK'),
      name('baseline', undefined),
      NO_SDK_TARGET,
    ),
  );
  for (const sampler of SAMPLERS)
    lines.push(
      line(
        `tracebridge vs floor, ${sampler}`,
        name('tracebridge', sampler),
        name('floor', sampler),
        FLOOR_TARGET,
      ),
    );
  if (contribLabel !== undefined)
    for (const sampler of SAMPLERS)
      lines.push(
        line(
          `tracebridge vs ${contribLabel}, ${sampler}`,
          name('tracebridge', sampler),
          name('contrib', sampler),
          CONTRIB_TARGET,
        ),
      );
  lines.push('for scale:');
  for (const condition of CONDITIONS)
    lines.push(
      line(`floor vs no tracing, ${condition}`, name('floor', condition), name('baseline', undefined)),
    );
  return lines.join('\n');
}

/**
 * The runner's blocks (see `Workload.blocks`) for a matrix's variants: per condition, the variants compared
 * under it, run back to back in an order that changes every round (see `roundSequence`): no tracing,
 * tracebridge and the floor with no SDK; the floor, tracebridge and contrib under each sampler.
 */
export function conditionBlocks(variants: readonly { readonly cell: Cell }[]): string[][] {
  const names = new Set(variants.map((v) => v.cell.name));
  const block = (...members: string[]) => members.filter((name) => names.has(name));
  return [
    block(cellName('baseline', undefined), cellName('tracebridge', 'no SDK'), cellName('floor', 'no SDK')),
    ...SAMPLERS.map((s) => block(cellName('floor', s), cellName('tracebridge', s), cellName('contrib', s))),
  ];
}

/** The variants of `cells` that `include` keeps, built by `build`. */
export function buildVariants<V extends Variant>(
  all: readonly Cell[],
  include: (name: string) => boolean,
  build: (cell: Cell) => V,
): V[] {
  return all.filter((cell) => include(cell.name)).map(build);
}

/** What one variant's setup check expects it to export: see `checkExported`. */
export interface ExpectedExport {
  /** The instrumentation scope every exported span comes from. */
  readonly scope: string;
  /** The traces the checked operations make (how many may be sampled depends on the condition). */
  readonly groups: readonly TraceGroup[];
  /** What is wrong with one exported trace, or `undefined`. */
  readonly checkTrace: (spans: readonly ReadableSpan[]) => string | undefined;
}

/**
 * The setup check every workload runs, so that a table can never compare variants that make other spans
 * than they claim: each variant does `operations` with the SDK keeping what it exports, then its spans are
 * checked against `expected(variant)` under the variant's condition. Throws on the first that differs.
 * Then the floor's spans must be tracebridge's spans (see {@link checkFloorParity}).
 */
export async function checkEachVariant<V extends Variant & { readonly cell: Cell }>(
  sdk: BenchSdk,
  variants: readonly V[],
  operations: number,
  expected: (variant: V) => ExpectedExport,
): Promise<void> {
  const shapes = new Map<string, SpanShapes>();
  for (const v of variants) {
    sdk.keep(true);
    await v.enter?.();
    try {
      await v.run(operations);
    } finally {
      await v.exit?.();
    }
    const { scope, groups, checkTrace } = expected(v);
    const spans = sdk.keep(false);
    checkExported(v.name, v.cell.condition ?? 'no SDK', spans, scope, groups, checkTrace);
    shapes.set(v.name, spanShapes(spans));
  }
  checkFloorParity(shapes);
}

/** Per span kind: the names its spans had and the attribute keys any of them carried. */
type SpanShapes = Map<SpanKind, { readonly names: Set<string>; readonly keys: Set<string> }>;

function spanShapes(spans: readonly ReadableSpan[]): SpanShapes {
  const shapes: SpanShapes = new Map();
  for (const span of spans) {
    let shape = shapes.get(span.kind);
    if (shape === undefined) {
      shape = { names: new Set(), keys: new Set() };
      shapes.set(span.kind, shape);
    }
    // Each variant has destinations of its own (`bench-kafka-1ab81a0b`): their random part is not the shape.
    shape.names.add(span.name.replace(/\b[0-9a-f]{8}\b/g, '*'));
    for (const key of Object.keys(span.attributes)) shape.keys.add(key);
  }
  return shapes;
}

/**
 * "The same spans": under AlwaysOn, where every span is recorded, the floor's spans have, kind by kind, the
 * names and the attributes of tracebridge's, its own `tracebridge.*` ones included (the other samplers run
 * the same code, but sample a different few spans of each variant). The SDK's cost grows with every
 * attribute a span carries (each one is validated, counted and stored), so a floor of bare spans would be a
 * cheaper, less useful span than the one it is the yardstick for (see floor-features.ts).
 */
function checkFloorParity(shapes: ReadonlyMap<string, SpanShapes>): void {
  const floor = shapes.get(cellName('floor', 'AlwaysOn'));
  const ours = shapes.get(cellName('tracebridge', 'AlwaysOn'));
  if (floor === undefined || ours === undefined) return;
  const problems: string[] = [];
  for (const kind of new Set([...floor.keys(), ...ours.keys()])) {
    const f = floor.get(kind);
    const o = ours.get(kind);
    const label = SpanKind[kind];
    if (f === undefined || o === undefined) {
      problems.push(`${label} spans from ${f === undefined ? 'tracebridge' : 'the floor'} only`);
      continue;
    }
    const names = difference(o.names, f.names, 'names');
    const keys = difference(o.keys, f.keys, 'attributes');
    if (names !== undefined) problems.push(`${label} ${names}`);
    if (keys !== undefined) problems.push(`${label} ${keys}`);
  }
  if (problems.length > 0)
    throw new Error(`floor · AlwaysOn does not make tracebridge's spans: ${problems.join('; ')}`);
}

/** What `ours` has that `floor` lacks and the reverse, or `undefined` when they are the same. */
function difference(ours: Set<string>, floor: Set<string>, what: string): string | undefined {
  const missing = [...ours].filter((x) => !floor.has(x));
  const extra = [...floor].filter((x) => !ours.has(x));
  if (missing.length === 0 && extra.length === 0) return undefined;
  return `${what}: floor lacks [${missing.join(', ')}], has extra [${extra.join(', ')}]`;
}

/**
 * What a variant of a workload with a contrib instrumentation does before each of its runs: the SDK's
 * state reset, the cell's sampler SDK registered (none for no SDK), and the contrib instrumentation, for
 * its cells, switched to that SDK's provider.
 */
export function enterCell(
  sdk: BenchSdk,
  cell: Cell,
  samplerSdk: SamplerSdk | undefined,
  contrib: { setTracerProvider(provider: TracerProvider): void } | undefined,
): void {
  sdk.reset();
  if (samplerSdk === undefined) return;
  sdk.register();
  if (cell.family === 'contrib') contrib!.setTracerProvider(samplerSdk.provider);
}
