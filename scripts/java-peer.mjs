// Builds the Java peer of the mixed-fleet tests (test/interop/java: kafka-clients, amqp-client and
// grpc-java, plus the OpenTelemetry Java agent) and prints where it is, as one JSON line on stdout:
//   {"dir":…,"agent":…,"classpath":…,"mainClass":…}
// test/helpers/java-peer.ts runs this before the interop tests, so `npm test` builds it when missing.
//
// The build is cached per machine, outside the checkout ($TRACEBRIDGE_CACHE_DIR, default
// ~/.cache/tracebridge), in java-peer-<hash of the pom and sources>: CI runs in a fresh clone on the same
// machine and then pays nothing; a change to the peer gets a new folder. mvn runs offline first (no
// metadata checks once ~/.m2 holds everything), then online: the first build downloads from Maven
// Central. Fails loudly (exit 1, mvn's output on stderr) when Java or Maven is missing or the build fails.
// Plain Node ESM, Node built-ins only.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = join(ROOT, 'test', 'interop', 'java');
const MAIN_CLASS = 'dev.tracebridge.interop.JavaPeer';
const cacheRoot = process.env.TRACEBRIDGE_CACHE_DIR || join(homedir(), '.cache', 'tracebridge');
const JAVA = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
// A build that held the lock longer than this died without removing it (a first build takes about a minute).
const LOCK_STALE_MS = 15 * 60_000;

function say(line) {
  console.error(`java-peer: ${line}`);
}

function fail(line) {
  console.error(`java-peer: ERROR ${line}`);
  process.exit(1);
}

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.name !== 'target')
    .flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();
}

/** The peer's identity: every file that goes into the build, by path and content. */
function sourceHash() {
  const hash = createHash('sha256');
  for (const file of files(SOURCES)) hash.update(`${relative(SOURCES, file)}\0`).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

function layout(dir) {
  return {
    dir,
    agent: join(dir, 'agent', 'opentelemetry-javaagent.jar'),
    classpath: [join(dir, 'classes'), join(dir, 'lib', '*')].join(':'),
    mainClass: MAIN_CLASS,
  };
}

function works(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.error === undefined && result.status === 0;
}

function mvn(args) {
  return spawnSync('mvn', args, { cwd: SOURCES, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function build(dir) {
  if (!works(JAVA, ['-version'])) fail(`'${JAVA}' does not run; the Java peer needs Java 17 or newer`);
  if (!works('mvn', ['-v'])) fail(`'mvn' (Apache Maven) is not on PATH; it builds the Java peer`);
  const staging = `${dir}.build-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const args = ['-q', '-B', '-Dstyle.color=never', 'package', `-Dpeer.out=${staging}`];
  const started = Date.now();
  let result = mvn(['-o', ...args]);
  if (result.status !== 0) {
    say('not everything is in ~/.m2 yet: building online (the first build downloads from Maven Central)');
    rmSync(staging, { recursive: true, force: true });
    result = mvn(args);
  }
  if (result.status !== 0 || result.error !== undefined) {
    rmSync(staging, { recursive: true, force: true });
    console.error(`${result.stdout ?? ''}${result.stderr ?? ''}`.trim());
    fail(
      `mvn ${args.join(' ')} failed (exit ${result.status}${result.error ? `, ${result.error.message}` : ''})`,
    );
  }
  if (!existsSync(layout(staging).agent)) fail(`the build left no agent jar in ${staging}/agent`);
  writeFileSync(join(staging, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  say(`built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${dir}`);
}

/** One build at a time per cache folder: two test files may ask at once, and two mvn runs on one ~/.m2
 * can trip over each other. The lock is a directory (mkdir is atomic); the loser waits for the winner. */
async function withLock(dir, task) {
  const lock = `${dir}.lock`;
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (Date.now() > deadline) {
        say(`removing a lock older than ${LOCK_STALE_MS / 60_000} min: ${lock}`);
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await sleep(500);
    }
  }
  try {
    task();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const dir = join(cacheRoot, `java-peer-${sourceHash()}`);
if (!existsSync(join(dir, '.complete'))) {
  mkdirSync(cacheRoot, { recursive: true });
  await withLock(dir, () => {
    if (!existsSync(join(dir, '.complete'))) build(dir);
  });
}
console.log(JSON.stringify(layout(dir)));
