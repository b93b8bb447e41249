/**
 * `npm run bench [-- workload...]`: runs the named workloads (default: all) and prints their tables.
 * Workloads that need brokers start nothing themselves: run `npm run brokers:start` first.
 */
import { carriersSink, carriersWorkload } from './workloads/carriers';
import { grpcUnarySummary, grpcUnaryWorkload } from './workloads/grpc-unary';
import { formatTable, runWorkload } from './runner';
import type { Workload } from './runner';
import type { PropagatorName } from '../test/helpers/tracing';

const WORKLOADS: Record<string, () => Workload> = {
  carriers: () => carriersWorkload((process.env['BENCH_PROPAGATOR'] as PropagatorName | undefined) ?? 'w3c'),
  'grpc-unary': () => grpcUnaryWorkload(),
};

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const names = requested.length > 0 ? requested : Object.keys(WORKLOADS);
  for (const name of names) {
    const make = WORKLOADS[name];
    if (make === undefined) {
      console.error(`unknown workload ${JSON.stringify(name)}; known: ${Object.keys(WORKLOADS).join(', ')}`);
      process.exitCode = 2;
      return;
    }
    const result = await runWorkload(make());
    console.log(formatTable(result));
    if (name === 'grpc-unary') console.log(grpcUnarySummary(result));
    console.log('');
  }
  if (carriersSink() < 0) console.log('unreachable');
}

void main();
