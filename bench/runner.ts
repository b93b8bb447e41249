/**
 * The benchmark runner: a baseline and instrumented variants of one workload, interleaved in one process
 * for several rounds, so that drift in a shared, noisy machine (CPU frequency, other tenants) falls on
 * every variant alike. It reports medians and ratios against the baseline measured in the same run;
 * absolute numbers from different runs are not comparable and are not the point.
 *
 * No variant pays for another's work: each timed run starts after a full garbage collection and ends with
 * one (outside the timed region), so the garbage a variant leaves is not collected on the next one's time
 * (in this process, or under `--isolate` concurrently in its own); the run starts with an untimed re-warm
 * of the variant (see {@link rewarm}), so it is timed with its code optimized again; and each round
 * runs the variants in a different order (see {@link roundOrder}), so none follows the same neighbour in
 * every round. A plain rotation (A B C, B C A, C A B) would keep B after A in every round but the one it
 * opens, and whatever A leaves behind (garbage, a busier broker) would fall on B's time every round.
 *
 * A workload may group its variants into blocks of those it compares (see {@link Workload.blocks}): the
 * rounds then order the blocks so, and run each block's variants back to back, themselves in the order of
 * the same design over the block, so that a ratio compares two runs a few seconds apart rather than up to
 * a whole round apart, and the machine's drift within a round falls on both alike (`--order=spread`: every
 * variant ordered on its own, as before).
 */
import { measureAllocation } from './allocation';
import { fullCollection, youngCollection } from './full-collection';

/** How `npm run bench` was asked to run: `--quick` (fewer operations and rounds), `--only=a,b`. */
export interface BenchOptions {
  /** Fewer operations per run and fewer rounds: a first look, not a measurement to quote alone. */
  readonly quick: boolean;
  /** `--rounds=N`: this many timed rounds instead of the workload's own count (more rounds, a tighter spread). */
  readonly rounds?: number;
  /**
   * `--order=`: `'blocks'` (the default) runs a workload's {@link Workload.blocks} back to back; `'spread'`
   * orders every variant on its own, ignoring the blocks.
   */
  readonly order?: RoundOrdering;
  /** `--rewarm=F`: the untimed run before each timed one, as a share F of its operations (default 0.5). */
  readonly rewarmShare?: number;
  /** Whether the variant of that name runs (`--only` lists exact names; default: every variant). */
  readonly include: (name: string) => boolean;
}

/** One way of doing the workload's work. */
export interface Variant {
  readonly name: string;
  /** Switches global state (tracer provider, propagator) to this variant; called before each of its runs. */
  enter?(): void | Promise<void>;
  /** Does `operations` units of work. */
  run(operations: number): void | Promise<void>;
  /** Undoes `enter`; called after each of its runs. */
  exit?(): void | Promise<void>;
}

/** A workload: a baseline and the variants compared with it. */
export interface Workload {
  readonly name: string;
  readonly description: string;
  /** What one operation is, for the table ("inject+extract", "message", "call"). */
  readonly unit: string;
  /** Operations per timed run. */
  readonly operations: number;
  /** Timed rounds (each runs every variant once); one extra warm-up round is discarded. Default 7. */
  readonly rounds?: number;
  /** The first variant is the baseline. */
  readonly variants: readonly Variant[];
  /**
   * Variant names grouped into the blocks whose members are compared with each other, every variant in
   * exactly one block; each round runs a block's members back to back, in an order of its own (see
   * {@link roundSequence}). Default: each variant a block of its own.
   */
  readonly blocks?: readonly (readonly string[])[];
  setup?(): void | Promise<void>;
  teardown?(): void | Promise<void>;
}

/** The measurements of one variant. */
export interface VariantResult {
  readonly name: string;
  /** Nanoseconds per operation, one entry per timed round. */
  readonly nsPerOp: readonly number[];
  /**
   * This process's CPU time (user + system) per operation, one entry per timed round: on a shared machine
   * wall-clock time mixes the variant's cost with the brokers' and other tenants' load; this is its own.
   */
  readonly cpuNsPerOp: readonly number[];
  /**
   * Bytes allocated on the heap per operation, one entry per timed round: unlike time, independent of the
   * machine's load. Counts the whole process (the broker client's allocations too): read it as a difference
   * from the baseline.
   */
  readonly bytesPerOp: readonly number[];
  readonly medianNsPerOp: number;
  /** Median operations per second. */
  readonly opsPerSecond: number;
  /** Throughput relative to the baseline (1.0 = as fast; 0.9 = 10% slower). */
  readonly throughputRatio: number;
}

