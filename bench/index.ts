/**
 * `npm run bench [-- [--quick] [--only=name,name] workload...]`: runs the named workloads (default: all)
 * and prints their tables and the issue-13 target ratios under each.
 *
 * - `--quick`: fewer operations per run and fewer rounds (the whole suite in a few minutes);
 * - `--rounds=N`: N timed rounds per workload instead of its own count (with `--quick`: quick runs, more of them);
 * - `--only=a,b`: only the variants of those exact names (as the tables print them), for profiling one;
 * - `--rewarm=F`: the untimed re-warm before each timed run, as a share F of its operations (default 0.5);
 * - `--order=blocks` (default) or `--order=spread`: whether each round runs the variants compared with each
 *   other back to back, or orders every variant on its own (see runner.ts);
 * - `--isolate`: every variant in a process of its own, the rounds still interleaved (see
 *   isolated-variants.ts); the default runs them all in this one;
 * - `--forks=N` (implies `--isolate`): every variant in N processes of its own, its timed rounds taking
 *   turns among them, so that no one process's luck decides its median;
 * - `BENCH_END_TO_END=off` (environment): the tracebridge variants without the origin header and the
 *   end-to-end latency (`endToEndLatency: false`), and the floor without them too;
 * - `BENCH_ROUNDS_FILE=path` (environment): also writes every timed run's numbers, round by round, with
 *   the order each round ran its variants in, as JSON lines (one per workload) appended to `path`: what
 *   the medians hide (a variant slow in a few rounds, or after one neighbour);
 * - `heap`: not a timed table but a check that the heap stays flat over a million traced jobs.
 *
 * Workloads that need brokers start nothing themselves: run `npm run brokers:start` first. Each workload
 * module is loaded only when asked for, so a benchmark's client libraries (and the instrumentation it
 * compares against) load only for its own run.
 */
import { TRACEBRIDGE_BENCH_OPTIONS } from './built-package';
import {
  CHECK_ONLY_ARGUMENT,
  isolateVariants,
  SERVE_ARGUMENT,
  servedVariants,
  serveVariant,
} from './isolated-variants';
import { appendFileSync } from 'node:fs';
import { formatTable, roundSequence, runWorkload } from './runner';
import type { BenchOptions, Workload, WorkloadResult } from './runner';
import type { PropagatorName } from '../test/helpers/tracing';

/** A timed workload and the lines under its table, or a check that prints its own report. */
type WorkloadModule =
  | {
      readonly workload: (options: BenchOptions) => Workload;
      readonly summary?: (result: WorkloadResult) => string;
    }
  | { readonly check: (options: BenchOptions) => Promise<string> };

const WORKLOADS: Record<string, () => Promise<WorkloadModule>> = {
  carriers: async () => {
    const m = await import('./workloads/carriers.js');
    const propagator = (process.env['BENCH_PROPAGATOR'] as PropagatorName | undefined) ?? 'w3c';
    // The sink makes the carrier loops' results observable, so the JIT cannot drop them.
    return {
      workload: (options) => m.carriersWorkload(propagator, options),
      // Under --isolate the loops ran in the variants' processes, whose sinks this one cannot read.
      summary: (result) => (result.forks !== undefined ? '' : `(sink ${m.carriersSink()})`),
    };
  },
  'grpc-unary': () => import('./workloads/grpc-unary.js'),
  kafka: () => import('./workloads/kafka.js'),
  amqp: () => import('./workloads/amqp.js'),
  'redis-streams': () => import('./workloads/redis-streams.js'),
  heap: () => import('./workloads/heap.js'),
  bullmq: () => import('./workloads/bullmq.js'),
};

interface Arguments {
  readonly names: string[];
  readonly options: BenchOptions;
  /** `--isolate`: see isolated-variants.ts. */
  readonly isolate: boolean;
  /** `--forks=N`: processes per variant under `--isolate` (1 without the flag). */
  readonly forks: number;
  /** The flags as given (every argument starting with `--`), handed on to the children of `--isolate`. */
  readonly flags: string[];
}

