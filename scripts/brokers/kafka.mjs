// Kafka: KRaft, broker and controller in one JVM, on 127.0.0.1:9092 (controller 9093). Its jars come from
// Maven Central through `mvn` with kafka-pom.xml and are cached under .cache/kafka/.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BrokerError,
  CACHE,
  HERE,
  HOST,
  JAVA,
  STATE,
  ensureArtifacts,
  isListening,
  launchDetached,
  pomProperty,
  probeTcp,
  requireJava,
  run,
  say,
} from './shared.mjs';

const KAFKA_DIR = join(CACHE, 'kafka');
const KAFKA_LIBS = join(KAFKA_DIR, 'libs');
const KAFKA_LOGS = join(KAFKA_DIR, 'logs');
const KAFKA_DATA = join(KAFKA_DIR, 'data');
const KAFKA_POM = join(HERE, 'kafka-pom.xml');

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

export const kafka = {
  name: 'kafka',
  port: 9092,
  boundMs: 120_000,
  stopGraceMs: 60_000,
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
      if (!existsSync(idFile)) writeFileSync(idFile, `${newClusterId()}\n`);
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

/**
 * A KRaft cluster id: 16 random bytes in base64url, as Kafka's own `Uuid`. One in 64 of those starts with
 * '-', which the storage tool's argument parser takes for an option ("--cluster-id: expected one
 * argument"); Kafka's `Uuid.randomUuid()` draws again in that case, and so does this.
 */
function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
