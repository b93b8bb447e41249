import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTraceTrees, servicesOf, traceRows } from '../../../src/cli/trace-tree';
import type { TraceTree } from '../../../src/cli/trace-tree';
import { TRACE_A, TRACE_B, spanId, traceSpan } from './trace-span-fixture';

/** `name@depth` per row, `~` after orphans: the tree as a compact list. */
function outline(tree: TraceTree): string[] {
  return traceRows(tree).map(({ node, depth }) => `${node.span.name}@${depth}${node.orphan ? '~' : ''}`);
}

describe('buildTraceTrees', () => {
  it('puts children under parents, siblings by start time, whatever the input order', () => {
    const spans = [
      traceSpan('c2', 'b', 30, 40),
      traceSpan('b', 'root', 5, 50),
      traceSpan('c1', 'b', 10, 20),
      traceSpan('root', undefined, 0, 100),
      traceSpan('d', 'root', 60, 70),
    ];
    const [tree] = buildTraceTrees(spans);
    assert.deepEqual(outline(tree!), ['root@0', 'b@1', 'c1@2', 'c2@2', 'd@1']);
    assert.equal(tree!.spanCount, 5);
    assert.equal(tree!.endTimeUnixNano - tree!.startTimeUnixNano, 100_000_000n);
  });

  it('orders siblings that start together by end time, then name, so output is deterministic', () => {
    const spans = [
      traceSpan('z', 'root', 10, 30),
      traceSpan('y', 'root', 10, 20),
      traceSpan('x', 'root', 10, 30),
      traceSpan('root', undefined, 0, 100),
    ];
    assert.deepEqual(outline(buildTraceTrees(spans)[0]!), ['root@0', 'y@1', 'x@1', 'z@1']);
  });

  it('shows a span whose parent is missing at the top level, marked orphan, with its subtree', () => {
    const spans = [
      traceSpan('root', undefined, 0, 100),
      traceSpan('lost', 'missing', 40, 60),
      traceSpan('under-lost', 'lost', 45, 50),
    ];
    assert.deepEqual(outline(buildTraceTrees(spans)[0]!), ['root@0', 'lost@0~', 'under-lost@1']);
  });

  it('one tree per trace, traces by start time', () => {
    const spans = [
      traceSpan('late', undefined, 50, 60, { traceId: TRACE_A }),
      traceSpan('early', undefined, 0, 10, { traceId: TRACE_B }),
    ];
    assert.deepEqual(
      buildTraceTrees(spans).map((tree) => tree.traceId),
      [TRACE_B, TRACE_A],
    );
  });

  it('breaks a start-time tie by entry root, then size, then trace id, whatever the input order', () => {
    const TRACE_C = 'cccccccccccccccccccccccccccccccc';
    const TRACE_D = 'dddddddddddddddddddddddddddddddd';
    // All four traces start at the same millisecond, as SDK spans of one test often do.
    const lostConsumer = [
      traceSpan('process', undefined, 0, 9, { traceId: TRACE_A, kind: 'CONSUMER' }),
      traceSpan('charge', 'process', 1, 8, { traceId: TRACE_A }),
      traceSpan('log', 'process', 2, 3, { traceId: TRACE_A }),
    ];
    const request = [
      traceSpan('POST /orders', undefined, 0, 9, { traceId: TRACE_D, kind: 'SERVER' }),
      traceSpan('call', 'POST /orders', 1, 8, { traceId: TRACE_D, kind: 'CLIENT' }),
    ];
    const smallRequest = [traceSpan('GET /health', undefined, 0, 1, { traceId: TRACE_C, kind: 'SERVER' })];
    const otherRequest = [traceSpan('GET /ping', undefined, 0, 1, { traceId: TRACE_B, kind: 'SERVER' })];
    const expected = [TRACE_D, TRACE_B, TRACE_C, TRACE_A];
    const all = [...lostConsumer, ...smallRequest, ...request, ...otherRequest];
    for (const order of [all, [...all].reverse()]) {
      assert.deepEqual(
        buildTraceTrees(order).map((tree) => tree.traceId),
        expected,
      );
    }
  });

  it('an earlier start wins over every tie-breaker', () => {
    const spans = [
      traceSpan('process', undefined, 0, 9, { traceId: TRACE_A, kind: 'CONSUMER' }),
      traceSpan('POST /orders', undefined, 1, 9, { traceId: TRACE_B, kind: 'SERVER' }),
      traceSpan('call', 'POST /orders', 2, 8, { traceId: TRACE_B, kind: 'CLIENT' }),
    ];
    assert.deepEqual(
      buildTraceTrees(spans).map((tree) => tree.traceId),
      [TRACE_A, TRACE_B],
    );
  });

  it('keeps the first of two spans with the same id', () => {
    const spans = [traceSpan('a', undefined, 0, 10), traceSpan('a', undefined, 0, 10, { name: 'copy' })];
    const [tree] = buildTraceTrees(spans);
    assert.equal(tree!.spanCount, 1);
    assert.deepEqual(outline(tree!), ['a@0']);
  });

  it('breaks parent cycles (malformed input) so every span still shows exactly once', () => {
    const spans = [
      traceSpan('root', undefined, 0, 100),
      traceSpan('p', 'q', 10, 20),
      traceSpan('q', 'p', 15, 25),
      traceSpan('self', 'self', 30, 40),
    ];
    const rows = outline(buildTraceTrees(spans)[0]!);
    assert.deepEqual(rows, ['root@0', 'p@0~', 'q@1', 'self@0~']);
  });

  it('handles a chain 20,000 spans deep without recursion', () => {
    const spans = Array.from({ length: 20_000 }, (_, i) =>
      traceSpan(`s${i}`, i === 0 ? undefined : `s${i - 1}`, i, i + 1),
    );
    const rows = traceRows(buildTraceTrees(spans)[0]!);
    assert.equal(rows.length, 20_000);
    assert.equal(rows.at(-1)?.depth, 19_999);
    assert.equal(rows.at(-1)?.node.span.spanId, spanId('s19999'));
  });

  it('lists services in the order their first span appears', () => {
    const spans = [
      traceSpan('root', undefined, 0, 100, { serviceName: 'gateway' }),
      traceSpan('b', 'root', 50, 60, { serviceName: 'billing' }),
      traceSpan('a', 'root', 10, 20, { serviceName: 'orders' }),
      traceSpan('a2', 'a', 12, 18, { serviceName: 'gateway' }),
      traceSpan('none', 'root', 70, 80, { serviceName: undefined }),
    ];
    assert.deepEqual(servicesOf(traceRows(buildTraceTrees(spans)[0]!)), ['gateway', 'orders', 'billing']);
  });
});
