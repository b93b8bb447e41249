/**
 * `--jaeger URL`: the requests the viewer makes of Jaeger's query API (`/api/traces/{id}`,
 * `/api/services`, `/api/traces?service=…&limit=…`) and what it prints from the answers. No Jaeger runs on
 * the test machines, so an HTTP server in this process answers with the Jaeger JSON fixture (written as
 * Jaeger's query service writes it), trace by trace and service by service as Jaeger would.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseTraceJson } from '../../../src/cli/parse-trace-json';
import { renderWaterfall } from '../../../src/cli/render-waterfall';
import { ExitCode, runCli } from '../../../src/cli/run-cli';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
interface JaegerTrace {
  traceID: string;
  processes: Record<string, { serviceName: string }>;
}
const response = JSON.parse(readFileSync(join(FIXTURES, 'jaeger', 'checkout-traces.json'), 'utf8')) as {
  data: JaegerTrace[];
};
const services = (trace: JaegerTrace): string[] => Object.values(trace.processes).map((p) => p.serviceName);

async function view(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv,
    env: {},
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    readFile: () => assert.fail('no files here'),
    readStdin: () => assert.fail('no standard input here'),
  });
  return { code, stdout, stderr };
}

describe('tracebridge view --jaeger', () => {
  const requests: string[] = [];
  const server = createServer((request, reply) => {
    const url = new URL(request.url ?? '/', 'http://jaeger');
    requests.push(`${url.pathname}${url.search}`);
    const answer = (data: unknown[]): void => {
      reply
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ data, errors: null }));
    };
    if (url.pathname === '/jaeger/api/services') {
      answer([...new Set(response.data.flatMap(services)), 'jaeger-all-in-one']);
    } else if (url.pathname === '/jaeger/api/traces') {
      const service = url.searchParams.get('service') ?? '';
      answer(response.data.filter((trace) => services(trace).includes(service)));
    } else if (url.pathname.startsWith('/jaeger/api/traces/')) {
      const found = response.data.filter((trace) => trace.traceID === url.pathname.split('/').pop());
      if (found.length > 0) answer(found);
      else reply.writeHead(404).end('{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}');
    } else {
      reply.writeHead(404).end();
    }
  });
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jaeger`;
  });
  after(() => server.close());

  const otlp = parseTraceJson(readFileSync(join(FIXTURES, 'otlp', 'checkout-trace.jsonl'), 'utf8')).spans;

  it('--trace fetches /api/traces/{id} and prints it as from the OTLP file', async () => {
    requests.length = 0;
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    const result = await view(['view', '--jaeger', base, '--trace', id]);
    assert.deepEqual([result.code, result.stderr], [ExitCode.Ok, '']);
    assert.deepEqual(requests, [`/jaeger/api/traces/${id}`]);
    assert.equal(result.stdout, renderWaterfall(otlp.filter((span) => span.traceId === id)));
  });

  it("--latest asks every service but Jaeger's own, and keeps the latest traces; --fold-links folds them", async () => {
    requests.length = 0;
    const latest = await view(['view', '--jaeger', base, '--latest', '1']);
    assert.equal(latest.code, ExitCode.Ok, latest.stderr);
    assert.equal(requests[0], '/jaeger/api/services');
    assert.deepEqual(
      requests.slice(1).sort(),
      ['analytics', 'gateway', 'inventory', 'notifier', 'orders', 'shipping']
        .map((service) => `/jaeger/api/traces?service=${service}&limit=1`)
        .sort(),
    );
    assert.deepEqual(
      latest.stdout.split('\n').filter((line) => line.startsWith('trace ')),
      ['trace 9a1c4e2f0b7d46c8a53e6f1d2c3b4a59  11.0 ms  1 span'],
    );
    const folded = await view(['view', '--jaeger', base, '--latest', '2', '--fold-links']);
    assert.equal(
      folded.stdout,
      readFileSync(join(FIXTURES, 'otlp', 'checkout-trace.fold-links-100.txt'), 'utf8'),
    );
  });

  it('a trace Jaeger does not have is exit 1 with the URL asked', async () => {
    const result = await view(['view', '--jaeger', base, '--trace', 'abc']);
    assert.equal(result.code, ExitCode.Failed);
    assert.match(
      result.stderr,
      /^tracebridge: jaeger: http:\/\/127\.0\.0\.1:\d+\/jaeger\/api\/traces\/abc: not found \(HTTP 404\)/,
    );
  });
});
