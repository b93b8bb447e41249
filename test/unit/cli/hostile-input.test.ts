/**
 * Foreign files are hostile input: a file of any size is read line by line in bounded memory; deeply
 * nested, malformed and wrongly typed documents are reported, never a crash; and no RegExp in the
 * readers or the renderer ever sees more than a bounded piece of a foreign value (issue 12's audit of
 * the CLI's readers of foreign files), which is checked by watching every RegExp execution rather than
 * by timing anything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createReadStream } from 'node:fs';
import { MAX_TEXT_CHARS } from '../../../src/cli/foreign-text';
import { JsonDocumentSplitter } from '../../../src/cli/json-documents';
import type { JsonDocument } from '../../../src/cli/json-documents';
import { parseTraceJson, readTraceJson } from '../../../src/cli/parse-trace-json';
import { renderWaterfall } from '../../../src/cli/render-waterfall';
import { ExitCode, runCli } from '../../../src/cli/run-cli';
import { textLines } from '../../../src/cli/text-lines';

const HUGE = 1_000_000;
const hex = (n: number, digits: number): string => n.toString(16).padStart(digits, '0');

/** One OTLP/JSON line: the spans `first`..`first + count - 1` of trace `trace`, a chain of children. */
function otlpLine(trace: number, first: number, count: number): string {
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: hex(trace + 1, 32),
    spanId: hex(first + i + 1, 16),
    parentSpanId: first + i === 0 ? '' : hex(first + i, 16),
    name: `step ${first + i}`,
    kind: 1,
    startTimeUnixNano: String(1_767_225_600_000_000_000n + BigInt(first + i) * 1000n),
    endTimeUnixNano: String(1_767_225_600_000_000_000n + BigInt(first + i) * 1000n + 500n),
  }));
  return JSON.stringify({ resourceSpans: [{ resource: {}, scopeSpans: [{ spans }] }] });
}

async function* chunked(parts: Iterable<string>): AsyncGenerator<string> {
  yield* parts;
}

describe('huge input is read line by line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracebridge-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a JSON lines file of 40,000 spans (about 9 MB) is streamed, every span read once', async () => {
    const file = join(dir, 'huge.jsonl');
    const lines: string[] = [];
    for (let trace = 0; trace < 100; trace++) {
      for (let batch = 0; batch < 40; batch++) lines.push(otlpLine(trace, batch * 10, 10));
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await readTraceJson(createReadStream(file, { encoding: 'utf8', highWaterMark: 4096 }));
    assert.deepEqual([result.spans.length, result.problems, result.formats], [40_000, [], ['otlp']]);

    let stdout = '';
    const code = await runCli({
      argv: ['view', file, '--trace', hex(42, 32), '--width', '100'],
      env: {},
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => assert.fail(text) },
      readFile: (path) => createReadStream(path, { encoding: 'utf8' }),
      readStdin: () => chunked([]),
    });
    assert.equal(code, ExitCode.Ok);
    assert.match(stdout, new RegExp(`^trace ${hex(42, 32)} .* 400 spans$`, 'm'));
    // 400 levels deep: the indentation stops at its cap and says the level.
    assert.match(stdout, /^ {3}\? +L399 step 399 /m);
  });

  it('a line longer than the bound is dropped as it arrives, never held, and the next lines still read', async () => {
    const endless = (function* () {
      yield `${otlpLine(0, 0, 1)}\n`;
      for (let i = 0; i < 1000; i++) yield 'x'.repeat(10_000); // a 10 MB line, in chunks
      yield `\n${otlpLine(1, 0, 1)}\n`;
    })();
    const seen: (string | { overlong: number })[] = [];
    for await (const line of textLines(chunked(endless), 65_536)) seen.push(line);
    assert.equal(seen.length, 3);
    assert.deepEqual(seen[1], { overlong: 10_000_000 });

    const limits = { maxLineChars: 65_536, maxDocumentChars: 65_536 };
    const again = (function* () {
      yield `${otlpLine(0, 0, 1)}\n`;
      for (let i = 0; i < 1000; i++) yield 'x'.repeat(10_000);
      yield `\n${otlpLine(1, 0, 1)}\n`;
    })();
    const result = await readTraceJson(chunked(again), limits);
    assert.equal(result.spans.length, 2);
    assert.deepEqual(result.problems, [
      { line: 2, message: 'a line of more than 65536 characters (10000000 read); skipped' },
    ]);
  });

  it('JSON lines are decoded as each line arrives; a document too large to gather is skipped, not held', () => {
    const documents: JsonDocument[] = [];
    const problems: unknown[] = [];
    const splitter = new JsonDocumentSplitter(
      { document: (d) => documents.push(d), problem: (p) => problems.push(p) },
      { maxLineChars: 1000, maxDocumentChars: 1000 },
    );
    splitter.push('{"resourceSpans": []}');
    assert.equal(documents.length, 1, 'delivered before the input ends');
    const pretty = new JsonDocumentSplitter(
      { document: (d) => documents.push(d), problem: (p) => problems.push(p) },
      { maxLineChars: 1000, maxDocumentChars: 1000 },
    );
    pretty.push('[');
    for (let i = 0; i < 500; i++) pretty.push(`  {"traceId": "${hex(i + 1, 32)}"},`);
    pretty.push(otlpLine(0, 0, 1));
    pretty.end();
    assert.equal(documents.length, 2, 'the line after the oversized document is read');
    assert.deepEqual(problems, [
      {
        line: 1,
        message: 'a document of more than 1000 characters, or not JSON: 501 lines from here skipped',
      },
    ]);
  });
});

