import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOtlpJson } from '../../../src/cli/parse-otlp-json';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const ROOT = '00f067aa0ba902b7';
const CHILD = '53995c3f42cd8ad8';

/** An OTLP/JSON span with the given fields over sensible defaults. */
function span(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: TRACE,
    spanId: ROOT,
    name: 'POST /checkout',
    kind: 2,
    startTimeUnixNano: '1767225600000000000',
    endTimeUnixNano: '1767225600052400000',
    ...fields,
  };
}

/** One ExportTraceServiceRequest with `spans` of service `service`. */
function request(spans: unknown[], service = 'gateway'): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  };
}

function lines(...documents: unknown[]): string {
  return documents.map((d) => (typeof d === 'string' ? d : JSON.stringify(d))).join('\n');
}

describe('parseOtlpJson', () => {
  it('reads JSON lines: ids, names, kinds, services, times, status, links', () => {
    const text = lines(
      request([span()]),
      request(
        [
          span({
            spanId: CHILD,
            parentSpanId: ROOT,
            name: 'process orders',
            kind: 5,
            startTimeUnixNano: '1767225600010000000',
            endTimeUnixNano: '1767225600020000001',
            status: { code: 2, message: 'boom' },
            links: [{ traceId: TRACE, spanId: ROOT, attributes: [] }],
          }),
        ],
        'billing',
      ),
    );
    const { spans, problems } = parseOtlpJson(text);
    assert.deepEqual(problems, []);
    assert.equal(spans.length, 2);
    const [root, child] = spans;
    assert.deepEqual(
      [root?.spanId, root?.parentSpanId, root?.kind, root?.serviceName, root?.status],
      [ROOT, undefined, 'SERVER', 'gateway', 'UNSET'],
    );
    assert.equal(child?.parentSpanId, ROOT);
    assert.equal(child?.kind, 'CONSUMER');
    assert.equal(child?.serviceName, 'billing');
    assert.equal(child?.status, 'ERROR');
    assert.equal(child?.statusMessage, 'boom');
    // Nanoseconds beyond Number's precision survive as bigints.
    assert.equal(child?.endTimeUnixNano, 1767225600020000001n);
    assert.deepEqual(child?.links, [{ traceId: TRACE, spanId: ROOT }]);
  });

  it('maps every OTLP kind integer (which differ from the API enum) and status code', () => {
    const kinds = [0, 1, 2, 3, 4, 5, 99].map((kind, i) =>
      span({ spanId: `00000000000000${String(i + 1).padStart(2, '0')}`, kind }),
    );
    const { spans } = parseOtlpJson(JSON.stringify(request(kinds)));
    assert.deepEqual(
      spans.map((s) => s.kind),
      ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER', 'UNSPECIFIED'],
    );
    const named = parseOtlpJson(
      JSON.stringify(request([span({ kind: 'SPAN_KIND_PRODUCER', status: { code: 'STATUS_CODE_ERROR' } })])),
    ).spans[0];
    assert.equal(named?.kind, 'PRODUCER');
    assert.equal(named?.status, 'ERROR');
  });

  it('decodes attribute values: intValue as string or number, doubles, bools, arrays, kvlists, bytes', () => {
    const attributes = [
      { key: 'offset', value: { intValue: '1842' } },
      { key: 'port', value: { intValue: 50051 } },
      { key: 'queue', value: { doubleValue: 13.4 } },
      { key: 'nan', value: { doubleValue: 'NaN' } },
      { key: 'inf', value: { doubleValue: '-Infinity' } },
      { key: 'ok', value: { boolValue: false } },
      { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }, {}] } } },
      { key: 'map', value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } } },
      { key: 'raw', value: { bytesValue: 'AQID' } },
      { key: 'bad-int', value: { intValue: '12abc' } },
      { key: 'empty', value: {} },
      { key: '__proto__', value: { stringValue: 'just a key' } },
      { value: { stringValue: 'no key' } },
    ];
    const { spans, problems } = parseOtlpJson(JSON.stringify(request([span({ attributes })])));
    assert.deepEqual(problems, []);
    const got = spans[0]?.attributes ?? {};
    assert.equal(got['offset'], 1842);
    assert.equal(got['port'], 50051);
    assert.equal(got['queue'], 13.4);
    assert.ok(Number.isNaN(got['nan']));
    assert.equal(got['inf'], -Infinity);
    assert.equal(got['ok'], false);
    assert.deepEqual(got['tags'], ['a', 2, null]);
    assert.deepEqual({ ...(got['map'] as object) }, { k: 'v' });
    assert.equal(got['raw'], 'AQID');
    assert.equal('bad-int' in got, false);
    assert.equal('empty' in got, false);
    assert.equal(Object.getOwnPropertyDescriptor(got, '__proto__')?.value, 'just a key');
    assert.equal(Object.keys(got).length, 10);
  });

  it('accepts upper-case hex and base64 ids, normalizing to lower-case hex; numbers for times', () => {
    const base64Trace = Buffer.from(TRACE, 'hex').toString('base64');
    const base64Span = Buffer.from(CHILD, 'hex').toString('base64');
    const { spans, problems } = parseOtlpJson(
      lines(
        request([
          span({ traceId: TRACE.toUpperCase(), spanId: ROOT.toUpperCase(), startTimeUnixNano: 1e18 }),
        ]),
        request([span({ traceId: base64Trace, spanId: base64Span, parentSpanId: ROOT.toUpperCase() })]),
      ),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      spans.map((s) => [s.traceId, s.spanId, s.parentSpanId]),
      [
        [TRACE, ROOT, undefined],
        [TRACE, CHILD, ROOT],
      ],
    );
    assert.equal(spans[0]?.startTimeUnixNano, 10n ** 18n);
  });

  it('reads one JSON document, pretty-printed over many lines, and tolerates a BOM and CRLF', () => {
    const pretty = JSON.stringify(request([span(), span({ spanId: CHILD, parentSpanId: ROOT })]), null, 2);
    const { spans, problems } = parseOtlpJson(`\uFEFF${pretty.replace(/\n/g, '\r\n')}`);
    assert.deepEqual(problems, []);
    assert.equal(spans.length, 2);
  });

  it('reports a malformed line with its line number, skips it, and keeps every other line', () => {
    const text = lines(
      request([span()]),
      '{"resourceSpans": [ this is not json',
      '',
      request([span({ spanId: CHILD, parentSpanId: ROOT })]),
      '42',
      '{"resourceMetrics": []}',
    );
    const { spans, problems } = parseOtlpJson(text);
    assert.deepEqual(
      spans.map((s) => s.spanId),
      [ROOT, CHILD],
    );
    assert.deepEqual(
      problems.map((p) => p.line),
      [2, 5, 6],
    );
    assert.match(problems[0]!.message, /not valid JSON/);
    assert.match(problems[1]!.message, /not an OTLP trace export/);
    assert.match(problems[2]!.message, /holds metrics, not traces/);
  });

  it('reports a malformed span by its path and line, and keeps the other spans of the line', () => {
    const text = lines(
      request([
        span(),
        span({ spanId: 'xyz' }),
        span({ spanId: CHILD, traceId: '0'.repeat(32) }),
        span({ spanId: CHILD, parentSpanId: 'not-hex' }),
        span({ spanId: CHILD, startTimeUnixNano: '-5' }),
        'not a span',
        span({ spanId: CHILD, endTimeUnixNano: '1' }),
      ]),
    );
    const { spans, problems } = parseOtlpJson(text);
    assert.deepEqual(
      spans.map((s) => s.spanId),
      [ROOT, CHILD],
    );
    // The span that ends before it starts is kept, drawn with no duration, and reported.
    assert.equal(spans[1]?.endTimeUnixNano, spans[1]?.startTimeUnixNano);
    assert.deepEqual(
      problems.map((p) => [p.line, p.message.replace(/ \(.*\)/, '')]),
      [
        [1, 'resourceSpans[0].scopeSpans[0].spans[1] has no valid spanId; skipped'],
        [1, 'resourceSpans[0].scopeSpans[0].spans[2] has no valid traceId; skipped'],
        [1, 'resourceSpans[0].scopeSpans[0].spans[3] has an invalid parentSpanId; skipped'],
        [1, 'resourceSpans[0].scopeSpans[0].spans[4] has no valid start or end time; skipped'],
        [1, 'resourceSpans[0].scopeSpans[0].spans[5] is not an object; skipped'],
        [1, 'resourceSpans[0].scopeSpans[0].spans[6] ends before it starts; shown with no duration'],
      ],
    );
  });

  it('keeps the first copy of a span that appears twice, and says so', () => {
    const { spans, problems } = parseOtlpJson(lines(request([span()]), request([span({ name: 'again' })])));
    assert.deepEqual(
      spans.map((s) => s.name),
      ['POST /checkout'],
    );
    assert.deepEqual(problems, [{ line: 2, message: `span ${ROOT} appears again; the first copy is kept` }]);
  });

  it('a span whose resource has no service.name has no service; unknown fields are ignored, wrong ones reported', () => {
    const doc = {
      resourceSpans: [
        { resource: {}, scopeSpans: [{ spans: [span({ futureField: { x: 1 } })] }], schemaUrl: 'x' },
        { scopeSpans: 'not an array' },
        'not an object',
      ],
      unknown: true,
    };
    const { spans, problems } = parseOtlpJson(JSON.stringify(doc));
    assert.deepEqual(problems, [
      { line: 1, message: 'resourceSpans[1].scopeSpans is not an array; skipped' },
      { line: 1, message: 'resourceSpans[2] is not an object; skipped' },
    ]);
    assert.equal(spans.length, 1);
    assert.equal(spans[0]?.serviceName, undefined);
  });

  it('reports a multi-line document with a syntax error once, not once per line', () => {
    const pretty = JSON.stringify(request([span()]), null, 2).replace('"name"', 'name');
    const { spans, problems } = parseOtlpJson(pretty);
    assert.equal(spans.length, 0);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.line, undefined);
    assert.match(problems[0]!.message, /neither one document nor JSON lines/);
  });

  it('reports empty input and never throws on arbitrary text', () => {
    assert.deepEqual(parseOtlpJson('  \n\n').problems, [{ line: undefined, message: 'the input is empty' }]);
    for (const text of ['', 'null', '[]', '"x"', '{}', '{"resourceSpans":[null,1,{}]}', '\u0000\u001b[31m']) {
      const result = parseOtlpJson(text);
      assert.equal(result.spans.length, 0, text);
    }
  });

  it('drops nesting deeper than a bound instead of recursing without end', () => {
    // Built as text: JSON.stringify itself would overflow on an object this deep.
    const levels = 3000;
    const value = `${'{"arrayValue":{"values":['.repeat(levels)}{"stringValue":"deep"}${']}}'.repeat(levels)}`;
    const text = JSON.stringify(request([span({ attributes: [{ key: 'a', value: 'VALUE' }] })]));
    const { spans } = parseOtlpJson(text.replace('"VALUE"', value));
    assert.equal(spans.length, 1);
    let depth = 0;
    for (let v = spans[0]?.attributes['a']; Array.isArray(v); v = (v as unknown[])[0] as typeof v) depth++;
    assert.ok(depth > 0 && depth <= 10, `depth ${depth}`);
  });
});