export interface WorkloadResult {
  readonly workload: Workload;
  readonly results: readonly VariantResult[];
  /** Whether the rounds ran the workload's blocks back to back (see {@link roundSequence}). */
  readonly inBlocks: boolean;
  /**
   * Under `--isolate`, how many processes each variant had, its timed rounds taking turns (`--forks=N`; 1
   * with `--isolate` alone); absent when every variant ran in this process. See isolated-variants.ts.
   */
  readonly forks?: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The untimed run before each timed one, as a share of the timed run's operations (`--rewarm=`). Half a run:
 * a tenth (the share until 2 December 2026) was too short for V8 to re-optimize a variant's per-message
 * path after another variant's run had made it polymorphic (a recording span type after a non-recording
 * one, another copy of the client library): on RabbitMQ, tracebridge under ParentBased(AlwaysOff) gave
 * 0.75x the floor by CPU with a tenth, and 0.91x with half a run, in the same order of variants.
 */
export const DEFAULT_REWARM_SHARE = 0.5;

/**
 * A full collection, then an untimed run of `operations`, then a young collection of what that run left.
 * The full collection keeps one variant's garbage off the next one's time; but with no live instance of a
 * variant's per-message objects it also clears their hidden classes, and V8 then throws away the optimized
 * code that depended on them (`--trace-deopt`: "weak objects"), a dozen functions of tracebridge's per-message
 * path in every run on RabbitMQ. Without this run the timed run would pay for compiling them again, in
 * proportion to how much code a variant has on its path rather than to what a message costs it.
 */
async function rewarm(variant: Variant, operations: number): Promise<void> {
  fullCollection();
  await variant.enter?.();
  try {
    await variant.run(operations);
  } finally {
    await variant.exit?.();
  }
  youngCollection();
}

/** One timed run of one variant: wall-clock and CPU nanoseconds and heap bytes, per operation. */
export interface RunMeasurement {
  readonly wall: number;
  readonly cpu: number;
  readonly bytes: number;
}

/** Times one run of `variant`, after its re-warm (see {@link rewarm}); where it runs is the caller's choice. */
export type MeasureRun = (
  variant: Variant,
  operations: number,
  rewarmShare: number,
  /** The runner's round: 0 is the warm-up, whose measurement is discarded. */
  round: number,
) => Promise<RunMeasurement>;

/** {@link MeasureRun} in this process. */
export async function timeRun(
  variant: Variant,
  operations: number,
  rewarmShare: number,
): Promise<RunMeasurement> {
  await rewarm(variant, Math.max(1, Math.ceil(operations * rewarmShare)));
  await variant.enter?.();
  try {
    const cpuBefore = process.cpuUsage();
    const start = process.hrtime.bigint();
    const allocated = await measureAllocation(async () => {
      await variant.run(operations);
    });
    const wall = Number(process.hrtime.bigint() - start) / operations;
    const cpu = process.cpuUsage(cpuBefore);
    return { wall, cpu: ((cpu.user + cpu.system) * 1000) / operations, bytes: allocated / operations };
  } finally {
    await variant.exit?.();
    // The run's garbage collected now, in this variant's time, not left for V8 to collect while the next
    // variant is timed (under `--isolate` its process shares the two cores, and the broker, with this
    // one's). Until 3 December 2026 it was left: on RabbitMQ under AlwaysOn, 30 rounds, tracebridge gave
    // 0.893x the floor by CPU in the rounds it ran right after the contrib variant (whose runs leave 19 KB
    // a message) and 0.971x right after the floor; with this collection, 0.931x and 0.921x.
    fullCollection();
  }
}

/**
 * The order of round `round` over `n` variants, from a Williams design: its first row (0, 1, n-1, 2, n-2,
 * ...) shifted by the round. The steps between neighbours in that row (+1, -2, +3, -4, ...) differ from one
 * another, so a variant's predecessor changes with its place in the row, which the shift moves every round.
 * For an odd `n` those steps repeat, and every other round runs its row backwards, as the design's second
 * half does; the predecessors then vary as much as for an even `n`.
 */
export function roundOrder(n: number, round: number): number[] {
  const order: number[] = [];
  for (let k = 0; k < n; k++) {
    const base = k % 2 === 1 ? (k + 1) / 2 : (n - k / 2) % n;
    order.push((base + round) % n);
  }
  return n % 2 === 1 && round % 2 === 1 ? order.reverse() : order;
}

/** How a round orders its variants: see the file's comment. */
export type RoundOrdering = 'blocks' | 'spread';

/**
 * The variants of round `round`: the blocks in the order of {@link roundOrder} over the blocks, and each
 * block's variants in the order of {@link roundOrder} over the block, so that each member of a block runs
 * right after each of the others, and first, as often (a block of two: forwards, then backwards).
 * Singleton blocks (`'spread'`, or no blocks) give exactly {@link roundOrder} over the variants.
 *
 * Until 3 December 2026 a block ran forwards in even rounds and backwards in odd ones. In a block of three
 * that kept its middle member (tracebridge, by design) after another variant in every round, while the
 * first and last ran after themselves at every round boundary; on RabbitMQ, whose broker the variants'
 * processes share, tracebridge then took 43.9 µs of CPU a message under AlwaysOn in the block of three
 * and 39.4 µs in a block of two with the floor alone, and the floor 37.1 and 39.0 µs.
 */
