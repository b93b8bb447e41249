/**
 * `npm run bench [-- workload...]`: runs the named workloads (default: all) and prints their tables.
 * Workloads that need brokers start nothing themselves: run `npm run brokers:start` first.
 *
 * Each workload module is loaded only when asked for, so a benchmark's client libraries (and the
 * instrumentation it compares against) load only for its own run.
 */
import { formatTable, runWorkload } from './runner';
import type { Workload, WorkloadResult } from './runner';
import type { PropagatorName } from '../test/helpers/tracing';

/** What a workload module provides: the workload, and optionally a verdict line under its table. */
interface WorkloadModule {
  readonly workload: () => Workload;
  readonly summary?: (result: WorkloadResult) => string;
}

const WORKLOADS: Record<string, () => Promise<WorkloadModule>> = {
  carriers: async () => {
    const m = await import('./workloads/carriers.js');
    const propagator = (process.env['BENCH_PROPAGATOR'] as PropagatorName | undefined) ?? 'w3c';
    // The sink makes the carrier loops' results observable, so the JIT cannot drop them.
    return { workload: () => m.carriersWorkload(propagator), summary: () => `(sink ${m.carriersSink()})` };
  },
  'grpc-unary': async () => {
    const m = await import('./workloads/grpc-unary.js');
    return { workload: m.grpcUnaryWorkload, summary: m.grpcUnarySummary };
  },
  kafka: () => import('./workloads/kafka.js'),
  amqp: () => import('./workloads/amqp.js'),
  'redis-streams': () => import('./workloads/redis-streams.js'),
  bullmq: () => import('./workloads/bullmq.js'),
};

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const names = requested.length > 0 ? requested : Object.keys(WORKLOADS);
  for (const name of names) {
    const load = WORKLOADS[name];
    if (load === undefined) {
      console.error(`unknown workload ${JSON.stringify(name)}; known: ${Object.keys(WORKLOADS).join(', ')}`);
      process.exitCode = 2;
      return;
    }
    const module = await load();
    const result = await runWorkload(module.workload());
    console.log(formatTable(result));
    if (module.summary !== undefined) console.log(module.summary(result));
    console.log('');
  }
}

void main();
