/**
 * Against the real Zipkin server (127.0.0.1:9411): a trace made with the OpenTelemetry SDK is exported
 * with the OpenTelemetry Zipkin exporter, read back from `/api/v2/trace/{id}` and rendered; and
 * `tracebridge view --zipkin URL --trace ID` fetches and prints the same. Service names carry a random
 * suffix, as the server is shared.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS } from '../../../src/core/semantic-attributes';
import { fetchTraces } from '../../../src/cli/fetch-traces';
import { parseTraceJson } from '../../../src/cli/parse-trace-json';
import { renderWaterfall } from '../../../src/cli/render-waterfall';
import { ExitCode, runCli } from '../../../src/cli/run-cli';
import type { TraceSpan } from '../../../src/cli/trace-span';
import { toTraceSpan } from '../../../src/testing/finished-span';

const ZIPKIN = 'http://127.0.0.1:9411';
const suffix = randomBytes(4).toString('hex');

async function view(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv,
    env: {},
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    readFile: () => {
      throw new Error('no files here');
    },
    readStdin: () => {
      throw new Error('no standard input here');
    },
  });
  return { code, stdout, stderr };
}

/** Zipkin indexes spans asynchronously after it accepts them: ask until all of them are there. */
async function zipkinTrace(traceId: string, spanCount: number): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${ZIPKIN}/api/v2/trace/${traceId}`);
    const text = await response.text();
    if (response.ok && (JSON.parse(text) as unknown[]).length === spanCount) return text;
    if (attempt === 100) assert.fail(`Zipkin never returned the ${spanCount} spans of ${traceId}: ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('tracebridge view and the real Zipkin server', () => {
  const memory = new InMemorySpanExporter();
  let traceId = '';
  let expected: TraceSpan[] = [];

  before(async () => {
    const provider = (service: string): BasicTracerProvider =>
      new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service }),
        spanProcessors: [
          new SimpleSpanProcessor(new ZipkinExporter({ url: `${ZIPKIN}/api/v2/spans` })),
          new SimpleSpanProcessor(memory),
        ],
      });
    const gateway = provider(`gateway-${suffix}`);
    const worker = provider(`worker-${suffix}`);
    const start = Date.now() - 200;
    const root = gateway
      .getTracer('t')
      .startSpan('POST /Orders', { kind: SpanKind.SERVER, startTime: start });
    const send = gateway
      .getTracer('t')
      .startSpan(
        'send orders',
        { kind: SpanKind.PRODUCER, startTime: start + 10 },
        trace.setSpan(ROOT_CONTEXT, root),
      );
    send.end(start + 15);
    const process = worker.getTracer('t').startSpan(
      'process orders',
      {
        kind: SpanKind.CONSUMER,
        startTime: start + 60,
        attributes: { [ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS]: 45 },
        links: [{ context: root.spanContext() }],
      },
      trace.setSpan(ROOT_CONTEXT, send),
    );
    const work = worker
      .getTracer('t')
      .startSpan(
        'charge card',
        { kind: SpanKind.INTERNAL, startTime: start + 70 },
        trace.setSpan(ROOT_CONTEXT, process),
      );
    work.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
    work.end(start + 120);
    process.end(start + 130);
    root.end(start + 140);
    await Promise.all([gateway.forceFlush(), worker.forceFlush()]);
    traceId = root.spanContext().traceId;
    expected = memory.getFinishedSpans().map((span, i) => toTraceSpan(span, i));
  });

  /** What the Zipkin server keeps: no links; span and service names lowercased. */
  const asStored = (span: TraceSpan): TraceSpan => ({
    ...span,
    name: span.name.toLowerCase(),
    serviceName: span.serviceName?.toLowerCase(),
    links: [],
  });

  it('renders what /api/v2/trace/{id} returns as the SDK spans it came from', async () => {
    const { spans, problems, formats } = parseTraceJson(await zipkinTrace(traceId, 4));
    assert.deepEqual([problems, formats], [[], ['zipkin']]);
    const sorted = (list: readonly TraceSpan[]): TraceSpan[] =>
      [...list].sort((a, b) => a.spanId.localeCompare(b.spanId));
    const stored = sorted(spans);
    const sdk = sorted(expected.map(asStored));
    assert.deepEqual(
      stored.map((s) => [
        s.traceId,
        s.spanId,
        s.parentSpanId,
        s.name,
        s.kind,
        s.serviceName,
        s.status,
        s.statusMessage,
      ]),
      sdk.map((s) => [
        s.traceId,
        s.spanId,
        s.parentSpanId,
        s.name,
        s.kind,
        s.serviceName,
        s.status,
        s.statusMessage,
      ]),
    );
    assert.deepEqual(
      stored.map((s) => s.attributes[ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS]),
      sdk.map((s) => s.attributes[ATTR_TRACEBRIDGE_TIME_IN_QUEUE_MS]),
    );
    // The SDK's times are milliseconds here, so Zipkin's microseconds lose nothing.
    assert.equal(
      renderWaterfall(spans, { width: 120 }),
      renderWaterfall(expected.map(asStored), { width: 120 }),
    );
    assert.match(renderWaterfall(spans), /process orders +CONSUMER +70\.0 ms \|[^|]*\.=+/);
  });

  it('--zipkin URL --trace ID fetches and prints the trace; --latest includes it', async () => {
    await zipkinTrace(traceId, 4);
    const fetched = await view(['view', '--zipkin', ZIPKIN, '--trace', traceId, '--width', '120']);
    assert.deepEqual([fetched.code, fetched.stderr], [ExitCode.Ok, '']);
    assert.equal(fetched.stdout, renderWaterfall(expected.map(asStored), { width: 120 }));
    const latest = await view(['view', '--zipkin', `${ZIPKIN}/`, '--latest', '1000', '--width', '120']);
    assert.equal(latest.code, ExitCode.Ok, latest.stderr);
    assert.ok(latest.stdout.includes(`trace ${traceId}`));
  });

  it('reports a trace Zipkin does not have, and a backend that is not there, with exit 1', async () => {
    const unknown = randomBytes(16).toString('hex');
    const missing = await view(['view', '--zipkin', ZIPKIN, '--trace', unknown]);
    assert.deepEqual([missing.code, missing.stdout], [ExitCode.Failed, '']);
    assert.match(
      missing.stderr,
      new RegExp(`^tracebridge: zipkin: ${ZIPKIN}/api/v2/trace/${unknown}: not found \\(HTTP 404\\)`),
    );
    // A port nothing listens on: a server that was opened and closed again.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await view(['view', '--zipkin', `http://127.0.0.1:${port}`, '--trace', unknown]);
    assert.equal(refused.code, ExitCode.Failed);
    assert.match(refused.stderr, /cannot connect \(ECONNREFUSED\)/);
  });
});

