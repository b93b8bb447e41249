/**
 * Benchmarks measure tracebridge as it ships: the built dist/ (`npm run bench` builds it first), not src/
 * through tsx. tsx compiles with esbuild's `keepNames`, which wraps every function expression in a
 * `__name(...)` call (an `Object.defineProperty`) each time it is created, a cost users never pay.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** Loads a built entry point (`index`, `grpc/index`), typed as its source module. */
export function loadBuilt<T>(entry: string, probe: (module: T) => unknown): T {
  const file = join(ROOT, 'dist', `${entry}.js`);
  if (!existsSync(file)) throw new Error('dist/ is not built: run `npm run build` (npm run bench does)');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(file) as T;
  if (String(probe(loaded)).includes('__name(')) {
    throw new Error(
      `dist/${entry}.js was transformed again when loaded; the numbers would not be the shipped code's`,
    );
  }
  return loaded;
}

/**
 * Options every tracebridge wrapper a workload creates gets besides its own. `BENCH_END_TO_END=off`:
 * `endToEndLatency: false`, so tracebridge runs without the `tracebridge-origin` header and the end-to-end
 * latency, and the floor follows (see floor-features.ts); unset or `on`: the default.
 */
export const TRACEBRIDGE_BENCH_OPTIONS: { readonly endToEndLatency?: boolean } = benchOptionsFromEnv(
  process.env['BENCH_END_TO_END'],
);

function benchOptionsFromEnv(value: string | undefined): { readonly endToEndLatency?: boolean } {
  if (value === undefined || value === '' || value === 'on') return {};
  if (value === 'off') return Object.freeze({ endToEndLatency: false });
  throw new Error(`BENCH_END_TO_END takes 'on' or 'off', not ${JSON.stringify(value)}`);
}
