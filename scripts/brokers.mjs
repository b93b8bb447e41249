// Starts, stops and reports the real brokers the tests and the demo talk to, on a machine without Docker.
//
//   node scripts/brokers.mjs start  [kafka|rabbitmq|redis|zipkin ...]   (default: all four)
//   node scripts/brokers.mjs stop   [names ...]
//   node scripts/brokers.mjs status [names ...]
//
// `start` starts on 127.0.0.1 whatever is not already listening and waits until each one really serves
// (Kafka: a Metadata request lists the broker; Zipkin: /health is 200; RabbitMQ: the AMQP handshake
// begins; Redis: PING answers PONG). A broker that does not come up within its bound fails the command,
// with the tail of its log; nothing is skipped. What this script starts is recorded under .cache/brokers/,
// and `stop` stops only that: a RabbitMQ or Redis that was already running is left alone.
//
// Kafka (KRaft, broker and controller in one JVM) and Zipkin are Java programs; their jars come from Maven
// Central through `mvn` with the poms in scripts/brokers/ and are cached under .cache/.
// Plain Node ESM, Node built-ins only.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HERE = join(ROOT, 'scripts', 'brokers');
const CACHE = join(ROOT, '.cache');
const STATE = join(CACHE, 'brokers');
const HOST = '127.0.0.1';
const JAVA = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
const LOG_TAIL_LINES = 40;

const KAFKA_DIR = join(CACHE, 'kafka');
const KAFKA_LIBS = join(KAFKA_DIR, 'libs');
const KAFKA_LOGS = join(KAFKA_DIR, 'logs');
const KAFKA_DATA = join(KAFKA_DIR, 'data');
const KAFKA_POM = join(HERE, 'kafka-pom.xml');
const ZIPKIN_DIR = join(CACHE, 'zipkin');
const ZIPKIN_POM = join(HERE, 'zipkin-pom.xml');

// ---------------------------------------------------------------------------------------------- output

function say(line) {
  console.log(`brokers: ${line}`);
}

function fail(line) {
  console.error(`brokers: ERROR ${line}`);
}

class BrokerError extends Error {
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

function printLogTails(files) {
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

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

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
function ownedPid(file, marker) {
  const pid = readPid(file);
  if (pid !== null && isAlive(pid, marker)) return pid;
  if (existsSync(file)) rmSync(file, { force: true });
  return null;
}

async function waitForExit(pid, marker, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid, marker)) return true;
    await sleep(250);
  }
  return !isAlive(pid, marker);
}

