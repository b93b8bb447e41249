import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldLinkedTraces } from '../../../src/cli/fold-links';
import type { TraceSpan } from '../../../src/cli/trace-span';
import { TRACE_A, TRACE_B, spanId, traceSpan } from './trace-span-fixture';

const TRACE_C = 'cccccccccccccccccccccccccccccccc';
const link = (traceId: string, id: string): { traceId: string; spanId: string } => ({
  traceId,
  spanId: spanId(id),
});
const summary = (spans: readonly TraceSpan[]): string[][] =>
  spans.map((s) => [
    s.traceId.slice(0, 1),
    s.name,
    s.parentSpanId ?? '-',
    s.foldedFromTraceId?.slice(0, 1) ?? '-',
  ]);

describe('foldLinkedTraces', () => {
  it('copies a batch trace into every trace its root links, under the linked span, and drops it alone', () => {
    const spans = [
      traceSpan('sendA', undefined, 0, 1),
      traceSpan('sendC', undefined, 0, 1, { traceId: TRACE_C }),
      traceSpan('batch', undefined, 5, 9, {
        traceId: TRACE_B,
        links: [
          link(TRACE_A, 'sendA'),
          link(TRACE_A, 'sendA'),
          link(TRACE_C, 'sendC'),
          link(TRACE_A, 'absent'),
        ],
      }),
      traceSpan('commit', 'batch', 8, 9, { traceId: TRACE_B }),
    ];
    assert.deepEqual(summary(foldLinkedTraces(spans)), [
      ['a', 'sendA', '-', '-'],
      ['c', 'sendC', '-', '-'],
      ['a', 'batch', spanId('sendA'), 'b'],
      ['a', 'commit', spanId('batch'), 'b'],
      ['c', 'batch', spanId('sendC'), 'b'],
      ['c', 'commit', spanId('batch'), 'b'],
    ]);
  });

  it('leaves alone a trace whose links point nowhere present, into itself, or from a non-root span', () => {
    const spans = [
      traceSpan('root', undefined, 0, 9),
      traceSpan('inner', 'root', 1, 2, { links: [link(TRACE_A, 'root')] }),
      traceSpan('lonely', undefined, 3, 4, { traceId: TRACE_B, links: [link(TRACE_C, 'nowhere')] }),
      traceSpan('child', 'elsewhere', 3, 4, { traceId: TRACE_C, links: [link(TRACE_A, 'root')] }),
    ];
    assert.deepEqual(foldLinkedTraces(spans), spans);
  });

  it('never folds into a trace that is folded away itself: two traces linking each other stay', () => {
    const spans = [
      traceSpan('x', undefined, 0, 1, { links: [link(TRACE_B, 'y')] }),
      traceSpan('y', undefined, 0, 1, { traceId: TRACE_B, links: [link(TRACE_A, 'x')] }),
    ];
    assert.deepEqual(foldLinkedTraces(spans), spans);
  });
});
