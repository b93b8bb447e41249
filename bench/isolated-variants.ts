/**
 * `--isolate`: every variant of a workload in a Node.js process of its own, the rounds still interleaved
 * by this (parent) process, which tells one child at a time to make a timed run and collects what it
 * measured.
 *
 * Why: in one process the variants share the JIT's type feedback. The SDK's, the API's and the broker
 * client's functions are optimized for what every variant has fed them (recording spans and non-recording
 * ones, several samplers, the floor's option objects and tracebridge's), and a variant's time then depends
 * on which variants ran before it, by more than the margins the targets are stated in: on RabbitMQ the
 * floor under ParentBased(TraceIdRatio 0.1) took 55 µs of CPU a message after the other samplers' blocks
 * and 64 µs in a run of its block alone, while tracebridge took 64 µs in both. A service runs one sampler
 * and one instrumentation for its lifetime, which is what a process per variant measures (as JMH forks a
 * JVM per benchmark for the same reason). The interleaving keeps what it was for: the machine's drift falls
 * on the variants of a ratio alike.
 *
 * Each child runs the workload's setup for its one variant (its own connections, queue or topic, and the
 * setup check that it makes the spans it claims), then waits. The check of the floor's spans against
 * tracebridge's needs both, so a first child runs the setup of every variant and exits before any timing.
 *
 * `--forks=N` gives each variant N processes, whose timed rounds take turns (round r in process r mod N),
 * and the warm-up round warms all N. One process per variant leaves the luck of that process (where its
 * heap and code landed, the rhythm its client fell into with the broker) in every one of its rounds, and
 * the rounds' spread does not show it: on RabbitMQ under ParentBased(AlwaysOff), three runs of the same
 * code, 8 rounds each, put tracebridge's median CPU a message at 0.90x, 0.98x and 0.87x the floor's. On
 * Kafka it is starker: in one run with N = 3 the untraced loop took 60, 56 and 48 µs of CPU a message in
 * its first process, and 35, 27, 24 and 38, 29, 25 in the other two, in the same rounds. With N processes
 * a median is taken over rounds from all of them, so no single process decides it (though three do not
 * average out a difference that large).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { timeRun } from './runner';
import type { MeasureRun, RunMeasurement, Variant, Workload } from './runner';

/** The argument that makes `bench/index.ts` serve one variant (see {@link serveVariant}). */
export const SERVE_ARGUMENT = '--serve';
/** With {@link SERVE_ARGUMENT}: run the setup (and its checks) and the teardown, then exit. */
export const CHECK_ONLY_ARGUMENT = '--check-only';
/**
 * `--variant=<name, URI-encoded>`, repeatable: the variants a child sets up, in place of `--only` (whose
 * list is split at commas, which some names hold: `bare propagator, plain object`).
 */
export const VARIANT_ARGUMENT = '--variant=';

/** The variants named by {@link VARIANT_ARGUMENT}s in `argv`, or `undefined` when there are none. */
export function servedVariants(argv: readonly string[]): Set<string> | undefined {
  const names = argv
    .filter((a) => a.startsWith(VARIANT_ARGUMENT))
    .map((a) => decodeURIComponent(a.slice(VARIANT_ARGUMENT.length)));
  return names.length === 0 ? undefined : new Set(names);
}

/** Parent to child. */
type Command =
  | { readonly type: 'run'; readonly operations: number; readonly rewarmShare: number }
  | {
      readonly type: 'stop';
    };

/** Child to parent. */
type Report =
  | { readonly type: 'ready' }
  | { readonly type: 'measured'; readonly measurement: RunMeasurement }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly error: string };

/** One child: a variant's process and the one report it is waiting for. */
class VariantProcess {
  readonly #child: ChildProcess;
  readonly #name: string;
  #waiting: { resolve: (report: Report) => void; reject: (error: Error) => void } | undefined;
  #exited: Error | undefined;

