/**
 * A duration for a waterfall's duration column: at most 8 columns, three significant digits or so,
 * in the largest unit that keeps the number readable (`850 µs`, `12.5 ms`, `182.4 ms`, `1.24 s`, `2m 05s`).
 */
export function formatDuration(nanoseconds: bigint | number): string {
  const ns = Math.max(0, Number(nanoseconds));
  if (ns < 1e3) return `${Math.round(ns)} ns`;
  if (ns < 1e6 - 500) return `${Math.round(ns / 1e3)} µs`;
  if (ns < 1e9 - 5e4) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns < 60e9 - 5e6) return `${(ns / 1e9).toFixed(2)} s`;
  const totalSeconds = Math.round(ns / 1e9);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m ${pad2(totalSeconds % 60)}s`;
  const totalMinutes = Math.round(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)}h ${pad2(totalMinutes % 60)}m`;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
