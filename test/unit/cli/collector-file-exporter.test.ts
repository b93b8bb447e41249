/**
 * What the OpenTelemetry collector's `file` exporter writes (the docker-compose.yml collector writes it to
 * `.cache/otel-collector/traces.jsonl`): one OTLP/JSON `ExportTraceServiceRequest` per line, a line per
 * exported batch, so one trace's spans are spread over lines and resources. The fixture keeps the
 * exporter's encoding: ids in hex, 64-bit integers as strings (`"intValue":"42"`), enums as numbers, the
 * W3C flags with the collector's "is remote known" bits (`257`, `769`), `parentSpanId` left out on a root,
 * an empty `status` object on an unset status.
 * @see https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/fileexporter
 */
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseTraceJson, readTraceJson } from '../../../src/cli/parse-trace-json';
import { renderWaterfall } from '../../../src/cli/render-waterfall';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'otlp', 'collector-file-exporter.jsonl');
const TRACE = '5b8efff798038103d269b633813fc60c';

describe("the collector's file exporter output", () => {
  it('reads every span of every line as one trace, parents, kinds, attributes, status and links kept', () => {
    const { spans, problems, formats } = parseTraceJson(readFileSync(FIXTURE, 'utf8'));
    assert.deepEqual(problems, []);
    assert.deepEqual(formats, ['otlp']);
    const byName = new Map(spans.map((span) => [span.name, span]));
    assert.equal(spans.length, 3);
    const root = byName.get('POST /checkout');
    const send = byName.get('send orders');
    const process = byName.get('process orders');
    assert.ok(root && send && process, 'the three spans, by name');
    for (const span of spans) assert.equal(span.traceId, TRACE);
    assert.equal(root.parentSpanId, undefined);
    assert.equal(send.parentSpanId, root.spanId);
    assert.equal(process.parentSpanId, send.spanId);
    assert.deepEqual(
      spans.map((s) => [s.serviceName, s.kind]),
      [
        ['gateway', 'SERVER'],
        ['orders', 'PRODUCER'],
        ['worker', 'CONSUMER'],
      ],
    );
    assert.equal(root.attributes['http.response.status_code'], 200);
    assert.equal(process.attributes['tracebridge.messaging.time_in_queue_ms'], 4.5);
    assert.equal(process.attributes['messaging.kafka.offset'], 42);
    assert.equal(process.status, 'ERROR');
    assert.equal(process.statusMessage, 'out of stock');
    assert.deepEqual(process.links, [
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' },
    ]);
    assert.equal(process.endTimeUnixNano - process.startTimeUnixNano, 6_000_000n);
  });

  it('reads the same from the file as a stream, and draws it as one tree with its queue wait', async () => {
    const streamed = await readTraceJson(createReadStream(FIXTURE, 'utf8'));
    assert.deepEqual(streamed.problems, []);
    assert.deepEqual(streamed.spans, parseTraceJson(readFileSync(FIXTURE, 'utf8')).spans);
    const rows = renderWaterfall(streamed.spans, { width: 100 })
      .split('\n')
      .filter((line) => / (SERVER|PRODUCER|CONSUMER) /.test(line));
    assert.equal(rows.length, 3);
    // Tree order, one level deeper per hop; the consumer's bar starts with its wait in the queue.
    assert.match(rows[0]!, /gateway +POST \/checkout/);
    assert.match(rows[1]!, /orders {3,}send orders/);
    assert.match(rows[2]!, /^! +worker {3,}process orders .*\| *\.+=+/);
  });
});
