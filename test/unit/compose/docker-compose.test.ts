/**
 * docker-compose.yml and the collector configuration it mounts, read with a YAML parser (there is no
 * Docker engine where the tests run, so this is what can be checked without one): every port published
 * on 127.0.0.1 only, the brokers on the ports and at the versions scripts/brokers.mjs starts without
 * Docker, every image pinned, Kafka advertised where the scripts advertise it, a health check wherever
 * the image can run one, and the collector writing the file `tracebridge view` reads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..', '..');

interface ComposeService {
  image: string;
  ports?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  volumes?: { type: string; source: string; target: string }[];
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const service = (name: string): ComposeService => {
  const found = services[name];
  assert.ok(found, `docker-compose.yml has a ${name} service`);
  return found;
};
const pomVersion = (pom: string, property: string): string => {
  const match = new RegExp(`<${property}>([^<]+)</${property}>`).exec(
    readFileSync(join(ROOT, 'scripts', 'brokers', pom), 'utf8'),
  );
  assert.ok(match, `${pom} sets ${property}`);
  return match[1]!;
};
/** The broker definitions scripts/brokers.mjs starts (ES modules, loaded as such). */
async function brokerPort(name: string): Promise<number> {
  const path = join(ROOT, 'scripts', 'brokers', `${name}.mjs`);
  const module = (await import(path)) as Record<string, { port: number }>;
  const broker = module[name];
  assert.ok(broker, `scripts/brokers/${name}.mjs exports ${name}`);
  return broker.port;
}

describe('docker-compose.yml', () => {
  it('publishes every port on 127.0.0.1 only', () => {
    for (const [name, { ports = [] }] of Object.entries(services)) {
      for (const port of ports) assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${port}`);
    }
  });

  it('pins every image to a full version', () => {
    for (const [name, { image }] of Object.entries(services)) {
      assert.match(image, /:\d+\.\d+\.\d+(-[a-z]+)?$/, `${name}'s image ${image}`);
    }
  });

  it("runs the brokers on the scripts' ports, at the scripts' versions", async () => {
    for (const name of ['kafka', 'rabbitmq', 'redis', 'zipkin']) {
      const port = await brokerPort(name);
      assert.ok(service(name).ports?.includes(`127.0.0.1:${port}:${port}`), `${name} on ${port}`);
    }
    assert.equal(service('kafka').image, `apache/kafka:${pomVersion('kafka-pom.xml', 'kafka.version')}`);
    assert.equal(
      service('zipkin').image,
      `openzipkin/zipkin:${pomVersion('zipkin-pom.xml', 'zipkin.version')}`,
    );
    // The RabbitMQ and Redis servers the scripts start are the system's (Debian's rabbitmq-server 3.10.8,
    // redis-server 7.0.15), as the README's compatibility table says.
    assert.equal(service('rabbitmq').image, 'rabbitmq:3.10.8-management');
    assert.equal(service('redis').image, 'redis:7.0.15-alpine');
  });

  it('advertises Kafka at 127.0.0.1:9092, as scripts/brokers/kafka.mjs does', () => {
    const kafka = service('kafka');
    assert.equal(kafka.environment?.['KAFKA_ADVERTISED_LISTENERS'], 'PLAINTEXT://127.0.0.1:9092');
    const script = readFileSync(join(ROOT, 'scripts', 'brokers', 'kafka.mjs'), 'utf8');
    assert.match(script, /advertised\.listeners=PLAINTEXT:\/\/\$\{HOST\}:9092/);
    assert.match(
      readFileSync(join(ROOT, 'scripts', 'brokers', 'shared.mjs'), 'utf8'),
      /HOST = '127\.0\.0\.1'/,
    );
  });

  it('has a health check for every service whose image can run one; the collector waits for Jaeger', () => {
    for (const name of ['kafka', 'rabbitmq', 'redis', 'jaeger']) {
      assert.ok(service(name).healthcheck?.test.length, `${name} has a health check`);
    }
    assert.deepEqual(service('otel-collector').depends_on, { jaeger: { condition: 'service_healthy' } });
  });

  it('runs a collector whose OTLP receivers are published and whose file exporter writes .cache/otel-collector/', () => {
    const collector = service('otel-collector');
    assert.match(collector.image, /^otel\/opentelemetry-collector-contrib:/);
    assert.deepEqual(collector.ports, ['127.0.0.1:4317:4317', '127.0.0.1:4318:4318']);
    const mount = (source: string) => collector.volumes?.find((v) => v.source === source);
    const config = mount('./scripts/otel-collector.yaml');
    const output = mount('./.cache/otel-collector');
    assert.ok(config && output, 'the configuration and the output directory are mounted');
    assert.deepEqual(collector.command, [`--config=${config.target}`]);

    const otel = parse(readFileSync(join(ROOT, 'scripts', 'otel-collector.yaml'), 'utf8')) as {
      receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
      exporters: Record<string, { path?: string; format?: string; endpoint?: string }>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    assert.equal(otel.receivers.otlp.protocols.grpc.endpoint, '0.0.0.0:4317');
    assert.equal(otel.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318');
    assert.equal(otel.exporters['file']?.path, `${output.target}/traces.jsonl`);
    assert.equal(otel.exporters['file']?.format, 'json', 'OTLP/JSON lines, which tracebridge view reads');
    assert.equal(otel.exporters['otlp/jaeger']?.endpoint, 'jaeger:4317');
    assert.deepEqual(otel.service.pipelines.traces.receivers, ['otlp']);
    assert.deepEqual([...otel.service.pipelines.traces.exporters].sort(), ['file', 'otlp/jaeger']);
  });
});
