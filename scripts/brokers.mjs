// Starts, stops and reports the real brokers the tests and the demo talk to, on a machine without Docker.
//
//   node scripts/brokers.mjs start  [kafka|rabbitmq|redis|zipkin|prometheus ...]   (default: all five)
//   node scripts/brokers.mjs stop   [names ...]
//   node scripts/brokers.mjs status [names ...]
//
// `start` starts on 127.0.0.1 whatever is not already listening and waits until each one really serves
// (Kafka: a Metadata request lists the broker; Zipkin: /health is 200; RabbitMQ: the AMQP handshake
// begins; Redis: PING answers PONG; Prometheus: /-/ready is 200). A broker that does not come up within
// its bound fails the command, with the tail of its log; nothing is skipped, except Prometheus when its
// binary is not installed (said so; the demo's end-to-end test then fails). What this script starts is
// recorded under .cache/brokers/, and `stop` stops only that: a broker that was already running is left
// alone.
//
// One module per broker in scripts/brokers/, over scripts/brokers/shared.mjs (paths, output, processes,
// probes, mvn downloads) and scripts/brokers/lifecycle.mjs (start, stop, status). Kafka and Zipkin are
// Java programs whose jars come from Maven Central through `mvn` and are cached under .cache/.
// Plain Node ESM, Node built-ins only.
import { kafka } from './brokers/kafka.mjs';
import { start, status, stop } from './brokers/lifecycle.mjs';
import { prometheus } from './brokers/prometheus.mjs';
import { rabbitmq } from './brokers/rabbitmq.mjs';
import { redis } from './brokers/redis.mjs';
import { fail } from './brokers/shared.mjs';
import { zipkin } from './brokers/zipkin.mjs';

const BROKERS = { kafka, rabbitmq, redis, zipkin, prometheus };
const COMMANDS = { start, stop, status };

const USAGE =
  'usage: node scripts/brokers.mjs start|stop|status [kafka|rabbitmq|redis|zipkin|prometheus ...]';

const [command, ...rest] = process.argv.slice(2);
const names = rest.length > 0 ? rest : Object.keys(BROKERS);
const unknown = names.filter((n) => !Object.hasOwn(BROKERS, n));
if (unknown.length > 0 || !Object.hasOwn(COMMANDS, command ?? '')) {
  if (unknown.length > 0) fail(`unknown broker(s): ${unknown.join(', ')}`);
  console.error(USAGE);
  process.exit(2);
}

try {
  await COMMANDS[command](BROKERS, names);
} catch (err) {
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
}