export function roundSequence(
  variants: readonly Variant[],
  blocks: readonly (readonly string[])[] | undefined,
  round: number,
): Variant[] {
  const groups = blocks === undefined ? variants.map((v) => [v]) : blockVariants(variants, blocks);
  return roundOrder(groups.length, round).flatMap((index) => {
    const group = groups[index]!;
    return roundOrder(group.length, round).map((member) => group[member]!);
  });
}

/** The blocks as variants; throws unless every variant is in exactly one block. */
function blockVariants(variants: readonly Variant[], blocks: readonly (readonly string[])[]): Variant[][] {
  const byName = new Map(variants.map((v) => [v.name, v]));
  const placed = new Set<string>();
  const groups = blocks.map((names) =>
    names.map((name) => {
      const variant = byName.get(name);
      if (variant === undefined || placed.has(name))
        throw new Error(`block member ${JSON.stringify(name)} is not a variant, or is in two blocks`);
      placed.add(name);
      return variant;
    }),
  );
  const missing = variants.filter((v) => !placed.has(v.name)).map((v) => v.name);
  if (missing.length > 0) throw new Error(`variants in no block: ${missing.join(', ')}`);
  return groups.filter((group) => group.length > 0);
}

/**
 * Runs `workload` interleaved and returns per-variant medians and ratios against the first variant.
 *
 * @param measure - how one timed run is made: in this process (the default), or in a process of the
 *   variant's own (see isolated-variants.ts).
 */
export async function runWorkload(
  workload: Workload,
  roundsOverride?: number,
  ordering: RoundOrdering = 'blocks',
  rewarmShare = DEFAULT_REWARM_SHARE,
  measure: MeasureRun = timeRun,
): Promise<WorkloadResult> {
  const rounds = roundsOverride ?? workload.rounds ?? 7;
  const blocks = ordering === 'blocks' ? workload.blocks : undefined;
  const samples = new Map<string, number[]>(workload.variants.map((v) => [v.name, []]));
  const cpuSamples = new Map<string, number[]>(workload.variants.map((v) => [v.name, []]));
  const byteSamples = new Map<string, number[]>(workload.variants.map((v) => [v.name, []]));
  await workload.setup?.();
  try {
    const variants = workload.variants;
    for (let round = 0; round <= rounds; round++) {
      for (const variant of roundSequence(variants, blocks, round)) {
        const { wall, cpu, bytes } = await measure(variant, workload.operations, rewarmShare, round);
        if (round === 0) continue;
        samples.get(variant.name)!.push(wall);
        cpuSamples.get(variant.name)!.push(cpu);
        byteSamples.get(variant.name)!.push(bytes);
      }
    }
  } finally {
    await workload.teardown?.();
  }
  const baselineNs = median(samples.get(workload.variants[0]!.name)!);
  return {
    workload,
    inBlocks: blocks !== undefined,
    results: workload.variants.map((variant) => {
      const nsPerOp = samples.get(variant.name)!;
      const medianNsPerOp = median(nsPerOp);
      return {
        name: variant.name,
        nsPerOp,
        cpuNsPerOp: cpuSamples.get(variant.name)!,
        bytesPerOp: byteSamples.get(variant.name)!,
        medianNsPerOp,
        opsPerSecond: 1e9 / medianNsPerOp,
        throughputRatio: baselineNs / medianNsPerOp,
      };
    }),
  };
}

function range(values: readonly number[]): string {
  return `${Math.min(...values).toFixed(0)}..${Math.max(...values).toFixed(0)}`;
}

function processesOfItsOwn(forks: number): string {
  return forks === 1 ? 'a process of its own' : `${forks} processes of its own, taking turns by round`;
}

/** Formats a result as a plain-text table. */
export function formatTable({ workload, results, inBlocks, forks }: WorkloadResult): string {
  const rows = [
    [
      'variant',
      `ns/${workload.unit}`,
      `${workload.unit}/s`,
      'vs baseline',
      'spread (min..max ns)',
      `CPU ns/${workload.unit}`,
      'CPU spread',
      `B/${workload.unit}`,
    ],
    ...results.map((r, i) => [
      r.name + (i === 0 ? ' (baseline)' : ''),
      r.medianNsPerOp.toFixed(0),
      Math.round(r.opsPerSecond).toLocaleString('en'),
      `${r.throughputRatio.toFixed(2)}x`,
      range(r.nsPerOp),
      median(r.cpuNsPerOp).toFixed(0),
      range(r.cpuNsPerOp),
      median(r.bytesPerOp).toFixed(0),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const rounds = results[0]?.nsPerOp.length ?? 0;
  return [
    `${workload.name}: ${workload.description}`,
    `${workload.operations.toLocaleString('en')} ${workload.unit} per run, ${rounds} interleaved rounds` +
      `${inBlocks ? ' (compared variants back to back)' : ''}` +
      `${forks === undefined ? '' : `, each variant in ${processesOfItsOwn(forks)}`}, medians`,
    line(rows[0]!),
    ...rows.slice(1).map(line),
  ].join('\n');
}