  constructor(name: string, args: readonly string[]) {
    this.#name = name;
    this.#child = fork(process.argv[1]!, [...args], { execArgv: process.execArgv, stdio: 'inherit' });
    this.#child.on('message', (report: Report) => this.#settle(report));
    this.#child.on('exit', (code, signal) => {
      this.#exited = new Error(`the process of ${JSON.stringify(name)} exited (${signal ?? code})`);
      this.#waiting?.reject(this.#exited);
      this.#waiting = undefined;
    });
  }

  /** The next report, or a rejection when the child fails or exits first. */
  next(command?: Command): Promise<Report> {
    if (this.#exited !== undefined) return Promise.reject(this.#exited);
    const report = new Promise<Report>((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
    if (command !== undefined) this.#child.send(command);
    return report;
  }

  async expect<T extends Report['type']>(type: T, command?: Command): Promise<Extract<Report, { type: T }>> {
    const report = await this.next(command);
    if (report.type === 'failed') throw new Error(`${this.#name}: ${report.error}`);
    if (report.type !== type) throw new Error(`${this.#name}: expected ${type}, got ${report.type}`);
    return report as Extract<Report, { type: T }>;
  }

  kill(): void {
    if (this.#exited === undefined) this.#child.kill();
  }

  #settle(report: Report): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve(report);
  }
}

/**
 * Makes `workload` (built in this process for its names, blocks and counts only: its `setup` never runs
 * here) run each variant in a child, started with this process's arguments plus those that make it serve
 * that variant. Returns the workload to hand `runWorkload`, with setup and teardown that start and stop
 * the children, and the {@link MeasureRun} that times a run in the variant's child.
 */
export function isolateVariants(
  workload: Workload,
  args: readonly string[],
  forks = 1,
): { workload: Workload; measure: MeasureRun } {
  /** Each variant's processes. */
  const children = new Map<string, VariantProcess[]>();
  const serve = (names: readonly string[], ...extra: string[]) => [
    ...args.filter((a) => !a.startsWith('--only=') && !a.startsWith('--forks=') && a !== '--isolate'),
    ...names.map((name) => `${VARIANT_ARGUMENT}${encodeURIComponent(name)}`),
    SERVE_ARGUMENT,
    ...extra,
  ];
  const killAll = () => {
    for (const forked of children.values()) for (const child of forked) child.kill();
    children.clear();
  };
  const stopAll = async () => {
    for (const [name, forked] of children) {
      for (const child of forked) {
        try {
          await child.expect('stopped', { type: 'stop' });
        } catch (error) {
          console.error(`stopping ${name}:`, error);
          child.kill();
        }
      }
    }
    children.clear();
  };
  const isolated: Workload = {
    ...workload,
    setup: async () => {
      const all = workload.variants.map((v) => v.name);
      const check = new VariantProcess('the setup check', serve(all, CHECK_ONLY_ARGUMENT));
      await check.expect('stopped');
      try {
        // One at a time: setups running together would contend for the two cores and the brokers.
        for (let fork = 0; fork < forks; fork++) {
          for (const variant of workload.variants) {
            const child = new VariantProcess(variant.name, serve([variant.name]));
            children.set(variant.name, [...(children.get(variant.name) ?? []), child]);
            await child.expect('ready');
          }
        }
      } catch (error) {
        killAll();
        throw error;
      }
    },
    teardown: stopAll,
  };
  const runIn = async (child: VariantProcess, operations: number, rewarmShare: number) =>
    (await child.expect('measured', { type: 'run', operations, rewarmShare })).measurement;
  const measure: MeasureRun = async (variant, operations, rewarmShare, round) => {
    const forked = children.get(variant.name);
    if (forked === undefined) throw new Error(`no process for ${JSON.stringify(variant.name)}`);
    // The warm-up round, whose measurement the runner discards: every process makes it.
    if (round === 0) {
      let measurement: RunMeasurement | undefined;
      for (const child of forked) measurement = await runIn(child, operations, rewarmShare);
      return measurement!;
    }
    return runIn(forked[(round - 1) % forked.length]!, operations, rewarmShare);
  };
  return { workload: isolated, measure };
}

/**
 * The child's side: sets `workload` up (built with the one variant its {@link VARIANT_ARGUMENT} names), reports `ready`, then makes a
 * timed run of that variant for each `run` command until `stop`, when it tears down and reports `stopped`.
 * With `checkOnly`, only the setup and teardown.
 */
export async function serveVariant(workload: Workload, checkOnly: boolean): Promise<void> {
  const send = (report: Report) =>
    new Promise<void>((resolve, reject) =>
      process.send!(report, undefined, {}, (error) => (error === null ? resolve() : reject(error))),
    );
  const failed = (error: unknown) => send({ type: 'failed', error: describe(error) });
  try {
    await workload.setup?.();
  } catch (error) {
    await failed(error);
    return;
  }
  if (checkOnly) {
    await workload.teardown?.();
    await send({ type: 'stopped' });
    return;
  }
  const [variant] = workload.variants;
  if (variant === undefined || workload.variants.length !== 1) {
    await failed(new Error(`a served workload has one variant, not ${workload.variants.length}`));
    return;
  }
  await send({ type: 'ready' });
  await new Promise<void>((resolve) => {
    process.on('message', (command: Command) => {
      void handle(variant, command, send, failed).then((stopped) => {
        if (stopped) resolve();
      });
    });
  });
  await workload.teardown?.();
  await send({ type: 'stopped' });
}

/** Carries out one command; `true` once it was `stop`. */
async function handle(
  variant: Variant,
  command: Command,
  send: (report: Report) => Promise<void>,
  failed: (error: unknown) => Promise<void>,
): Promise<boolean> {
  if (command.type === 'stop') return true;
  try {
    await send({
      type: 'measured',
      measurement: await timeRun(variant, command.operations, command.rewarmShare),
    });
  } catch (error) {
    await failed(error);
  }
  return false;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
