import { getHeapStatistics, GCProfiler } from 'node:v8';

/**
 * Bytes allocated on the V8 heap while `work` runs: the growth of the used heap plus everything the
 * collections in between freed. Unlike time, allocation does not depend on the machine's load, so it
 * compares variants fairly on a shared machine. It counts every allocation in the process during the
 * run (the broker client's too), so compare variants by their difference from the baseline.
 */
export async function measureAllocation(work: () => Promise<void>): Promise<number> {
  const profiler = new GCProfiler();
  profiler.start();
  const usedBefore = getHeapStatistics().used_heap_size;
  try {
    await work();
  } catch (error) {
    profiler.stop();
    throw error;
  }
  const usedAfter = getHeapStatistics().used_heap_size;
  const { statistics } = profiler.stop();
  let freed = 0;
  for (const gc of statistics) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  }
  return usedAfter - usedBefore + freed;
}
