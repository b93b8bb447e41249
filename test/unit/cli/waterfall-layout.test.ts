import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration } from '../../../src/cli/format-duration';
import { columns, sanitize, truncate, wrapItems } from '../../../src/cli/terminal-text';
import {
  DURATION_WIDTH,
  MARK_WIDTH,
  MIN_WIDTH,
  barCells,
  indentPerLevel,
  indentation,
  layoutColumns,
} from '../../../src/cli/waterfall-layout';

const ms = (value: number): bigint => BigInt(Math.round(value * 1e6));
const axis = { start: 0n, end: ms(100) };

describe('layoutColumns', () => {
  it('uses every column of the line, at any width', () => {
    for (const width of [MIN_WIDTH, 60, 79, 80, 100, 133, 240]) {
      for (const widest of [
        { service: 3, name: 4 },
        { service: 9, name: 31 },
        { service: 40, name: 200 },
      ]) {
        const layout = layoutColumns(width, widest);
        // marks, service, name, kind, duration, |bar|: five separating spaces.
        const used =
          MARK_WIDTH + layout.service + layout.name + layout.kind + DURATION_WIDTH + layout.bar + 2 + 5;
        assert.equal(used, width, `width ${width}, ${JSON.stringify(widest)}`);
        assert.ok(layout.bar >= 10, `bar at width ${width}`);
      }
    }
  });

  it('gives names what they need when they fit, and the bar the rest', () => {
    assert.deepEqual(layoutColumns(100, { service: 9, name: 30 }), {
      kind: 8,
      service: 9,
      name: 30,
      bar: 36,
    });
  });

  it('cuts long names before services, and keeps the bar at least 45% of the variable columns', () => {
    const layout = layoutColumns(100, { service: 12, name: 120 });
    assert.equal(layout.service, 12);
    assert.equal(layout.bar, Math.floor(75 * 0.45));
    assert.equal(layout.name, 75 - 12 - layout.bar);
  });

  it('lets names grow with the width: the bar keeps at most 40 cells from them', () => {
    assert.deepEqual(layoutColumns(160, { service: 9, name: 80 }), {
      kind: 8,
      service: 9,
      name: 80,
      bar: 46,
    });
    assert.deepEqual(layoutColumns(160, { service: 16, name: 200 }), {
      kind: 8,
      service: 16,
      name: 79,
      bar: 40,
    });
    // Short names: the bar takes the rest, as before.
    assert.equal(layoutColumns(160, { service: 9, name: 20 }).bar, 106);
  });

  it('abbreviates kinds below 80 columns', () => {
    assert.equal(layoutColumns(79, { service: 5, name: 5 }).kind, 4);
    assert.equal(layoutColumns(80, { service: 5, name: 5 }).kind, 8);
  });
});

describe('indentation', () => {
  it('is two columns a level, one when the tree is deep for its name column, and capped', () => {
    assert.equal(indentPerLevel(3, 30), 2);
    assert.equal(indentPerLevel(10, 30), 1);
    assert.equal(indentation(3, 2, 30), 6);
    assert.equal(indentation(100, 1, 30), 16);
    assert.equal(indentation(100, 1, 20), 14);
  });
});

describe('barCells', () => {
  it('places a span proportionally on the axis', () => {
    assert.deepEqual(barCells({ startTimeUnixNano: ms(25), endTimeUnixNano: ms(75) }, axis, 40), {
      waitStart: 10,
      workStart: 10,
      workEnd: 30,
    });
  });

  it('draws the queue wait in the cells just before the span', () => {
    const cells = barCells({ startTimeUnixNano: ms(50), endTimeUnixNano: ms(60) }, axis, 100, 20);
    assert.deepEqual(cells, { waitStart: 30, workStart: 50, workEnd: 60 });
  });

  it('clips a wait longer than the trace at the start of the axis, and ignores nonsense', () => {
    assert.equal(
      barCells({ startTimeUnixNano: ms(10), endTimeUnixNano: ms(20) }, axis, 10, 5000).waitStart,
      0,
    );
    for (const queue of [-5, Number.NaN, Infinity]) {
      const cells = barCells({ startTimeUnixNano: ms(10), endTimeUnixNano: ms(20) }, axis, 10, queue);
      assert.equal(cells.waitStart, cells.workStart, String(queue));
    }
  });

  it('gives a zero-length span one cell, even at the very end', () => {
    assert.deepEqual(barCells({ startTimeUnixNano: ms(100), endTimeUnixNano: ms(100) }, axis, 10), {
      waitStart: 9,
      workStart: 9,
      workEnd: 10,
    });
    const zeroAxis = { start: 0n, end: 0n };
    assert.deepEqual(barCells({ startTimeUnixNano: 0n, endTimeUnixNano: 0n }, zeroAxis, 10).workEnd, 1);
  });
});

describe('terminal text', () => {
  it('truncates with an ellipsis to exactly the width', () => {
    assert.equal(truncate('send confirmation email', 10), 'send conf…');
    assert.equal(columns(truncate('send confirmation email', 10)), 10);
    assert.equal(truncate('short', 10), 'short');
    assert.equal(truncate('x', 0), '');
  });

  it('replaces control characters, so a name cannot drive the terminal', () => {
    assert.equal(sanitize('evil\u001b[2J\u0007name\u009b\r\n'), 'evil?[2J?name???');
  });

  it('wraps items without splitting them', () => {
    assert.deepEqual(wrapItems(['legend:', 'aaaa', 'bbbb', 'cccc'], '  ', 15, '  '), [
      'legend:  aaaa',
      '  bbbb  cccc',
    ]);
  });
});

describe('formatDuration', () => {
  it('uses the unit that keeps the number short, never more than 8 columns', () => {
    const cases: [number, string][] = [
      [0, '0 ns'],
      [999, '999 ns'],
      [850_000, '850 µs'],
      [999_600, '1.0 ms'],
      [12_500_000, '12.5 ms'],
      [182_400_000, '182.4 ms'],
      [999_949_999, '999.9 ms'],
      [1_240_000_000, '1.24 s'],
      [59_994_000_000, '59.99 s'],
      [125e9, '2m 05s'],
      [3 * 3600e9 + 7 * 60e9, '3h 07m'],
    ];
    for (const [ns, text] of cases) {
      assert.equal(formatDuration(ns), text, String(ns));
      assert.ok(text.length <= DURATION_WIDTH);
    }
    assert.equal(formatDuration(10n ** 10n), '10.00 s');
  });
});
