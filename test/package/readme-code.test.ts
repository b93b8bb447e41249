/**
 * Every TypeScript block of the README, type-checked as a strict consumer project would compile it
 * (`strict`, `exactOptionalPropertyTypes`, `noUncheckedIndexedAccess`): against tracebridge's built
 * declarations (dist/, as published) and the real client libraries' and OpenTelemetry packages' types. A
 * block whose first line names a `.mts` file is compiled as an ES module, as its name says.
 *
 * The blocks are excerpts of an application: the names they use without defining them (a generated
 * `OrdersClient`, the application's own `handle`, the `message` being sent) are declared, with the types
 * an application would have, in {@link APPLICATION_NAMES}, and nowhere else. A block without imports
 * continues the block before it in its section (the Kafka `eachBatch` variant of the consumer above it).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..');

/** The sections with TypeScript blocks, each of which must keep at least one. */
const SECTIONS = [
  'Install',
  'With NodeSDK',
  'gRPC',
  'Kafka',
  'RabbitMQ',
  'Redis jobs',
  'Trust boundaries',
  'BullMQ jobs',
  'Viewing a trace in the terminal',
  'Asserting one connected trace in your tests',
  'The messaging core',
  'Mixed fleets',
];

/** What the README's excerpts take from the application around them (a global script, no imports). */
const APPLICATION_NAMES = `
type Kafka = import('kafkajs').Kafka;
declare const text: string;
declare const order: { id: string };
declare function reserve(message: import('kafkajs').KafkaMessage): Promise<void>;
declare const json: string;
declare const id: string;
declare const reply: Buffer;
declare function handle(message: unknown): Promise<void>;
declare function sendMail(fields: readonly (string | Buffer)[]): Promise<void>;
declare function onEvent(payload: Buffer): void;
declare function sendReceipt(data: unknown): Promise<void>;
declare const message: import('kafkajs').Message;
declare const producer: import('kafkajs').Producer;
declare const m: import('kafkajs').KafkaMessage;
declare function placeOrder(): Promise<void>;
declare function jobsSettled(): Promise<void>;
declare const exporter: import('@opentelemetry/sdk-trace-base').InMemorySpanExporter;
declare const OrdersClient: typeof import('@grpc/grpc-js').Client;
declare const channel: import('amqplib').Channel;
declare const kafka: Kafka;
declare const address: string;
declare const credentials: import('@grpc/grpc-js').ChannelCredentials;
`;

function sectionBlocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `the README has a "${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const blocks: string[] = [];
  for (const [, code] of section.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const previous = blocks.length - 1;
    if (!/^import /m.test(code!) && previous >= 0) blocks[previous] += code!;
    else blocks.push(code!);
  }
  return blocks;
}

describe('README code', () => {
  it('every TypeScript block type-checks in a strict consumer', { timeout: 180_000 }, () => {
    assert.ok(existsSync(join(ROOT, 'dist', 'instrumentation', 'index.d.ts')), 'dist/ is built');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const section of readme.split('\n## ').slice(1)) {
      const heading = section.slice(0, section.indexOf('\n'));
      if (section.includes('```ts\n')) assert.ok(SECTIONS.includes(heading), `"${heading}" is checked`);
    }
    const blocks = SECTIONS.flatMap((heading) => {
      const found = sectionBlocks(readme, heading);
      assert.ok(found.length > 0, `"${heading}" has a TypeScript block`);
      return found.map((code, i) => ({ heading, i, code }));
    });
    mkdirSync(join(ROOT, '.cache'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.cache', 'readme-code-'));
    try {
      // An ES module project, as a new service is: the blocks use top-level `await`.
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      const globals = join(dir, 'application.d.ts');
      writeFileSync(globals, APPLICATION_NAMES);
      const files = blocks.map(({ heading, i, code }) => {
        const slug = heading.toLowerCase().replace(/[^a-z0-9]+/g, '-');
        const ext = /^\/\/ \S+\.mts\b/.test(code) ? 'mts' : 'ts';
        const file = join(dir, `${slug}-${i}.${ext}`);
        // Each block is a module of its own: a file without imports would otherwise be a global script.
        writeFileSync(file, `${code}\nexport {};\n`);
        return file;
      });
      const compilerOptions = {
        noEmit: true,
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        types: ['node'],
        skipLibCheck: true,
        baseUrl: ROOT,
        paths: { 'tracebridge/*': ['./dist/*/index.d.ts'], tracebridge: ['./dist/index.d.ts'] },
      };
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions, files: [globals, ...files] }),
      );
      try {
        execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        assert.fail(`tsc failed:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
