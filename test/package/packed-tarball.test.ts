/**
 * The published package, as a user gets it: `npm pack`, install the tarball into an empty folder with only
 * the required peer (@opentelemetry/api; none of the optional broker clients), then load it with
 * `require` and with `import`, compile a TypeScript consumer against its declarations, and check that both
 * module systems see one and the same module instance.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..');
const packageVersion = (path: string) =>
  (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
const API_VERSION = packageVersion(join(ROOT, 'node_modules', '@opentelemetry', 'api', 'package.json'));
// tracebridge/instrumentation's optional peer: what a NodeSDK service has installed anyway.
const INSTRUMENTATION_VERSION = packageVersion(
  join(ROOT, 'node_modules', '@opentelemetry', 'instrumentation', 'package.json'),
);
const OWN_VERSION = packageVersion(join(ROOT, 'package.json'));
function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the packed tarball', { timeout: 180_000 }, () => {
  let work: string;
  let app: string;

  before(() => {
    assert.ok(existsSync(join(ROOT, 'dist', 'index.js')), 'dist/ is built (npm test builds before testing)');
    work = mkdtempSync(join(tmpdir(), 'tracebridge-pack-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as {
      filename: string;
    }[];
    const tarball = join(work, packed[0]!.filename);
    app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, version: '1.0.0' }),
    );
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        tarball,
        `@opentelemetry/api@${API_VERSION}`,
        `@opentelemetry/instrumentation@${INSTRUMENTATION_VERSION}`,
      ],
      app,
    );
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('installs without any optional broker client', () => {
    for (const optional of ['kafkajs', 'amqplib', 'ioredis', 'bullmq', '@grpc/grpc-js']) {
      assert.equal(existsSync(join(app, 'node_modules', optional)), false, `${optional} is not installed`);
    }
    // No dependencies of its own: the Redis envelope is written and read without a protobuf library.
    assert.equal(existsSync(join(app, 'node_modules', 'protobufjs')), false, 'protobufjs is not installed');
    const installed = JSON.parse(
      readFileSync(join(app, 'node_modules', 'tracebridge', 'package.json'), 'utf8'),
    ) as {
      dependencies?: Record<string, string>;
    };
    assert.equal(installed.dependencies, undefined, 'tracebridge has no dependencies');
  });

  it('loads with require', () => {
    const out = run(
      process.execPath,
      [
        '-e',
        "const t = require('tracebridge'); console.log(typeof t.MessagingTelemetry, typeof t.kafkaHeadersCarrier.inject, t.VERSION)",
      ],
      app,
    );
    assert.equal(out.trim(), `function function ${OWN_VERSION}`);
  });

  it('loads with import, and import and require give the same singletons', () => {
    const script = [
      "import { createRequire } from 'node:module';",
      "import * as esm from 'tracebridge';",
      "import { MessagingTelemetry, kafkaHeadersCarrier, decodeEnvelope, encodeEnvelope } from 'tracebridge';",
      "const cjs = createRequire(import.meta.url)('tracebridge');",
      'const names = Object.keys(cjs).filter((n) => n !== "__esModule");',
      'const differing = names.filter((n) => esm[n] !== cjs[n]);',
      'const envelope = decodeEnvelope(encodeEnvelope("hi", { a: "b" }));',
      'console.log(JSON.stringify({ names: names.length, esmNames: Object.keys(esm).length, differing,',
      '  sameClass: MessagingTelemetry === cjs.MessagingTelemetry, sameCarrier: kafkaHeadersCarrier === cjs.kafkaHeadersCarrier,',
      '  envelope: envelope.isEnvelope && envelope.payload.toString() }));',
    ].join('\n');
    writeFileSync(join(app, 'check.mjs'), script);
    const result = JSON.parse(run(process.execPath, ['check.mjs'], app)) as Record<string, unknown>;
    assert.deepEqual(result['differing'], []);
    assert.equal(result['esmNames'], result['names'], 'every CommonJS export is an ESM export');
    assert.ok((result['names'] as number) > 20);
    assert.equal(result['sameClass'], true);
    assert.equal(result['sameCarrier'], true);
    assert.equal(result['envelope'], 'hi', 'the envelope codec finds its .proto inside the package');
  });

  it('tracebridge/grpc loads without grpc-js, and creating an interceptor then names what is missing', () => {
    const script = [
      "const { grpcClientInterceptor } = require('tracebridge/grpc');",
      'try { grpcClientInterceptor(); console.log("no error"); }',
      'catch (e) { console.log(e.name, e.code); }',
    ].join('\n');
    assert.equal(
      run(process.execPath, ['-e', script], app).trim(),
      'TracebridgeConfigError TRACEBRIDGE_MISSING_PEER_DEPENDENCY',
    );
    const esm =
      "import { grpcServerInterceptor } from 'tracebridge/grpc'; console.log(typeof grpcServerInterceptor);";
    assert.equal(run(process.execPath, ['--input-type=module', '-e', esm], app).trim(), 'function');
  });

  it('only tracebridge/instrumentation loads @opentelemetry/instrumentation', () => {
    const script = [
      "for (const p of ['tracebridge', 'tracebridge/kafka', 'tracebridge/amqp', 'tracebridge/grpc', 'tracebridge/redis']) require(p);",
      "const loaded = () => Object.keys(require.cache).some((f) => f.includes('@opentelemetry/instrumentation'));",
      'const before = loaded();',
      "require('tracebridge/instrumentation');",
      'console.log(JSON.stringify([before, loaded()]));',
    ].join('\n');
    assert.equal(run(process.execPath, ['-e', script], app).trim(), '[false,true]');
  });

  it('every subpath export loads with require and with import, as the same module, without any client', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const subpaths = Object.keys(manifest.exports)
      .filter((key) => key !== '.' && key !== './package.json')
      .map((key) => `tracebridge/${key.slice(2)}`);
    assert.ok(subpaths.length >= 5, `subpaths: ${subpaths.join(', ')}`);
    for (const subpath of subpaths) {
      const script = [
        "import { createRequire } from 'node:module';",
        `import * as esm from '${subpath}';`,
        `const cjs = createRequire(import.meta.url)('${subpath}');`,
        'const names = Object.keys(cjs).filter((n) => n !== "__esModule");',
        'console.log(JSON.stringify({ names: names.length, esmNames: Object.keys(esm).length,',
        '  differing: names.filter((n) => esm[n] !== cjs[n]) }));',
      ].join('\n');
      writeFileSync(join(app, 'subpath.mjs'), script);
      const result = JSON.parse(run(process.execPath, ['subpath.mjs'], app)) as Record<string, unknown>;
      assert.ok((result['names'] as number) > 0, `${subpath} exports something`);
      assert.equal(result['esmNames'], result['names'], `${subpath}: every CommonJS export is an ESM export`);
      assert.deepEqual(result['differing'], [], `${subpath}: import and require give the same values`);
    }
  });

  it('installs the `tracebridge` command, and `tracebridge view` prints a waterfall', () => {
    const bin = join(app, 'node_modules', '.bin', 'tracebridge');
    assert.ok(existsSync(bin), 'npm linked the bin');
    assert.match(run(bin, ['view', '--help'], app), /tracebridge view/);
    const fixture = join(ROOT, 'test', 'fixtures', 'otlp', 'checkout-trace.jsonl');
    const out = run(bin, ['view', fixture, '--no-color', '--width', '100'], app);
    assert.match(out, /process order\.created/);
  });

  it('type-checks a strict TypeScript consumer without the optional clients or skipLibCheck', () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      [
        "import { MessagingTelemetry, kafkaHeadersCarrier, TracebridgeConfigError } from 'tracebridge';",
        "import type { IncomingOption, KafkaHeaders } from 'tracebridge';",
        "const incoming: IncomingOption = { default: 'parent', rules: [{ destination: /^public\\./, policy: 'link' }] };",
        "const telemetry = new MessagingTelemetry<string, string>({ system: 'kafka', incoming });",
        "const send = telemetry.startSend({ destination: 'orders', operationName: 'send', info: 'x' });",
        "const headers: KafkaHeaders | undefined = send.inject(kafkaHeadersCarrier, { id: 'a' });",
        'send.end();',
        'export const checked: [unknown, boolean] = [headers, new Error() instanceof TracebridgeConfigError];',
        "import { traceConsumer, traceProducer } from 'tracebridge/kafka';",
        "import { traceChannel } from 'tracebridge/amqp';",
        "import { streamProducer } from 'tracebridge/redis';",
        "import { bullmqTelemetry } from 'tracebridge/bullmq';",
        "import { assertConnectedTrace } from 'tracebridge/testing';",
        "import { renderWaterfall } from 'tracebridge/cli';",
        'export const adapters = [traceConsumer, traceProducer, traceChannel, streamProducer, bullmqTelemetry, assertConnectedTrace, renderWaterfall];',
      ].join('\n'),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, moduleResolution] of [
      ['node16', 'node16'],
      ['commonjs', 'node10'],
      ['esnext', 'bundler'],
    ] as const) {
      // Node's own types, as every TypeScript user of a Node library has them; nothing else.
      const compilerOptions = {
        noEmit: true,
        strict: true,
        target: 'ES2022',
        skipLibCheck: false,
        module,
        moduleResolution,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      };
      writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
      try {
        run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
      } catch (error) {
        assert.fail(
          `tsc (${module}/${moduleResolution}) failed:\n${(error as { stdout?: string }).stdout ?? String(error)}`,
        );
      }
    }
  });
});
