/**
 * `tracebridge/testing`: check, in your own tests, that a pipeline produced one connected trace: one
 * trace id, every parent present, no CONSUMER span that lost its producer's context, and the services
 * and span kinds you expect. Works with any test framework and loads neither the OpenTelemetry SDK nor
 * `node:assert`: spans are read through their shape (the SDK's `ReadableSpan`, 1.x or 2.x).
 *
 * ```ts
 * assertConnectedTrace(exporter.getFinishedSpans(), {
 *   services: ['gateway', 'orders', 'billing'],
 *   spanKinds: { PRODUCER: 1, CONSUMER: 1 },
 * });
 * ```
 * @packageDocumentation
 */
export { assertConnectedTrace } from './assert-connected-trace';
export { describeTraceProblems } from './describe-trace-problems';
export type { FinishedSpan } from './finished-span';
export { TRACE_ASSERTION_ERROR_CODE, TraceAssertionError } from './trace-assertion-error';
export type { ConnectedTraceExpectations, ExpectedSpanKind, SpanKindCounts } from './trace-expectations';
