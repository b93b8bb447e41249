// `npm run demo`: starts the brokers the demo needs (whatever is not already listening), then runs it.
// The five-service demo (gRPC -> Kafka -> RabbitMQ -> Redis job, printed as one waterfall) arrives with
// the transport adapters; until then this starts the brokers and says so, rather than pretending.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const brokers = fileURLToPath(new URL('./brokers.mjs', import.meta.url));
const started = spawnSync(process.execPath, [brokers, 'start'], { stdio: 'inherit' });
if (started.status !== 0) {
  console.error('demo: the brokers did not start; see the errors above');
  process.exit(started.status ?? 1);
}
console.log(
  [
    '',
    'demo: Kafka, RabbitMQ, Redis and Zipkin are up.',
    'demo: the five-service order flow (one trace across gRPC, Kafka, RabbitMQ and a Redis job, printed as a',
    'demo: waterfall) arrives with the transport adapters in a later change. Stop the brokers this script',
    'demo: started with `npm run brokers:stop`.',
  ].join('\n'),
);
