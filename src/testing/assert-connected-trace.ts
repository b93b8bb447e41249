import { renderTraceOutline } from '../cli/trace-outline';
import { describeTraceProblems } from './describe-trace-problems';
import { toTraceSpan } from './finished-span';
import type { FinishedSpan } from './finished-span';
import { TraceAssertionError } from './trace-assertion-error';
import type { ConnectedTraceExpectations } from './trace-expectations';

/**
 * Asserts that `spans` (for example `exporter.getFinishedSpans()`) form one connected trace meeting
 * `expectations`, as {@link describeTraceProblems} checks; works with any test framework.
 *
 * @returns the id of the trace.
 * @throws TraceAssertionError listing every problem and the spans as a tree.
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) when `expectations` is malformed.
 */
export function assertConnectedTrace(
  spans: readonly FinishedSpan[],
  expectations: ConnectedTraceExpectations = {},
): string {
  const problems = describeTraceProblems(spans, expectations);
  const all = spans.map(toTraceSpan);
  const ofTrace = all.filter((span) => span.traceId === expectations.traceId);
  if (problems.length > 0) {
    // The trace asked about, when it has spans; otherwise everything, to show where the spans went.
    throw new TraceAssertionError(problems, renderTraceOutline(ofTrace.length > 0 ? ofTrace : all));
  }
  return expectations.traceId ?? all[0]!.traceId;
}
