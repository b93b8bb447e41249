/**
 * The parser against a real producer of OTLP/JSON: the OpenTelemetry JS OTLP/HTTP exporter posts its
 * JSON to a server in this process, and what the parser reads back must match the spans the SDK ended.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { parseOtlpJson } from '../../../src/cli/parse-otlp-json';
import { renderWaterfall } from '../../../src/cli/render-waterfall';

describe('parseOtlpJson reads what the OpenTelemetry OTLP/HTTP JSON exporter sends', () => {
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  });

  it('ids, parents, kinds, services, times, status, attributes and links survive the round trip', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
    const memory = new InMemorySpanExporter();
    const provider = (service: string): BasicTracerProvider =>
      new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service }),
        spanProcessors: [
          new SimpleSpanProcessor(new OTLPTraceExporter({ url })),
          new SimpleSpanProcessor(memory),
        ],
      });
    const gateway = provider('gateway');
    const worker = provider('worker');

    const root = gateway.getTracer('t').startSpan('POST /orders', { kind: SpanKind.SERVER });
    const send = gateway
      .getTracer('t')
      .startSpan('send orders', { kind: SpanKind.PRODUCER }, trace.setSpan(ROOT_CONTEXT, root));
    send.end();
    // The worker continues the trace from the propagated context, as a consumer of another process would.
    const process = worker.getTracer('t').startSpan(
      'process orders',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'tracebridge.messaging.time_in_queue_ms': 12,
          offset: 1842,
          ratio: 0.5,
          tags: ['a', 'b'],
        },
        links: [{ context: root.spanContext() }],
      },
      trace.setSpanContext(ROOT_CONTEXT, send.spanContext()),
    );
    process.setStatus({ code: SpanStatusCode.ERROR, message: 'no stock' });
    process.end();
    root.end();
    await Promise.all([gateway.forceFlush(), worker.forceFlush()]);
    // Read before shutdown: shutting down an InMemorySpanExporter forgets its spans.
    const finished = memory.getFinishedSpans();
    await Promise.all([gateway.shutdown(), worker.shutdown()]);

    // The collector's file exporter writes one request per line: the same JSON the exporter posted.
    assert.equal(bodies.length, 3, 'one POST per span (SimpleSpanProcessor)');
    const { spans, problems } = parseOtlpJson(bodies.join('\n'));
    assert.deepEqual(problems, []);
    assert.equal(finished.length, 3);
    assert.equal(spans.length, finished.length);
    for (const sdkSpan of finished) {
      const parsed = spans.find((s) => s.spanId === sdkSpan.spanContext().spanId);
      assert.ok(parsed, `${sdkSpan.name} was parsed`);
      assert.equal(parsed.traceId, sdkSpan.spanContext().traceId);
      assert.equal(parsed.parentSpanId, sdkSpan.parentSpanContext?.spanId);
      assert.equal(parsed.name, sdkSpan.name);
      assert.equal(parsed.serviceName, sdkSpan.resource.attributes['service.name']);
      const [seconds, nanos] = sdkSpan.startTime;
      assert.equal(parsed.startTimeUnixNano, BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
    }
    const consumer = spans.find((s) => s.name === 'process orders');
    assert.equal(consumer?.kind, 'CONSUMER');
    assert.equal(consumer?.status, 'ERROR');
    assert.equal(consumer?.statusMessage, 'no stock');
    assert.equal(consumer?.attributes['tracebridge.messaging.time_in_queue_ms'], 12);
    assert.equal(consumer?.attributes['offset'], 1842);
    assert.equal(consumer?.attributes['ratio'], 0.5);
    assert.deepEqual(consumer?.attributes['tags'], ['a', 'b']);
    assert.deepEqual(consumer?.links, [
      { traceId: root.spanContext().traceId, spanId: root.spanContext().spanId },
    ]);
    assert.deepEqual(spans.map((s) => s.kind).sort(), ['CONSUMER', 'PRODUCER', 'SERVER']);

    // And the waterfall shows them as one tree: the consumer under the producer under the server.
    const lines = renderWaterfall(spans, { width: 80 }).split('\n');
    const header = lines.find((line) => line.includes(' SPAN '))!;
    const [nameColumn, kindColumn] = [header.indexOf('SPAN'), header.indexOf('KIND')];
    const rows = lines.filter((line) => / (SERVER|PRODUCER|CONSUMER) /.test(line));
    assert.deepEqual(
      rows.map((line) => [
        line[0],
        /^ */.exec(line.slice(nameColumn))![0].length,
        line.slice(nameColumn, kindColumn).trim(),
      ]),
      [
        [' ', 0, 'POST /orders'],
        [' ', 2, 'send orders'],
        ['!', 4, 'process orders'],
      ],
    );
  });
});
