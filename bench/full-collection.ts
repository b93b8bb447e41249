import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: ((options?: { type: 'minor' | 'major' }) => void) | undefined;

/**
 * Runs a full garbage collection, without asking for `--expose-gc` on the command line: the flag is set
 * once at run time and `gc` is taken from a fresh context, where V8 then defines it.
 */
export function fullCollection(): void {
  gc()();
}

/** Collects the young generation only: what a short run left behind, without a full collection's effects. */
export function youngCollection(): void {
  gc()({ type: 'minor' });
}

function gc(): NonNullable<typeof collect> {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as NonNullable<typeof collect>;
  }
  return collect;
}