async function terminate(name, pid, marker, graceMs) {
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
function run(command, args, options = {}) {
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

async function commandExists(command) {
  try {
    const { code } = await run('sh', ['-c', `command -v "$0"`, command]);
    return code === 0;
  } catch {
    return false;
  }
}

async function requireJava(name) {
  if (await commandExists(JAVA)) return;
  throw new BrokerError(
    `${name}: '${JAVA}' not found; ${name} runs on Java 17 or newer (install a JDK/JRE or set JAVA_HOME)`,
  );
}

/** Spawns a long-running process detached from this one, stdout+stderr written to `outFile` (truncated
 * first, so the file holds this run only). */
function launchDetached(command, args, { outFile, pidFile, env }) {
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
function probeTcp(port, { hello, expectBytes = 0, timeoutMs = 1000 } = {}) {
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

const isListening = async (port) => (await probeTcp(port)) !== null;

/** Kafka Metadata v4 request (supported from Kafka 1.0 through 4.x) for no topics; resolves with the
 * number of brokers and the controller id, or null. */
async function kafkaMetadata(port) {
  const clientId = Buffer.from('tracebridge-brokers');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = 0;
  o = body.writeInt16BE(3, o); // api key: Metadata
  o = body.writeInt16BE(4, o); // api version
  o = body.writeInt32BE(7, o); // correlation id
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  o = body.writeInt32BE(0, o); // topics: empty array (brokers only)
  body.writeInt8(0, o); // allow_auto_topic_creation: false
  const frame = Buffer.concat([Buffer.alloc(4), body]);
  frame.writeInt32BE(body.length, 0);
  const complete = (buf) => buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0);
  const reply = await probeTcp(port, { hello: frame, expectBytes: complete, timeoutMs: 3000 });
  if (reply === null || !complete(reply)) return null;
  try {
    let p = 4;
    if (reply.readInt32BE(p) !== 7) return null;
    p += 4 + 4; // correlation id, throttle time
    const brokers = reply.readInt32BE(p);
    p += 4;
    for (let i = 0; i < brokers; i++) {
      p += 4; // node id
      p += 2 + reply.readInt16BE(p); // host
      p += 4; // port
      const rack = reply.readInt16BE(p);
      p += 2 + Math.max(rack, 0);
    }
    const clusterId = reply.readInt16BE(p);
    p += 2 + Math.max(clusterId, 0);
    const controllerId = reply.readInt32BE(p);
    return { brokers, controllerId };
  } catch {
    return null;
  }
}

function httpStatus(port, path, timeoutMs = 2000) {
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

function pomProperty(pom, name) {
  const match = new RegExp(`<${name.replace(/\./g, '\\.')}>([^<]+)</`).exec(readFileSync(pom, 'utf8'));
  return match ? match[1].trim() : 'unknown';
}

/** Copies a pom's dependencies into `dir` unless `dir/.complete` says it already holds this pom's set. */
async function ensureArtifacts(name, pom, dir, extraArgs) {
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

// ----------------------------------------------------------------------------------------------- kafka

function kafkaServerProperties() {
  return [
    '# Written by scripts/brokers.mjs on every start; edit the script, not this file.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:9093`,
    `listeners=PLAINTEXT://${HOST}:9092,CONTROLLER://${HOST}:9093`,
    `advertised.listeners=PLAINTEXT://${HOST}:9092`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${KAFKA_DATA}`,
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=2',
    'num.io.threads=4',
    'num.recovery.threads.per.data.dir=1',
    'log.segment.bytes=16777216',
    'log.retention.hours=2',
    'log.retention.bytes=67108864',
    'log.retention.check.interval.ms=60000',
    '',
  ].join('\n');
}

function kafkaJvmArgs() {
  return [
    '-Xms256m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${KAFKA_LOGS}`,
    `-Dlog4j.configuration=file:${join(HERE, 'kafka-log4j.properties')}`,
    '-cp',
    `${KAFKA_LIBS}/*`,
  ];
}

const kafka = {
  name: 'kafka',
  port: 9092,
  boundMs: 120_000,
  pidFile: join(STATE, 'kafka.pid'),
  marker: 'kafka.Kafka',
  logs: [join(KAFKA_LOGS, 'server.log'), join(KAFKA_LOGS, 'kafka.out')],
  hint: 'delete .cache/kafka/data to start from an empty broker if the stored state is broken',

  startingMessage: () =>
    existsSync(join(KAFKA_LIBS, '.complete'))
      ? `kafka ${pomProperty(KAFKA_POM, 'kafka.version')} starting (KRaft, broker+controller)...`
      : `kafka ${pomProperty(KAFKA_POM, 'kafka.version')} starting (first run downloads jars via mvn)...`,

  async launch() {
    await requireJava('kafka');
    await ensureArtifacts('kafka', KAFKA_POM, KAFKA_LIBS, [
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
    ]);
    mkdirSync(KAFKA_LOGS, { recursive: true });
    mkdirSync(KAFKA_DATA, { recursive: true });
    const config = join(KAFKA_DIR, 'server.properties');
    writeFileSync(config, kafkaServerProperties());

    if (!existsSync(join(KAFKA_DATA, 'meta.properties'))) {
      const idFile = join(KAFKA_DIR, 'cluster-id');
      if (!existsSync(idFile)) writeFileSync(idFile, `${randomBytes(16).toString('base64url')}\n`);
      const clusterId = readFileSync(idFile, 'utf8').trim();
      const { code, output } = await run(JAVA, [
        ...kafkaJvmArgs(),
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        config,
      ]);
      if (code !== 0) {
        console.error(output.trim());
        throw new BrokerError(
          `kafka: formatting the storage in ${KAFKA_DATA} failed (exit ${code})`,
          this.logs,
        );
      }
      say(`kafka storage formatted (cluster id ${clusterId})`);
    }

    if (await isListening(9093)) {
      throw new BrokerError(
        `kafka: ${HOST}:9093 (the KRaft controller listener) is already in use by another process`,
      );
    }
    const serverLog = this.logs[0];
    const logOffset = existsSync(serverLog) ? statSync(serverLog).size : 0;
    const proc = launchDetached(JAVA, [...kafkaJvmArgs(), 'kafka.Kafka', config], {
      outFile: this.logs[1],
      pidFile: this.pidFile,
      env: process.env,
    });
    return { ...proc, logOffset };
  },

  /** Ready when a Metadata request lists the broker and, for a process we launched, the log says the
   * server finished starting (KRaft brokers accept connections before they are unfenced). */
  async ready(launched) {
    const meta = await kafkaMetadata(this.port);
    if (meta === null || meta.brokers < 1 || meta.controllerId < 0) return false;
    if (launched === undefined) return true;
    return readFrom(this.logs[0], launched.logOffset).includes('Kafka Server started');
  },
};

function readFrom(file, offset) {
  try {
    const buf = readFileSync(file);
    // the log may have rolled over since `offset` was taken
    return buf.subarray(buf.length >= offset ? offset : 0).toString('utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------- zipkin

function zipkinJar() {
  try {
    const jar = readdirSync(ZIPKIN_DIR).find((f) => /^zipkin-server-.*-exec\.jar$/.test(f));
    return jar ? join(ZIPKIN_DIR, jar) : null;
  } catch {
    return null;
  }
}

const zipkin = {
  name: 'zipkin',
  port: 9411,
  boundMs: 90_000,
  pidFile: join(STATE, 'zipkin.pid'),
  marker: 'zipkin-server',
  logs: [join(ZIPKIN_DIR, 'zipkin.log')],

  startingMessage: () =>
    existsSync(join(ZIPKIN_DIR, '.complete'))
      ? `zipkin ${pomProperty(ZIPKIN_POM, 'zipkin.version')} starting (in-memory storage)...`
      : `zipkin ${pomProperty(ZIPKIN_POM, 'zipkin.version')} starting (first run downloads the jar via mvn)...`,

  async launch() {
    await requireJava('zipkin');
    await ensureArtifacts('zipkin', ZIPKIN_POM, ZIPKIN_DIR, [
      'dependency:copy-dependencies',
      '-DexcludeTransitive=true',
    ]);
    const jar = zipkinJar();
    if (jar === null) throw new BrokerError(`zipkin: no zipkin-server-*-exec.jar in ${ZIPKIN_DIR}`);
    return launchDetached(
      JAVA,
      [
        '-Xms64m',
        '-Xmx256m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        '-jar',
        jar,
        // Overriding one element of Armeria's port list replaces the whole list, so all three are given.
        `--armeria.ports[0].ip=${HOST}`,
        `--armeria.ports[0].port=${this.port}`,
        '--armeria.ports[0].protocols[0]=http',
        '--spring.main.banner-mode=off',
      ],
      {
        outFile: this.logs[0],
        pidFile: this.pidFile,
        env: { ...process.env, STORAGE_TYPE: 'mem', MEM_MAX_SPANS: '200000', SELF_TRACING_ENABLED: 'false' },
      },
    );
  },

  ready: async () => (await httpStatus(9411, '/health')) === 200,
};

// ----------------------------------------------------------------------------------------------- redis

function writableDir(dir) {
  try {
    const probe = join(dir, `.tracebridge-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

const redis = {
  name: 'redis',
  port: 6379,
  boundMs: 20_000,
  pidFile: join(STATE, 'redis.pid'),
  marker: 'redis-server',
  logs: [],

  startingMessage: () => 'redis starting (system redis-server)...',

  async launch() {
    if (!(await commandExists('redis-server'))) {
      throw new BrokerError('redis: redis-server is not installed (apt-get install redis-server)');
    }
    // The system locations when we may write there (root on CI), else our own cache.
    let dir = '/var/lib/redis';
    let logFile = '/var/log/redis/ci.log';
    if (!writableDir(dir) || !writableDir('/var/log/redis')) {
      dir = join(CACHE, 'redis');
      logFile = join(dir, 'redis.log');
      mkdirSync(dir, { recursive: true });
    }
    this.logs = [logFile];
    // redis-server forks and writes the pid file itself (with --daemonize yes).
    const { code, output } = await run('redis-server', [
      '--daemonize',
      'yes',
      '--bind',
      HOST,
      '-::1',
      '--port',
      String(this.port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--logfile',
      logFile,
      '--pidfile',
      this.pidFile,
    ]);
    if (code !== 0) {
      console.error(output.trim());
      throw new BrokerError(`redis: redis-server exited with code ${code}`, this.logs);
    }
    return {};
  },

  async ready() {
    const reply = await probeTcp(this.port, {
      hello: 'PING\r\n',
      expectBytes: (b) => b.includes('\r\n'),
    });
    return reply !== null && reply.toString('latin1').startsWith('+PONG');
  },

  async stop(pid) {
    await terminate('redis', pid, this.marker, 15_000);
    rmSync(this.pidFile, { force: true });
  },
};

// -------------------------------------------------------------------------------------------- rabbitmq

function rabbitLogs() {
  try {
    return readdirSync('/var/log/rabbitmq')
      .filter((f) => f.endsWith('.log') && !f.includes('upgrade'))
      .map((f) => join('/var/log/rabbitmq', f));
  } catch {
    return [];
  }
}

const rabbitmq = {
  name: 'rabbitmq',
  port: 5672,
  boundMs: 90_000,
  // rabbitmq-server daemonises itself (and may switch to the rabbitmq user), so the pid of the Erlang VM
  // is asked for once it is up and recorded here.
  pidFile: join(STATE, 'rabbitmq.pid'),
  marker: 'beam',
  get logs() {
    return [join(STATE, 'rabbitmq-server.out'), ...rabbitLogs()];
  },

  startingMessage: () => 'rabbitmq starting (system rabbitmq-server, can take 30 s or more)...',

  async launch() {
    if (!(await commandExists('rabbitmq-server'))) {
      throw new BrokerError('rabbitmq: rabbitmq-server is not installed (apt-get install rabbitmq-server)');
    }
    const { code, output } = await run('rabbitmq-server', ['-detached']);
    writeFileSync(this.logs[0], output);
    if (code !== 0)
      throw new BrokerError(`rabbitmq: rabbitmq-server -detached exited with code ${code}`, this.logs);
    // Until the real pid is known, record "started by us" with a placeholder the stop path understands.
    writeFileSync(join(STATE, 'rabbitmq.started'), `${new Date().toISOString()}\n`);
    return {};
  },

  async afterReady() {
    const { code, output } = await run('rabbitmqctl', ['eval', 'os:getpid().']);
    const pid = code === 0 ? /"(\d+)"/.exec(output)?.[1] : undefined;
    if (pid !== undefined) writeFileSync(this.pidFile, `${pid}\n`);
  },

  // AMQP 0-9-1 protocol header; a live broker answers with a Connection.Start method frame (type 1).
  async ready() {
    const reply = await probeTcp(this.port, {
      hello: Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'),
      expectBytes: 7,
    });
    return reply !== null && reply[0] === 1;
  },

  owned() {
    const started = join(STATE, 'rabbitmq.started');
    if (existsSync(this.pidFile)) {
      const pid = ownedPid(this.pidFile, this.marker);
      if (pid === null) rmSync(started, { force: true }); // it has stopped since
      return pid;
    }
    // started by us, but its pid could not be learned (0 = pid unknown)
    return existsSync(started) ? 0 : null;
  },

  async stop(pid) {
    const { code, output } = await run('rabbitmqctl', ['stop']);
    if (code !== 0) {
      console.error(output.trim());
      if (pid > 0) await terminate('rabbitmq', pid, this.marker, 30_000);
    } else if (pid > 0) {
      await waitForExit(pid, this.marker, 60_000);
    }
    rmSync(this.pidFile, { force: true });
    rmSync(join(STATE, 'rabbitmq.started'), { force: true });
  },
};

// ------------------------------------------------------------------------------------------ lifecycle

const BROKERS = { kafka, rabbitmq, redis, zipkin };

function owned(broker) {
  if (broker.owned) return broker.owned();
  return ownedPid(broker.pidFile, broker.marker);
}

async function stopOwned(broker, pid) {
  if (broker.stop) return broker.stop(pid);
  await terminate(broker.name, pid, broker.marker, broker.name === 'kafka' ? 60_000 : 20_000);
  rmSync(broker.pidFile, { force: true });
}

async function startOne(broker) {
  const where = `${HOST}:${broker.port}`;
  const began = Date.now();
  const ours = owned(broker);
  let launched;

  if (await isListening(broker.port)) {
    say(
      `${broker.name} already listening on ${where} ` +
        (ours !== null
          ? `(started by this script${ours > 0 ? `, pid ${ours}` : ''})`
          : '(not started by this script)'),
    );
  } else if (ours !== null && ours > 0) {
    say(`${broker.name} already starting (pid ${ours}); waiting for it...`);
  } else {
    say(broker.startingMessage());
    launched = await broker.launch();
  }

  const boundStart = Date.now();
  const deadline = boundStart + broker.boundMs;
  for (;;) {
    if (launched?.state?.error) {
      throw new BrokerError(
        `${broker.name}: could not run ${JAVA}: ${launched.state.error.message}`,
        broker.logs,
      );
    }
    if (launched?.state?.exited) {
      const { code, signal } = launched.state.exited;
      rmSync(broker.pidFile, { force: true });
      throw new BrokerError(
        `${broker.name} exited before it was ready (${signal ? `signal ${signal}` : `exit code ${code}`})`,
        broker.logs,
      );
    }
    if (await broker.ready(launched)) break;
    if (Date.now() >= deadline) {
      const error =
        launched === undefined && ours === null
          ? new BrokerError(
              `something is listening on ${where} but it did not answer as ${broker.name} within ` +
                `${seconds(broker.boundMs)}; it was not started by this script, so check what owns the port`,
            )
          : new BrokerError(
              `${broker.name} did not become ready on ${where} within ${seconds(broker.boundMs)}` +
                (broker.hint ? ` (${broker.hint})` : ''),
              broker.logs,
            );
      error.cleanup = launched !== undefined;
      throw error;
    }
    await sleep(500);
  }
  if (launched !== undefined && broker.afterReady) await broker.afterReady();
  if (launched !== undefined) say(`${broker.name} ready on ${where} (${seconds(Date.now() - began)})`);
  else if (Date.now() - boundStart > 1000)
    say(`${broker.name} ready on ${where} (waited ${seconds(Date.now() - boundStart)})`);
}

async function start(names) {
  mkdirSync(STATE, { recursive: true });
  const results = await Promise.allSettled(names.map((n) => startOne(BROKERS[n])));
  const failed = [];
  for (const [i, result] of results.entries()) {
    if (result.status === 'fulfilled') continue;
    const broker = BROKERS[names[i]];
    failed.push(broker.name);
    const err = result.reason;
    fail(err instanceof Error ? err.message : String(err));
    if (!(err instanceof BrokerError)) console.error(err);
    if (err instanceof BrokerError) printLogTails(err.logs);
    if (err?.cleanup) {
      const pid = owned(broker);
      if (pid !== null) {
        say(`${broker.name}: stopping what this script started${pid > 0 ? ` (pid ${pid})` : ''}`);
        await stopOwned(broker, pid);
      }
    }
  }
  if (failed.length > 0) {
    fail(`could not start: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

async function stop(names) {
  await Promise.all(
    names.map(async (name) => {
      const broker = BROKERS[name];
      const pid = owned(broker);
      const listening = await isListening(broker.port);
      if (pid === null) {
        say(
          listening
            ? `${name} left running on ${HOST}:${broker.port} (not started by this script)`
            : `${name} not running`,
        );
        return;
      }
      const began = Date.now();
      say(`${name} stopping${pid > 0 ? ` (pid ${pid})` : ''}...`);
      await stopOwned(broker, pid);
      const deadline = Date.now() + 15_000;
      while ((await isListening(broker.port)) && Date.now() < deadline) await sleep(250);
      if (await isListening(broker.port)) {
        fail(`${name} still listening on ${HOST}:${broker.port} after stop`);
        process.exitCode = 1;
      } else {
        say(`${name} stopped (${seconds(Date.now() - began)})`);
      }
    }),
  );
}

async function status(names) {
  for (const name of names) {
    const broker = BROKERS[name];
    const pid = owned(broker);
    const listening = await isListening(broker.port);
    const by =
      pid !== null ? `started by this script${pid > 0 ? ` (pid ${pid})` : ''}` : 'not started by this script';
    say(
      `${name.padEnd(8)} ${listening ? `listening on ${HOST}:${broker.port}` : `not listening on ${HOST}:${broker.port}`}, ${by}`,
    );
  }
}

// ------------------------------------------------------------------------------------------------ main

const USAGE = 'usage: node scripts/brokers.mjs start|stop|status [kafka|rabbitmq|redis|zipkin ...]';

const [command, ...rest] = process.argv.slice(2);
const names = rest.length > 0 ? rest : Object.keys(BROKERS);
const unknown = names.filter((n) => !Object.hasOwn(BROKERS, n));
if (unknown.length > 0 || !['start', 'stop', 'status'].includes(command ?? '')) {
  if (unknown.length > 0) fail(`unknown broker(s): ${unknown.join(', ')}`);
  console.error(USAGE);
  process.exit(2);
}

try {
  if (command === 'start') await start(names);
  else if (command === 'stop') await stop(names);
  else await status(names);
} catch (err) {
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
}
