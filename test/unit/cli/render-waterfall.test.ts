import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TracebridgeConfigError } from '../../../src/core/errors';
import { parseOtlpJson } from '../../../src/cli/parse-otlp-json';
import { foldLinkedTraces } from '../../../src/cli/fold-links';
import { renderWaterfall } from '../../../src/cli/render-waterfall';
import { columns } from '../../../src/cli/terminal-text';
import { TRACE_A, TRACE_B, spanId, traceSpan } from './trace-span-fixture';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'otlp');
const CHECKOUT = join(FIXTURES, 'checkout-trace.jsonl');
const GOLDEN = join(FIXTURES, 'checkout-trace.waterfall-100.txt');
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function checkoutSpans(): ReturnType<typeof parseOtlpJson>['spans'] {
  const { spans, problems } = parseOtlpJson(readFileSync(CHECKOUT, 'utf8'));
  assert.deepEqual(problems, [], 'the fixture is well formed');
  return spans;
}

function assertFits(text: string, width: number): void {
  for (const line of text.split('\n')) {
    assert.ok(columns(line) <= width, `${columns(line)} > ${width}: ${JSON.stringify(line)}`);
  }
}

describe('renderWaterfall', () => {
  it('renders the five-service checkout trace exactly as the golden file (plain, width 100)', () => {
    const text = renderWaterfall(checkoutSpans(), { width: 100, color: false });
    // UPDATE_GOLDEN=1 rewrites the golden file; review its diff before committing it.
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, text);
    assert.equal(text, readFileSync(GOLDEN, 'utf8'));
  });

  it('reads an option given as undefined as its default (the golden file at width 100, plain)', () => {
    const text = renderWaterfall(checkoutSpans(), { width: undefined, color: undefined, traceId: undefined });
    assert.equal(text, readFileSync(GOLDEN, 'utf8'));
  });

  it('fits every line in 60 columns, and in any width from 50 to 200', () => {
    const spans = checkoutSpans();
    const at60 = renderWaterfall(spans, { width: 60 });
    assertFits(at60, 60);
    // Still every span: 15 + 1 rows with a kind, marks intact.
    assert.equal(at60.split('\n').filter((line) => / (SERV|CLNT|PROD|CONS|INTL) /.test(line)).length, 16);
    assert.equal(at60.split('\n').filter((line) => line.startsWith('!')).length, 1);
    assert.equal(at60.split('\n').filter((line) => line.startsWith(' ~')).length, 1);
    for (let width = 50; width <= 200; width += 7) assertFits(renderWaterfall(spans, { width }), width);
  });

  it('plain output is free of escape codes; colour output paints, and fits once the codes are removed', () => {
    const spans = checkoutSpans();
    const plain = renderWaterfall(spans, { width: 100 });
    assert.equal(plain.includes('\u001b'), false);
    assert.match(plain, /\.\.\.=+/, 'plain: ASCII wait before ASCII work');
    const colour = renderWaterfall(spans, { width: 100, color: true });
    // ESC shown as ^, so the patterns below stay readable (and free of control characters).
    const visible = colour.replaceAll('\u001b', '^');
    assert.match(visible, /\^\[1;31m!/, 'the error mark in bold red');
    assert.match(visible, /░+\^\[0m\^\[\d+m█+/, 'the wait, then the work in its service colour');
    const stripped = colour.replace(ANSI, '');
    assertFits(stripped, 100);
    // Same layout: only glyphs differ.
    assert.equal(stripped.split('\n').length, plain.split('\n').length);
  });

  it('marks errors and orphans, notes links, and draws the queue wait only where the attribute is', () => {
    const spans = [
      traceSpan('root', undefined, 0, 100, { kind: 'SERVER', serviceName: 'gateway' }),
      traceSpan('send', 'root', 10, 20, { kind: 'PRODUCER', serviceName: 'gateway' }),
      traceSpan('process', 'send', 50, 90, {
        kind: 'CONSUMER',
        serviceName: 'worker',
        status: 'ERROR',
        attributes: { 'tracebridge.messaging.time_in_queue_ms': 30 },
        links: [{ traceId: TRACE_B, spanId: '1234567890abcdef' }],
      }),
      traceSpan('lost', 'gone', 60, 70, { serviceName: 'worker' }),
    ];
    const lines = renderWaterfall(spans, { width: 80 }).split('\n');
    const row = (name: string): string => lines.find((line) => line.includes(` ${name} `))!;
    assert.ok(row('process').startsWith('! '));
    assert.ok(row('lost').startsWith(' ~'));
    assert.ok(row('root').startsWith('  '));
    const bar = (name: string): string => /\|([^|]*)\|$/.exec(row(name))![1]!;
    assert.match(bar('process'), /^ +\.+=+ *$/);
    assert.match(bar('send'), /^ +=+ *$/);
    assert.ok(lines.some((line) => line.includes(`~ parent ${'gone'.padStart(16, '0')} not found`)));
    assert.ok(lines.some((line) => line.includes('-> link to span 1234567890abcdef in trace bbbbbbbb…')));
  });

  it('draws a delayed job’s delay as waiting too, so the wait reaches back to its scheduling', () => {
    // Scheduled at 10 ms for 60 ms later; it then queued 10 ms and ran from 80 to 100 ms.
    const spans = [
      traceSpan('root', undefined, 0, 100, { kind: 'SERVER', serviceName: 'api' }),
      traceSpan('schedule', 'root', 10, 12, { kind: 'PRODUCER', serviceName: 'api' }),
      traceSpan('job', 'schedule', 80, 100, {
        kind: 'CONSUMER',
        serviceName: 'worker',
        attributes: {
          'tracebridge.messaging.time_in_queue_ms': 10,
          'tracebridge.messaging.delay_ms': 60,
        },
      }),
      traceSpan('queued', 'schedule', 80, 100, {
        kind: 'CONSUMER',
        serviceName: 'worker',
        attributes: { 'tracebridge.messaging.time_in_queue_ms': 10 },
      }),
    ];
    const lines = renderWaterfall(spans, { width: 100 }).split('\n');
    const bar = (name: string): string =>
      /\|([^|]*)\|$/.exec(lines.find((line) => line.includes(` ${name} `))!)![1]!;
    const waitOf = (name: string): number => /\.+/.exec(bar(name))![0].length;
    const scheduleStart = bar('schedule').indexOf('=');
    assert.ok(Math.abs(bar('job').indexOf('.') - scheduleStart) <= 1, 'the wait starts at the scheduling');
    assert.ok(waitOf('job') >= 6 * waitOf('queued'), 'delay plus queue, against the queue alone');
  });

  it('prints names from the file as text: escape sequences cannot reach the terminal', () => {
    const spans = [
      traceSpan('x', undefined, 0, 1, {
        name: 'evil\u001b]0;pwned\u0007\u001b[2J',
        serviceName: '\u001b[31m',
      }),
    ];
    const text = renderWaterfall(spans, { width: 80, color: false });
    assert.equal(text.includes('\u001b'), false);
    assert.ok(text.includes('evil?]0;pwned??[2J'));
  });

  it('throws a named error for a width it cannot lay out', () => {
    for (const width of [49, 0, 80.5, Number.NaN]) {
      assert.throws(() => renderWaterfall([], { width }), TracebridgeConfigError, String(width));
    }
    assert.throws(() => renderWaterfall([], { color: 'yes' as unknown as boolean }), TracebridgeConfigError);
    assert.equal(renderWaterfall([]).split('\n').length, 2, 'no spans: the legend alone');
  });

  it('traceId shows one trace, while links still name spans of the others', () => {
    const spans = checkoutSpans();
    const text = renderWaterfall(spans, { traceId: '9a1c4e2f0b7d46c8a53e6f1d2c3b4a59' });
    assert.deepEqual(
      text.split('\n').filter((line) => line.startsWith('trace ')),
      ['trace 9a1c4e2f0b7d46c8a53e6f1d2c3b4a59  11.0 ms  1 span'],
    );
    assert.match(text, /link to send order\.created \(orders\)/);
    assert.equal(renderWaterfall(spans, { traceId: 'f'.repeat(32) }).split('\n').length, 2);
  });

  it('names win over bars: at width 160 a 70-character name shows whole, and the bar keeps 40 cells', () => {
    const name = `process ${'orders.payment-authorizations.'.repeat(3)}`.slice(0, 70);
    const spans = [
      traceSpan('root', undefined, 0, 100, { name, serviceName: 'payments' }),
      traceSpan('child', 'root', 10, 50, { name: 'charge', serviceName: 'payments' }),
    ];
    const lines = renderWaterfall(spans, { width: 160 }).split('\n');
    const row = lines.find((line) => line.includes(name));
    assert.ok(row !== undefined, 'the whole name is on its row');
    assert.equal([...row].length, 160);
    assert.ok(/\|([^|]*)\|$/.exec(row)![1]!.length >= 40);
  });

  it('at depth 18 the indentation is capped and says the level, and the name shows', () => {
    const spans = Array.from({ length: 19 }, (_, i) =>
      traceSpan(`s${i}`, i === 0 ? undefined : `s${i - 1}`, i, 40, { name: `process accounts ${i}` }),
    );
    const lines = renderWaterfall(spans, { width: 100 }).split('\n');
    const deepest = lines.find((line) => line.includes('process accounts 18'));
    assert.ok(deepest !== undefined, lines.join('\n'));
    assert.match(deepest, / L18 process accounts 18 +INTERNAL /);
    // No row indents further than the cap (plus the marks and the service column before it).
    const nameStart = (line: string): number => line.indexOf('process');
    assert.ok(nameStart(deepest) - nameStart(lines.find((line) => line.includes('accounts 0 '))!) <= 16);
  });

  it('a span folded in from its own trace says so, above its link', () => {
    const spans = [
      traceSpan('send', undefined, 0, 10, { name: 'send orders', serviceName: 'api' }),
      traceSpan('batch', undefined, 20, 30, {
        traceId: TRACE_B,
        name: 'process orders',
        kind: 'CONSUMER',
        links: [{ traceId: TRACE_A, spanId: spanId('send') }],
      }),
    ];
    const folded = renderWaterfall(foldLinkedTraces(spans), { width: 100 });
    assert.deepEqual(
      folded.split('\n').filter((line) => line.startsWith('trace ')),
      [`trace ${TRACE_A}  30.0 ms  2 spans`],
    );
    assert.match(
      folded,
      /^ {3}svc +process orders .*\n +-> folded in from its own trace bbbbbbbb…: linked, not a child\n +-> link to send orders \(api\) in this trace$/m,
    );
  });
});