function parseArguments(argv: readonly string[]): Arguments {
  const only = argv.find((a) => a.startsWith('--only='));
  const wanted =
    servedVariants(argv) ??
    (only === undefined ? undefined : new Set(only.slice('--only='.length).split(',')));
  const names = argv.filter((a) => !a.startsWith('--'));
  const roundsArgument = argv.find((a) => a.startsWith('--rounds='));
  const rounds = roundsArgument === undefined ? undefined : Number(roundsArgument.slice('--rounds='.length));
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0))
    throw new Error(`--rounds takes a positive whole number, not ${JSON.stringify(roundsArgument)}`);
  const rewarmArgument = argv.find((a) => a.startsWith('--rewarm='));
  const rewarmShare =
    rewarmArgument === undefined ? undefined : Number(rewarmArgument.slice('--rewarm='.length));
  if (rewarmShare !== undefined && !(rewarmShare > 0 && rewarmShare <= 10))
    throw new Error(
      `--rewarm takes a share of a run's operations in (0, 10], not ${JSON.stringify(rewarmArgument)}`,
    );
  const forksArgument = argv.find((a) => a.startsWith('--forks='));
  const forks = forksArgument === undefined ? 1 : Number(forksArgument.slice('--forks='.length));
  if (!(Number.isInteger(forks) && forks > 0))
    throw new Error(`--forks takes a positive whole number, not ${JSON.stringify(forksArgument)}`);
  const orderArgument = argv.find((a) => a.startsWith('--order='));
  const order = orderArgument === undefined ? 'blocks' : orderArgument.slice('--order='.length);
  if (order !== 'blocks' && order !== 'spread')
    throw new Error(`--order takes blocks or spread, not ${JSON.stringify(orderArgument)}`);
  return {
    names: names.length > 0 ? names : Object.keys(WORKLOADS),
    isolate: argv.includes('--isolate') || forksArgument !== undefined,
    forks,
    flags: argv.filter((a) => a.startsWith('--')),
    options: {
      quick: argv.includes('--quick'),
      include: (name) => wanted === undefined || wanted.has(name),
      ...(rounds === undefined ? {} : { rounds }),
      order,
      ...(rewarmShare === undefined ? {} : { rewarmShare }),
    },
  };
}

/** A workload's numbers round by round, and each round's order, as one JSON line (`BENCH_ROUNDS_FILE`). */
function roundsLine(result: WorkloadResult, options: BenchOptions): string {
  const { workload, results, inBlocks, forks } = result;
  const blocks = inBlocks ? workload.blocks : undefined;
  const timedRounds = results[0]?.nsPerOp.length ?? 0;
  // Timed round r is the runner's round r + 1: its round 0 warms up and is discarded.
  const orders = Array.from({ length: timedRounds }, (_, r) =>
    roundSequence(workload.variants, blocks, r + 1).map((v) => v.name),
  );
  const variants = results.map(({ name, nsPerOp, cpuNsPerOp, bytesPerOp }) => ({
    name,
    nsPerOp,
    cpuNsPerOp,
    bytesPerOp,
  }));
  // Under --forks=N, timed round r ran in each variant's process r mod N; 0: all in one process.
  const line = { workload: workload.name, quick: options.quick, forks: forks ?? 0, orders, variants };
  return `${JSON.stringify(line)}\n`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes(SERVE_ARGUMENT)) return serve(argv);
  const { names, options, isolate, forks, flags } = parseArguments(argv);
  if (TRACEBRIDGE_BENCH_OPTIONS.endToEndLatency === false)
    console.log(
      '(BENCH_END_TO_END=off: tracebridge runs with endToEndLatency: false; neither it nor the floor carries an origin)\n',
    );
  for (const name of names) {
    const load = WORKLOADS[name];
    if (load === undefined) {
      console.error(`unknown workload ${JSON.stringify(name)}; known: ${Object.keys(WORKLOADS).join(', ')}`);
      process.exitCode = 2;
      return;
    }
    const started = Date.now();
    const module = await load();
    if ('check' in module) {
      console.log(await module.check(options));
    } else {
      const workload = module.workload(options);
      const { workload: run, measure } = isolate
        ? isolateVariants(workload, [name, ...flags], forks)
        : { workload, measure: undefined };
      const result = {
        ...(await runWorkload(run, options.rounds, options.order, options.rewarmShare, measure)),
        workload,
        ...(isolate ? { forks } : {}),
      };
      console.log(formatTable(result));
      const roundsFile = process.env['BENCH_ROUNDS_FILE'];
      if (roundsFile !== undefined && roundsFile !== '')
        appendFileSync(roundsFile, roundsLine(result, options));
      const summary = module.summary?.(result);
      if (summary !== undefined && summary !== '') console.log(summary);
    }
    console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  }
}

/** A child of `--isolate`: serves the one variant its `--variant=` names, of its one workload. */
async function serve(argv: readonly string[]): Promise<void> {
  const { names, options } = parseArguments(argv);
  const module = await WORKLOADS[names[0]!]?.();
  if (module === undefined || !('workload' in module) || names.length !== 1)
    throw new Error(`${SERVE_ARGUMENT} takes one timed workload, not ${names.join(' ')}`);
  await serveVariant(module.workload(options), argv.includes(CHECK_ONLY_ARGUMENT));
  // The IPC channel would keep this process alive; the parent has every report it waits for.
  process.exit(0);
}

void main();
