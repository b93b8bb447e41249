/**
 * `node --import tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top]`: what a `node --cpu-prof`
 * profile of a benchmark spent its time on. Prints self time per function (name, file:line) and per
 * package or file, as percentages of the busy (non-idle) time, with the garbage collector's share.
 *
 * Profile one variant with, e.g.:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/index.ts --quick \
 *     --only='tracebridge · AlwaysOn' redis-streams
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's code lives: tracebridge's dist/ file, a package, a node internal, or a V8 pseudo-frame. */
function origin(url: string, functionName: string): string {
  if (url === '') return `(${functionName || 'native'})`.replace(/^\(\((.*)\)\)$/, '($1)');
  const dist = /\/dist\/(.*)$/.exec(url);
  if (dist !== null && !url.includes('node_modules')) return `tracebridge dist/${dist[1]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/g;
  let last: string | undefined;
  for (let m = pkg.exec(url); m !== null; m = pkg.exec(url)) last = m[1];
  if (last !== undefined) return last;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '').replace(/^.*\/(bench|test)\//, '$1/');
}

function summarize(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let busy = 0;
  let gc = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    busy += us;
    if (functionName === '(garbage collector)') gc += us;
    const where = origin(url, functionName);
    const key = `${functionName || '(anonymous)'}  ${where}${url === '' ? '' : `:${lineNumber + 1}`}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byOrigin.set(where, (byOrigin.get(where) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => `  ${pct(us)}  ${key}`);
  return [
    `busy ${(busy / 1e6).toFixed(2)} s, garbage collector ${pct(gc).trim()} of it`,
    'self time by package / file:',
    ...rows(byOrigin),
    'self time by function:',
    ...rows(byFunction),
  ].join('\n');
}

const [file, top] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: bench/cpu-profile-summary.ts <file.cpuprofile> [top]');
  process.exitCode = 2;
} else {
  console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top ?? 30)));
}