describe('malformed, nested and wrongly typed documents are reported, never a crash', () => {
  const good = otlpLine(7, 0, 1);

  it('every shape of wrong still leaves the good spans readable', () => {
    const deep = (n: number, open: string, close: string): string => open.repeat(n) + close.repeat(n);
    const nestedValue = `${'{"arrayValue":{"values":['.repeat(10_000)}{"stringValue":"x"}${']}}'.repeat(10_000)}`;
    const bad = [
      'null',
      '42',
      '"a string"',
      '{}',
      deep(100_000, '[', ']'),
      deep(100_000, '{"a":', '}').replace(/\{"a":\}$/, '{"a":1}'),
      '{"resourceSpans": "x"}',
      '{"resourceSpans": [7, null, {"scopeSpans": "x"}, {"scopeSpans": [{"spans": {"0": 1}}]}]}',
      JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 5 }, 'span', null] }] }] }),
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${hex(9, 32)}","spanId":"${hex(1, 16)}","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"deep","value":${nestedValue}}]}]}]}]}`,
      '{"result": {"resourceSpans": 7}}',
      '{"error": {"code": 5, "message": "trace not found"}}',
      JSON.stringify([{ traceId: ['a'] }, { traceId: hex(1, 16), id: hex(1, 16), timestamp: -1 }]),
      JSON.stringify([{ traceId: hex(1, 16), id: hex(2, 16), timestamp: 1.5, duration: 'x' }]),
      JSON.stringify([{ traceId: hex(1, 16), id: hex(3, 16), timestamp: 2 ** 60 }]),
      JSON.stringify([[null, 1, { traceId: hex(1, 15), id: hex(4, 16), timestamp: 1 }]]),
      JSON.stringify({
        data: [null, 1, 'x', { spans: 'x' }, { traceID: 'x', spans: [null, { traceID: 'zz' }] }],
      }),
      JSON.stringify({ data: 'x' }),
      JSON.stringify({ data: [], errors: [{ code: 500, msg: 'storage unavailable' }, 'x'] }),
    ];
    const result = parseTraceJson([good, ...bad, good.replace(hex(8, 32), hex(99, 32))].join('\n'));
    assert.deepEqual(
      result.spans.map((span) => [span.traceId, span.spanId]),
      [
        [hex(8, 32), hex(1, 16)],
        [hex(9, 32), hex(1, 16)],
        [hex(99, 32), hex(1, 16)],
      ],
    );
    const lines = new Set(result.problems.map((problem) => problem.line));
    for (let line = 2; line <= bad.length + 1; line++) {
      if (line !== 11)
        assert.ok(lines.has(line), `line ${line} (${bad[line - 2]!.slice(0, 60)}) is reported`);
    }
    assert.ok(result.problems.some((p) => /is an error response \(trace not found\)/.test(p.message)));
    assert.ok(result.problems.some((p) => /Jaeger reports an error: storage unavailable/.test(p.message)));
    assert.ok(result.problems.some((p) => /\[0\]\[2\] has no valid traceId/.test(p.message)));
    // The attribute nested 10,000 deep is dropped past its depth limit, the span kept.
    assert.doesNotThrow(() => renderWaterfall(result.spans));
  });

  it('a tag or attribute named __proto__ is an attribute like any other', () => {
    const zipkin = JSON.stringify([
      {
        traceId: hex(5, 32),
        id: hex(5, 16),
        timestamp: 1,
        tags: JSON.parse('{"__proto__": "x", "tracebridge.messaging.time_in_queue_ms": "1e999"}') as unknown,
      },
    ]);
    const [span] = parseTraceJson(zipkin).spans;
    assert.equal(Object.getOwnPropertyDescriptor(span!.attributes, '__proto__')?.value, 'x');
    // Not a finite number: left as the string it was, so nothing draws with it.
    assert.equal(span!.attributes['tracebridge.messaging.time_in_queue_ms'], '1e999');
  });

  it('Jaeger ids without their leading zeros are padded back; malformed references are skipped', () => {
    const jaeger = {
      data: [
        {
          traceID: 'abc',
          processes: { p1: { serviceName: 'svc' } },
          spans: [
            {
              traceID: 'abc',
              spanID: '1',
              operationName: 'root',
              startTime: 1,
              duration: 5,
              processID: 'p1',
            },
            {
              traceID: 'abc',
              spanID: '2',
              operationName: 'child',
              startTime: 2,
              duration: 1,
              processID: 'p1',
              references: [
                null,
                { refType: 'CHILD_OF' },
                { refType: 'CHILD_OF', traceID: 'abc', spanID: '1' },
              ],
            },
          ],
        },
      ],
    };
    const spans = parseTraceJson(JSON.stringify(jaeger)).spans;
    assert.deepEqual(
      spans.map((span) => [span.traceId, span.spanId, span.parentSpanId, span.serviceName]),
      [
        [hex(0xabc, 32), hex(1, 16), undefined, 'svc'],
        [hex(0xabc, 32), hex(2, 16), hex(1, 16), 'svc'],
      ],
    );
  });
});

describe('RegExps only ever see bounded pieces of foreign input', () => {
  it('with every field a million characters long, no RegExp is applied to more than the bound', () => {
    const long = (c: string): string => c.repeat(HUGE);
    const otlp = {
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: `\u001b[2J${long(' ')}` } }],
          },
          scopeSpans: [
            {
              spans: [
                { traceId: long('0'), spanId: long('a'), startTimeUnixNano: '1', endTimeUnixNano: '2' },
                {
                  traceId: hex(1, 32),
                  spanId: hex(1, 16),
                  parentSpanId: long('f'),
                  startTimeUnixNano: long('9'),
                  endTimeUnixNano: '2',
                },
                {
                  traceId: hex(1, 32),
                  spanId: hex(2, 16),
                  name: long('\u0007'),
                  kind: `SPAN_KIND_${long('_')}`,
                  startTimeUnixNano: '1',
                  endTimeUnixNano: '2',
                  status: { code: `STATUS_CODE_${long('E')}`, message: long('m') },
                  attributes: [{ key: 'n', value: { intValue: `-${long('1')}x` } }],
                  links: [{ traceId: long('A'), spanId: long('B') }],
                },
              ],
            },
          ],
        },
      ],
    };
    const zipkin = [
      {
        traceId: hex(3, 32),
        id: hex(3, 16),
        parentId: long('1'),
        timestamp: 1,
      },
      {
        traceId: hex(3, 32),
        id: hex(4, 16),
        name: long('\u001b'),
        timestamp: 1,
        localEndpoint: { serviceName: long('s') },
        tags: { 'tracebridge.messaging.time_in_queue_ms': long('5'), error: long('e') },
      },
    ];
    const jaeger = {
      data: [
        {
          traceID: hex(4, 32),
          processes: { p: { serviceName: long('\u009b') } },
          spans: [
            {
              traceID: hex(4, 32),
              spanID: hex(5, 16),
              operationName: long('o'),
              startTime: 1,
              processID: 'p',
              references: [{ refType: 'CHILD_OF', traceID: long('c'), spanID: long('d') }],
              tags: [{ key: 'span.kind', value: long('k') }],
            },
          ],
        },
      ],
    };
    const input = [otlp, zipkin, jaeger].map((document) => JSON.stringify(document)).join('\n');

    const longest = new Map<string, number>();
    // Every RegExp operation (test, replace, match, split) goes through `exec` once it is not the original.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const exec = RegExp.prototype.exec;
    RegExp.prototype.exec = function (this: RegExp, text: string) {
      longest.set(this.source, Math.max(longest.get(this.source) ?? 0, String(text).length));
      return exec.call(this, text);
    };
    let output: string;
    let spanCount: number;
    try {
      const { spans } = parseTraceJson(input);
      spanCount = spans.length;
      output = renderWaterfall(spans, { width: 160 });
    } finally {
      RegExp.prototype.exec = exec;
    }
    assert.equal(spanCount, 3);
    assert.ok(longest.size >= 3, `the watch saw the readers' RegExps: ${[...longest.keys()].join(' ')}`);
    for (const [source, length] of longest) {
      assert.ok(length <= MAX_TEXT_CHARS, `/${source}/ ran on ${length} characters`);
    }
    // And the control characters of those names never reach the terminal.
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(output, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});