describe('fetchTraces bounds what a backend may send', () => {
  const server = createServer((request, response) => {
    if (request.url?.includes('silent') === true) return; // never answers
    if (request.url?.includes('declared') === true) {
      response.writeHead(200, { 'content-length': String(10_000) }).end('x'.repeat(10_000));
      return;
    }
    // Chunked, with no length: the reader must count as it reads.
    response.writeHead(200, { 'content-type': 'application/json' });
    const chunk = `[${'0,'.repeat(500)}`;
    let sent = 0;
    const more = (): void => {
      while (sent < 100) {
        sent++;
        if (!response.write(chunk)) {
          response.once('drain', more);
          return;
        }
      }
      response.end('0]');
    };
    more();
  });
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const options = { latest: undefined, timeoutMs: 5_000, maxBytes: 4096, fetch };

  it('refuses a body larger than the bound, declared or streamed', async () => {
    const declared = await fetchTraces(
      { kind: 'zipkin', url: `${base}/declared` },
      { ...options, traceId: 'a'.repeat(16) },
    );
    assert.match((declared as { error: string }).error, /\(10000 bytes\) is larger than 4096 bytes/);
    const streamed = await fetchTraces(
      { kind: 'jaeger', url: `${base}/chunked` },
      { ...options, traceId: 'abc' },
    );
    assert.match(
      (streamed as { error: string }).error,
      /chunked\/api\/traces\/abc: the response is larger than 4096 bytes/,
    );
    // The same answer fits a larger bound, and is read whole.
    const whole = await fetchTraces(
      { kind: 'jaeger', url: `${base}/chunked` },
      { ...options, maxBytes: 1 << 20, traceId: 'abc' },
    );
    assert.equal((whole as { bodies: string[] }).bodies[0]!.length, 100 * 1001 + 2);
  });

  it('gives up on a backend that does not answer within the timeout', async () => {
    const result = await fetchTraces(
      { kind: 'zipkin', url: `${base}/silent` },
      { ...options, timeoutMs: 300, latest: 5, traceId: undefined },
    );
    assert.match(
      (result as { error: string }).error,
      /silent\/api\/v2\/traces\?limit=5: no answer within 0\.3 s/,
    );
  });
});
