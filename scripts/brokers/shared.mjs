// What the broker modules share: where things live, output, processes, probes and the mvn downloads.
// Plain Node ESM, Node built-ins only.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** This folder: the poms and config files the brokers are started with. */
export const HERE = join(ROOT, 'scripts', 'brokers');
export const CACHE = join(ROOT, '.cache');
export const STATE = join(CACHE, 'brokers');
export const HOST = '127.0.0.1';
export const JAVA = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
const LOG_TAIL_LINES = 40;

// ---------------------------------------------------------------------------------------------- output

export function say(line) {
  console.log(`brokers: ${line}`);
}

export function fail(line) {
  console.error(`brokers: ERROR ${line}`);
}

export class BrokerError extends Error {
  /** @param {string} message @param {string[]} [logs] files whose tail explains the failure */
  constructor(message, logs = []) {
    super(message);
    this.logs = logs;
  }
}

function tail(file, lines = LOG_TAIL_LINES) {
  try {
    const text = readFileSync(file, 'utf8').replace(/\s+$/, '');
    if (text === '') return null;
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return null;
  }
}

export function printLogTails(files) {
  let printed = false;
  for (const file of files) {
    const text = tail(file);
    if (text === null) continue;
    printed = true;
    console.error(`brokers: ---- last ${LOG_TAIL_LINES} lines of ${file} ----`);
    console.error(text);
    console.error('brokers: ---- end of log ----');
  }
  if (!printed && files.length > 0) console.error(`brokers: (no log output in ${files.join(', ')})`);
}

export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// ------------------------------------------------------------------------------------------ processes

function readPid(file) {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** True when `pid` is a live (not zombie) process whose command line contains `marker`. */
function isAlive(pid, marker) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/s.test(stat)) return false;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmdline.includes(marker);
  } catch {
    return !existsSync('/proc/self'); // no procfs: trust the signal check
  }
}

/** The pid recorded in `file` if that process is still ours; removes a stale file. */
export function ownedPid(file, marker) {
  const pid = readPid(file);
  if (pid !== null && isAlive(pid, marker)) return pid;
  if (existsSync(file)) rmSync(file, { force: true });
  return null;
}

export async function waitForExit(pid, marker, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid, marker)) return true;
    await sleep(250);
  }
  return !isAlive(pid, marker);
}

export async function terminate(name, pid, marker, graceMs) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitForExit(pid, marker, graceMs)) return;
  say(`${name} (pid ${pid}) did not exit within ${seconds(graceMs)} of SIGTERM; sending SIGKILL`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitForExit(pid, marker, 10_000);
}

/** Runs a command to completion, capturing its output. Resolves with { code, output }. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), output: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}

export async function commandExists(command) {
  try {
    const { code } = await run('sh', ['-c', `command -v "$0"`, command]);
    return code === 0;
  } catch {
    return false;
  }
}

export async function requireJava(name) {
  if (await commandExists(JAVA)) return;
  throw new BrokerError(
    `${name}: '${JAVA}' not found; ${name} runs on Java 17 or newer (install a JDK/JRE or set JAVA_HOME)`,
  );
}

/** Spawns a long-running process detached from this one, stdout+stderr written to `outFile` (truncated
 * first, so the file holds this run only). */
export function launchDetached(command, args, { outFile, pidFile, env }) {
  const fd = openSync(outFile, 'w');
  let child;
  try {
    child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd], env });
  } finally {
    closeSync(fd);
  }
  const state = { exited: null, error: null };
  child.on('exit', (code, signal) => {
    state.exited = { code, signal };
  });
  child.on('error', (err) => {
    state.error = err;
  });
  if (child.pid !== undefined) writeFileSync(pidFile, `${child.pid}\n`);
  child.unref();
  return { pid: child.pid, state };
}

// ---------------------------------------------------------------------------------------------- probes

/** Opens a TCP connection to HOST:port and optionally writes `hello`. With `expectBytes` 0 it resolves
 * with an empty buffer once connected; otherwise with the bytes received as soon as there are
 * `expectBytes` of them (or `expectBytes(received)` is true). Null on any failure or timeout. */
export function probeTcp(port, { hello, expectBytes = 0, timeoutMs = 1000 } = {}) {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const chunks = [];
    let settled = false;
    const done = (value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
    socket.on('connect', () => {
      if (expectBytes === 0) return done(Buffer.alloc(0));
      if (hello) socket.write(hello);
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const received = Buffer.concat(chunks);
      if (typeof expectBytes === 'function' ? expectBytes(received) : received.length >= expectBytes) {
        done(received);
      }
    });
  });
}

export const isListening = async (port) => (await probeTcp(port)) !== null;

export function httpStatus(port, path, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = httpRequest({ host: HOST, port, path, method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

// ------------------------------------------------------------------------------------ maven downloads

let mavenQueue = Promise.resolve();

/** Serialises mvn runs (two at once on one ~/.m2 can trip over each other). */
function withMaven(task) {
  const next = mavenQueue.then(task, task);
  mavenQueue = next.catch(() => {});
  return next;
}

function fileHash(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function pomProperty(pom, name) {
  const match = new RegExp(`<${name.replace(/\./g, '\\.')}>([^<]+)</`).exec(readFileSync(pom, 'utf8'));
  return match ? match[1].trim() : 'unknown';
}

/** Copies a pom's dependencies into `dir` unless `dir/.complete` says it already holds this pom's set. */
export async function ensureArtifacts(name, pom, dir, extraArgs) {
  const marker = join(dir, '.complete');
  const wanted = fileHash(pom);
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === wanted) return false;
  await withMaven(async () => {
    if (!(await commandExists('mvn'))) {
      throw new BrokerError(
        `${name}: 'mvn' (Apache Maven) is not on PATH; it is needed once to fetch the ${name} jars from ` +
          'Maven Central. Install Maven, or start the broker yourself (docker compose up).',
      );
    }
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const started = Date.now();
    const args = ['-q', '-B', '-Dstyle.color=never', '-f', pom, ...extraArgs, `-DoutputDirectory=${dir}`];
    const { code, output } = await run('mvn', args);
    if (code !== 0) {
      console.error(`brokers: ---- mvn ${args.join(' ')} (exit ${code}) ----`);
      console.error(output.trim());
      console.error('brokers: ---- end of mvn output ----');
      throw new BrokerError(`${name}: downloading the jars with mvn failed (exit ${code}); see above`);
    }
    writeFileSync(marker, `${wanted}\n`);
    say(`${name} jars downloaded in ${seconds(Date.now() - started)}`);
  });
  return true;
}
