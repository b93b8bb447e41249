// semconvStability: with 'duplicate', the messaging core writes the older attribute names next to the current
// ones, per transport, on the spans only (never on metrics); with 'stable' (the default) spans carry the
// current names only and the adapters' describe callbacks get the span itself. The older names are checked
// against the packages that define or emit them.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import * as semconv from '@opentelemetry/semantic-conventions/incubating';
import * as amqplibObsolete from '@opentelemetry/instrumentation-amqplib/build/src/semconv-obsolete';
import * as amqplibSemconv from '@opentelemetry/instrumentation-amqplib/build/src/semconv';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { SemconvStability } from '../../../src/core/semconv-stability';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { setInstrumentationDefaults } from '../../../src/core/instrumentation-defaults';
import {
  ATTR_LEGACY_MESSAGING_CONVERSATION_ID,
  ATTR_LEGACY_MESSAGING_DESTINATION,
  ATTR_LEGACY_MESSAGING_DESTINATION_KIND,
  ATTR_LEGACY_MESSAGING_KAFKA_CONSUMER_GROUP,
  ATTR_LEGACY_MESSAGING_KAFKA_DESTINATION_PARTITION,
  ATTR_LEGACY_MESSAGING_KAFKA_MESSAGE_OFFSET,
  ATTR_LEGACY_MESSAGING_MESSAGE_ID,
  ATTR_LEGACY_MESSAGING_OPERATION,
  ATTR_LEGACY_MESSAGING_RABBITMQ_ROUTING_KEY,
  LEGACY_DESTINATION_KIND_TOPIC,
  LEGACY_OPERATION,
} from '../../../src/core/legacy-attributes';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import { traceChannel } from '../../../src/amqp/index';
import { traceConsumer, traceProducer } from '../../../src/kafka/index';
import { streamProducer } from '../../../src/redis/index';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import { setupMetrics, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
beforeEach(() => {
  tracing = setupTracing('w3c');
});
afterEach(() => tracing.shutdown());

function telemetry(system: string, semconvStability?: SemconvStability): MessagingTelemetry<string, string> {
  return new MessagingTelemetry<string, string>({ system, semconvStability });
}

/** One send and one process span through `t`, each described with `attributes` by the "adapter". */
function sendAndProcess(
  t: MessagingTelemetry<string, string>,
  attributes: Record<string, string | number>,
): { send: Record<string, unknown>; process: Record<string, unknown> } {
  const describe = (span: Span) => {
    for (const [key, value] of Object.entries(attributes)) span.setAttribute(key, value);
  };
  t.startSend({ destination: 'orders', operationName: 'send', describe, info: 'm' }).end();
  t.process(
    { destination: 'orders', carrier: kafkaHeadersCarrier, headers: {}, describe, info: 'm' },
    () => undefined,
  );
  return {
    send: { ...tracing.span('send orders', SpanKind.PRODUCER).attributes },
    process: { ...tracing.span('process orders', SpanKind.CONSUMER).attributes },
  };
}

describe('the older names', () => {
  it('are the ones the installed semantic-conventions package and contrib amqplib define', () => {
    assert.equal(ATTR_LEGACY_MESSAGING_OPERATION, semconv.ATTR_MESSAGING_OPERATION);
    assert.equal(ATTR_LEGACY_MESSAGING_KAFKA_CONSUMER_GROUP, semconv.ATTR_MESSAGING_KAFKA_CONSUMER_GROUP);
    assert.equal(ATTR_LEGACY_MESSAGING_KAFKA_MESSAGE_OFFSET, semconv.ATTR_MESSAGING_KAFKA_MESSAGE_OFFSET);
    assert.equal(
      ATTR_LEGACY_MESSAGING_KAFKA_DESTINATION_PARTITION,
      semconv.ATTR_MESSAGING_KAFKA_DESTINATION_PARTITION,
    );
    assert.equal(ATTR_LEGACY_MESSAGING_OPERATION, amqplibSemconv.ATTR_MESSAGING_OPERATION);
    assert.equal(ATTR_LEGACY_MESSAGING_DESTINATION, amqplibObsolete.ATTR_MESSAGING_DESTINATION);
    assert.equal(ATTR_LEGACY_MESSAGING_DESTINATION_KIND, amqplibObsolete.ATTR_MESSAGING_DESTINATION_KIND);
    assert.equal(LEGACY_DESTINATION_KIND_TOPIC, amqplibObsolete.MESSAGING_DESTINATION_KIND_VALUE_TOPIC);
    assert.equal(
      ATTR_LEGACY_MESSAGING_RABBITMQ_ROUTING_KEY,
      amqplibObsolete.ATTR_MESSAGING_RABBITMQ_ROUTING_KEY,
    );
    assert.equal(ATTR_LEGACY_MESSAGING_MESSAGE_ID, amqplibObsolete.OLD_ATTR_MESSAGING_MESSAGE_ID);
    assert.equal(ATTR_LEGACY_MESSAGING_CONVERSATION_ID, amqplibObsolete.ATTR_MESSAGING_CONVERSATION_ID);
    // v1.24's operation values, which the package keeps as deprecated operation-type values.
    assert.equal(LEGACY_OPERATION.send, semconv.MESSAGING_OPERATION_TYPE_VALUE_PUBLISH);
    assert.equal(LEGACY_OPERATION.process, amqplibObsolete.MESSAGING_OPERATION_VALUE_PROCESS);
  });
});

describe("semconvStability: 'duplicate'", () => {
  it('Kafka: operation, consumer group, offset and partition (as an integer) under their older names too', () => {
    const { send, process } = sendAndProcess(telemetry('kafka', 'duplicate'), {
      'messaging.consumer.group.name': 'billing',
      'messaging.kafka.offset': 17,
      'messaging.destination.partition.id': '3',
      'messaging.kafka.message.key': 'order-1',
    });
    assert.deepEqual(process, {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.operation': 'process',
      'messaging.destination.name': 'orders',
      'messaging.consumer.group.name': 'billing',
      'messaging.kafka.consumer.group': 'billing',
      'messaging.kafka.offset': 17,
      'messaging.kafka.message.offset': 17,
      'messaging.destination.partition.id': '3',
      'messaging.kafka.destination.partition': 3,
      'messaging.kafka.message.key': 'order-1',
    });
    assert.equal(send['messaging.operation'], 'publish', "v1.24 called a send 'publish'");
    assert.equal(send['messaging.operation.type'], 'send');
  });

  it('RabbitMQ: routing key, message id and conversation id under contrib amqplib’s names too', () => {
    const { process } = sendAndProcess(telemetry('rabbitmq', 'duplicate'), {
      'messaging.rabbitmq.destination.routing_key': 'eu.orders',
      'messaging.message.id': 'm-1',
      'messaging.message.conversation_id': 'c-1',
      'messaging.rabbitmq.message.delivery_tag': 4,
    });
    assert.equal(process['messaging.operation'], 'process');
    assert.equal(process['messaging.rabbitmq.routing_key'], 'eu.orders');
    assert.equal(process['messaging.rabbitmq.destination.routing_key'], 'eu.orders');
    assert.equal(process['messaging.message_id'], 'm-1');
    assert.equal(process['messaging.message.id'], 'm-1');
    assert.equal(process['messaging.conversation_id'], 'c-1');
    assert.equal(
      process['messaging.rabbitmq.message.delivery_tag'],
      4,
      'a name without an older one is kept',
    );
    assert.equal(Object.keys(process).length, 12);
  });

  it('Redis: the operation and the client id; Kafka’s and RabbitMQ’s renames do not apply', () => {
    const { process } = sendAndProcess(telemetry('redis', 'duplicate'), {
      'messaging.consumer.group.name': 'workers',
      'messaging.client.id': 'worker-1',
      'messaging.message.id': '1-0',
    });
    assert.equal(process['messaging.operation'], 'process');
    assert.equal(process['messaging.client_id'], 'worker-1');
    assert.equal(process['messaging.kafka.consumer.group'], undefined);
    assert.equal(process['messaging.message_id'], undefined);
  });

  it('a partition id that is not an integer gets no older partition attribute', () => {
    const { process } = sendAndProcess(telemetry('kafka', 'duplicate'), {
      'messaging.destination.partition.id': 'p-x',
    });
    assert.equal(process['messaging.destination.partition.id'], 'p-x');
    assert.equal(ATTR_LEGACY_MESSAGING_KAFKA_DESTINATION_PARTITION in process, false);
  });

  it('metrics keep the current attribute names only', async () => {
    const meters = setupMetrics();
    try {
      sendAndProcess(telemetry('kafka', 'duplicate'), {});
      const collected = await meters.collect();
      const attributeSets = collected.flatMap((resource) =>
        resource.scopeMetrics.flatMap((scope) =>
          scope.metrics.flatMap((metric) => metric.dataPoints.map((point) => point.attributes)),
        ),
      );
      assert.ok(attributeSets.length > 0, 'the messaging metrics were recorded');
      for (const attributes of attributeSets) {
        assert.equal(ATTR_LEGACY_MESSAGING_OPERATION in attributes, false);
      }
    } finally {
      await meters.shutdown();
    }
  });
});

describe("semconvStability: 'stable' (the default)", () => {
  it('spans carry the current names only, and describe gets the span itself', () => {
    const t = telemetry('kafka');
    assert.equal(t.semconvStability, 'stable');
    let described: Span | undefined;
    t.startSend({
      destination: 'orders',
      operationName: 'send',
      describe: (span) => {
        described = span;
        span.setAttribute('messaging.kafka.offset', 1);
      },
      info: 'm',
    }).end();
    const send = tracing.span('send orders');
    assert.equal(described, send, 'no view of the span is made');
    assert.deepEqual(Object.keys(send.attributes).sort(), [
      'messaging.destination.name',
      'messaging.kafka.offset',
      'messaging.operation.name',
      'messaging.operation.type',
      'messaging.system',
    ]);
  });

  it('an instrumentation’s default applies to telemetry created without the option; the option wins', () => {
    setInstrumentationDefaults('kafka', Object.freeze({ semconvStability: 'duplicate' }));
    try {
      assert.equal(telemetry('kafka').semconvStability, 'duplicate');
      assert.equal(telemetry('kafka', 'stable').semconvStability, 'stable');
      assert.equal(telemetry('rabbitmq').semconvStability, 'stable', 'defaults are per transport');
    } finally {
      setInstrumentationDefaults('kafka', undefined);
    }
  });
});

describe('semconvStability is checked at setup', () => {
  const wrapped = new Proxy({}, { get: () => () => undefined }) as never;
  const refusals: [string, () => unknown][] = [
    ['core', () => telemetry('kafka', 'old' as SemconvStability)],
    ['traceProducer', () => traceProducer(wrapped, { semconvStability: 'dup' as SemconvStability })],
    ['traceConsumer', () => traceConsumer(wrapped, { semconvStability: 'old' as SemconvStability })],
    ['traceChannel', () => traceChannel(wrapped, { semconvStability: 'both' as SemconvStability })],
    ['streamProducer', () => streamProducer(wrapped, { stream: 'jobs', semconvStability: 1 as never })],
    ['grpcClientInterceptor', () => grpcClientInterceptor({ semconvStability: 'old' as SemconvStability })],
    ['grpcServerInterceptor', () => grpcServerInterceptor({ semconvStability: 'old' as SemconvStability })],
    ['bullmqTelemetry', () => bullmqTelemetry({ semconvStability: 'old' as SemconvStability })],
  ];
  for (const [where, create] of refusals) {
    it(`${where} refuses a value other than 'stable' or 'duplicate'`, () => {
      assert.throws(
        create,
        (error: unknown) =>
          error instanceof TracebridgeConfigError &&
          error.code === TracebridgeErrorCode.InvalidOption &&
          /semconvStability/.test(error.message),
      );
    });
  }

  it('every adapter accepts both values', () => {
    for (const value of ['stable', 'duplicate'] as const) {
      traceProducer(wrapped, { semconvStability: value });
      traceConsumer(wrapped, { semconvStability: value });
      traceChannel(wrapped, { semconvStability: value });
      streamProducer(wrapped, { stream: 'jobs', semconvStability: value });
      grpcClientInterceptor({ semconvStability: value });
      grpcServerInterceptor({ semconvStability: value });
      bullmqTelemetry({ semconvStability: value });
    }
  });
});
