// Makes @confluentinc/kafka-javascript available under .cache/confluent for `npm run test:confluent`.
//
// Why not a devDependency: its native addon is normally downloaded prebuilt from GitHub releases, which
// this project's machines cannot reach, so it is compiled from source here (librdkafka included), linked
// dynamically against the system's libraries (CKJS_LINKING=dynamic; its static build would download zlib,
// OpenSSL, zstd and curl sources from the internet). That takes minutes and a C toolchain, which every
// `npm ci` would otherwise pay. Built once, cached; fails loudly when it cannot be built.
//
// The build is cached per machine, outside the checkout ($TRACEBRIDGE_CACHE_DIR, default
// ~/.cache/tracebridge), and .cache/confluent in the checkout links to it: CI runs in a fresh clone on
// the same machine and would otherwise rebuild librdkafka on every run.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '1.10.1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheRoot = process.env.TRACEBRIDGE_CACHE_DIR || join(homedir(), '.cache', 'tracebridge');
const prefix = join(cacheRoot, `confluent-${VERSION}`);
const link = join(root, '.cache', 'confluent');

/** Points .cache/confluent (what the tests load) at the machine-wide build. */
function linkIntoCheckout() {
  mkdirSync(dirname(link), { recursive: true });
  const stat = lstatSync(link, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink() && readlinkSync(link) === prefix) return;
  if (stat !== undefined) rmSync(link, { recursive: true, force: true });
  symlinkSync(prefix, link, 'dir');
}

function loads() {
  try {
    const client = createRequire(join(prefix, 'package.json'))('@confluentinc/kafka-javascript');
    return typeof client.KafkaJS?.Kafka === 'function';
  } catch {
    return false;
  }
}

if (loads()) {
  linkIntoCheckout();
  console.log(`confluent-client: @confluentinc/kafka-javascript ${VERSION} ready in ${prefix}`);
  process.exit(0);
}
mkdirSync(prefix, { recursive: true });
if (!existsSync(join(prefix, 'package.json'))) {
  writeFileSync(join(prefix, 'package.json'), JSON.stringify({ name: 'confluent-cache', private: true }));
}
console.log(
  `confluent-client: building @confluentinc/kafka-javascript ${VERSION} from source (a few minutes)...`,
);
const started = Date.now();
const result = spawnSync(
  'npm',
  ['install', '--no-audit', '--no-fund', '--loglevel=error', `@confluentinc/kafka-javascript@${VERSION}`],
  { cwd: prefix, env: { ...process.env, CKJS_LINKING: 'dynamic' }, encoding: 'utf8' },
);
if (result.status !== 0 || !loads()) {
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').slice(-40).join('\n');
  console.error(`confluent-client: the build failed (exit ${result.status}). Last lines:\n${output}`);
  console.error(
    'confluent-client: it needs gcc/g++, make and python3; for TLS and compression also libssl-dev, ' +
      'zlib1g-dev, libzstd-dev and libsasl2-dev (apt-get install ...).',
  );
  process.exit(1);
}
linkIntoCheckout();
console.log(`confluent-client: built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
