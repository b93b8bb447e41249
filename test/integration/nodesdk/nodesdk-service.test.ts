/**
 * A NodeSDK service as most are set up (`getNodeAutoInstrumentations()`, every default on) plus tracebridge,
 * in a child process running the built package, in CommonJS and in ESM (with OpenTelemetry's loader hook):
 * one request through gRPC -> Kafka -> RabbitMQ against the real brokers. Every hop must have exactly one
 * span per operation (tracebridge's; none from the contrib kafkajs, amqplib and grpc instrumentations, which
 * NodeSDK enables by default), all in the request's trace, each the child of the one before.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SpanKind } from '@opentelemetry/api';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'nodesdk');
const run = promisify(execFile);

interface ExportedSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
}

interface Service {
  readonly module: 'cjs' | 'esm';
  readonly mode: 'explicit' | 'zero-code' | 'zero-code+explicit';
  readonly env?: Readonly<Record<string, string>>;
}

/** Connection spans (net, dns) are a layer below; they are not operations tracebridge or contrib trace twice. */
const TRANSPORT_LAYER = new Set(['@opentelemetry/instrumentation-net', '@opentelemetry/instrumentation-dns']);

async function runService(service: Service): Promise<{ traceId: string; spans: ExportedSpan[] }> {
  const name = `tracebridge-nodesdk-${randomUUID().slice(0, 8)}`;
  const args =
    service.module === 'cjs'
      ? ['--require', './sdk-setup.cjs', 'app.cjs']
      : ['--import', './register-esm.mjs', 'app.mjs'];
  const { stdout } = await run(process.execPath, args, {
    cwd: FIXTURE,
    timeout: 90_000,
    env: {
      PATH: process.env['PATH'],
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      TB_MODE: service.mode,
      TB_TOPIC: name,
      TB_QUEUE: name,
      ...service.env,
    },
  });
  const line = stdout.split('\n').find((l) => l.startsWith('SPANS '));
  assert.ok(line, `the service printed its spans:\n${stdout}`);
  return JSON.parse(line.slice('SPANS '.length)) as { traceId: string; spans: ExportedSpan[] };
}

/** The request's spans, each hop's one span found by kind and name, and the chain of parents checked. */
function assertOneSpanPerOperation(traceId: string, spans: readonly ExportedSpan[], topic: string): void {
  const operations = spans.filter((s) => !TRANSPORT_LAYER.has(s.scope));
  const describe = operations.map((s) => `${s.scope}: ${SpanKind[s.kind]} ${s.name}`).join('\n  ');
  assert.equal(operations.length, 7, `one request span and six operation spans, got:\n  ${describe}`);
  assert.deepEqual(
    operations.filter((s) => s.traceId !== traceId).map((s) => s.name),
    [],
    'every span is in the request trace',
  );
  assert.deepEqual(
    operations.filter((s) => s.scope !== 'tracebridge' && s.scope !== 'scenario').map((s) => s.scope),
    [],
    'no contrib span doubles one of tracebridge',
  );
  const one = (kind: SpanKind, name: string): ExportedSpan => {
    const found = operations.filter((s) => s.kind === kind && s.name === name);
    assert.equal(found.length, 1, `one ${SpanKind[kind]} ${name}:\n  ${describe}`);
    return found[0]!;
  };
  const root = one(SpanKind.INTERNAL, 'request');
  const client = one(SpanKind.CLIENT, 'tracebridge.fixture.Pinger/Ping');
  const server = one(SpanKind.SERVER, 'tracebridge.fixture.Pinger/Ping');
  const send = one(SpanKind.PRODUCER, `send ${topic}`);
  const publish = one(SpanKind.PRODUCER, `publish ${topic}`);
  const processes = operations.filter((s) => s.kind === SpanKind.CONSUMER);
  const kafkaProcess = processes.find((s) => s.parentSpanId === send.spanId);
  const amqpProcess = processes.find((s) => s.parentSpanId === publish.spanId);
  assert.equal(root.parentSpanId, undefined);
  assert.equal(client.parentSpanId, root.spanId, 'the gRPC client span is the request’s child');
  assert.equal(server.parentSpanId, client.spanId, 'the gRPC server span is the client’s child');
  assert.equal(send.parentSpanId, server.spanId, 'the Kafka send is the handler’s child');
  assert.ok(kafkaProcess, 'the Kafka process span is the send’s child');
  assert.equal(
    publish.parentSpanId,
    kafkaProcess.spanId,
    'the AMQP publish is the Kafka process span’s child',
  );
  assert.ok(amqpProcess, 'the AMQP process span is the publish’s child');
}

describe('a NodeSDK service with getNodeAutoInstrumentations() and tracebridge', { timeout: 600_000 }, () => {
  assert.ok(
    existsSync(join(ROOT, 'dist', 'instrumentation', 'index.js')),
    'dist/ is built (`npm run build`; npm test builds first)',
  );

  const services: (Service & { readonly title: string })[] = [
    { title: 'CommonJS, explicit wrappers', module: 'cjs', mode: 'explicit' },
    { title: 'CommonJS, zero-code mode', module: 'cjs', mode: 'zero-code' },
    {
      title: 'CommonJS, zero-code mode and wrappers applied twice, tracebridge listed first',
      module: 'cjs',
      mode: 'zero-code+explicit',
      env: { TB_ORDER: 'tracebridge-first' },
    },
    {
      title: 'CommonJS, explicit wrappers, autoInstrumentationsWithoutOverlaps()',
      module: 'cjs',
      mode: 'explicit',
      env: { TB_HELPER: '1' },
    },
    { title: 'ESM with the loader hook, explicit wrappers', module: 'esm', mode: 'explicit' },
    { title: 'ESM with the loader hook, zero-code mode', module: 'esm', mode: 'zero-code' },
    {
      title: 'ESM with the loader hook, zero-code mode and wrappers applied twice, tracebridge listed first',
      module: 'esm',
      mode: 'zero-code+explicit',
      env: { TB_ORDER: 'tracebridge-first' },
    },
  ];
  for (const service of services) {
    it(`${service.title}: one span per operation, one trace`, async () => {
      const { traceId, spans } = await runService(service);
      const topic = spans
        .find((s) => s.kind === SpanKind.PRODUCER && s.name.startsWith('send '))
        ?.name.slice(5);
      assert.ok(topic, 'a Kafka send span');
      assertOneSpanPerOperation(traceId, spans, topic);
    });
  }

  it('TRACEBRIDGE_UNPATCH_CONTRIB=false keeps the contrib patches: then every hop is doubled', async () => {
    const { traceId, spans } = await runService({
      module: 'cjs',
      mode: 'explicit',
      env: { TRACEBRIDGE_UNPATCH_CONTRIB: 'false' },
    });
    const contribScopes = new Set(
      spans
        .filter((s) => s.traceId === traceId && s.scope.startsWith('@opentelemetry/instrumentation-'))
        .map((s) => s.scope),
    );
    for (const scope of ['kafkajs', 'amqplib', 'grpc']) {
      assert.ok(
        contribScopes.has(`@opentelemetry/instrumentation-${scope}`),
        `${scope}'s contrib spans are there`,
      );
    }
  });
});
