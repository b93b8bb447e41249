/**
 * One trace, three formats: the checkout fixture as OTLP/JSON lines, as the real Zipkin server returned
 * it (`test/fixtures/zipkin`, exported there with the OpenTelemetry Zipkin exporter and read back from
 * `/api/v2/trace/{id}`, then indented by the formatter), and in Jaeger's query-API and v3-API JSON.
 * Each renders to its golden file, and the same trace renders identically from each, within what the
 * format carries.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS } from '../../../src/core/semantic-attributes';
import { parseTraceJson } from '../../../src/cli/parse-trace-json';
import { renderWaterfall } from '../../../src/cli/render-waterfall';
import type { TraceSpan } from '../../../src/cli/trace-span';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
const read = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');
const OTLP_GOLDEN = read('otlp/checkout-trace.waterfall-100.txt');

function parsed(path: string): ReturnType<typeof parseTraceJson> {
  const result = parseTraceJson(read(path));
  assert.deepEqual(result.problems, [], path);
  return result;
}

const byId = (spans: readonly TraceSpan[]): TraceSpan[] =>
  [...spans].sort((a, b) => a.spanId.localeCompare(b.spanId) || a.traceId.localeCompare(b.traceId));

/** What Zipkin keeps of a span: no links, names lowercased by its server. */
function asZipkinKeepsIt(span: TraceSpan): TraceSpan {
  return { ...span, name: span.name.toLowerCase(), serviceName: span.serviceName?.toLowerCase(), links: [] };
}

describe('the same trace from OTLP, Zipkin and Jaeger JSON', () => {
  const otlp = parsed('otlp/checkout-trace.jsonl');
  const zipkin = parsed('zipkin/checkout-traces.json');
  const jaeger = parsed('jaeger/checkout-traces.json');
  const jaegerV3 = parsed('jaeger/checkout-traces.v3.jsonl');

  it('tells each format from its content', () => {
    assert.deepEqual(
      [otlp.formats, zipkin.formats, jaeger.formats, jaegerV3.formats],
      [['otlp'], ['zipkin'], ['jaeger'], ['jaeger']],
    );
    assert.equal(zipkin.spans.length, 16);
  });

  it('renders each to its golden output', () => {
    assert.equal(renderWaterfall(otlp.spans), OTLP_GOLDEN);
    assert.equal(renderWaterfall(zipkin.spans), read('zipkin/checkout-traces.waterfall-100.txt'));
    // Jaeger carries everything the waterfall shows: its golden output is OTLP's.
    assert.equal(renderWaterfall(jaeger.spans), OTLP_GOLDEN);
    assert.equal(renderWaterfall(jaegerV3.spans), OTLP_GOLDEN);
  });

  it('Jaeger: the same spans, links included', () => {
    assert.deepEqual(byId(jaeger.spans), byId(otlp.spans));
    assert.deepEqual(byId(jaegerV3.spans), byId(otlp.spans));
  });

  it('Zipkin: the same ids, parents, kinds, times, status and queue waits; lowercased names; no links', () => {
    const fields = (span: TraceSpan): unknown => ({
      ...span,
      attributes: { queueMs: span.attributes[ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS] },
    });
    assert.deepEqual(byId(zipkin.spans).map(fields), byId(otlp.spans).map(asZipkinKeepsIt).map(fields));
    // The queue wait came through a string tag and is a number again.
    assert.ok(zipkin.spans.some((span) => span.attributes[ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS] === 13.4));
    // And so the waterfall is the same picture, once names are as Zipkin stores them.
    assert.equal(renderWaterfall(zipkin.spans), renderWaterfall(otlp.spans.map(asZipkinKeepsIt)));
  });

  it('--fold-links output: the batch trace drawn inside the order it links', () => {
    // The golden output of `tracebridge view --fold-links` on the OTLP fixture (see run-cli.test.ts).
    const golden = read('otlp/checkout-trace.fold-links-100.txt');
    assert.match(golden, /^ {3}analytics {5}process order\.created {8}CONSUMER {2}11\.0 ms/m);
    assert.match(golden, /folded in from its own trace 9a1c4e2f…: linked, not a child/);
    assert.doesNotMatch(golden, /^trace 9a1c/m);
  });
});
