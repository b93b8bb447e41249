// semconvStability against the real RabbitMQ, with amqplib 0.10 and 2.x: with 'duplicate' (as an option, or
// from OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup through TracebridgeInstrumentation) the exported publish and
// process spans also carry the names the contrib amqplib instrumentation emits (messaging.destination as the
// exchange, messaging.destination_kind, messaging.rabbitmq.routing_key, messaging.message_id,
// messaging.conversation_id) and messaging.operation; by default they carry the current names only.
import { describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { AmqpTracingOptions } from '../../../src/amqp/index';
import { AMQP_CLIENTS, deferred, exportedSpans } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import { assertNoLegacyNames, withMessagingDupInstrumentation } from '../../helpers/semconv-duplicate';
import { assertAttributes, assertChildOf } from '../../helpers/tracing';

for (const client of AMQP_CLIENTS) {
  describe(`AMQP: semconvStability (${client.name})`, () => {
    const suite = amqpSuite(client);

    /**
     * Publishes one message through `exchange` (or the default exchange when `''`) and consumes it; returns
     * the exported publish and process spans.
     */
    async function hop(
      options: AmqpTracingOptions,
      viaExchange: boolean,
    ): Promise<{ publish: ReadableSpan; process: ReadableSpan; exchange: string; queue: string }> {
      const queue = await suite.fixture.queue('semconv-q');
      const exchange = viaExchange ? await suite.fixture.exchange('semconv', 'direct') : '';
      const routingKey = viaExchange ? 'order.created' : queue;
      if (viaExchange) await suite.fixture.admin.bindQueue(queue, exchange, routingKey);
      const { traced } = await suite.channel(options);
      const received = deferred<void>();
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        traced.ack(message);
        received.resolve();
      });
      const content = Buffer.from('order');
      const properties = { messageId: 'm-1', correlationId: 'c-1' };
      if (viaExchange) traced.publish(exchange, routingKey, content, properties);
      else traced.sendToQueue(queue, content, properties);
      await received.promise;
      await traced.cancel(consumerTag);
      const destination = viaExchange ? `${exchange}:${routingKey}` : queue;
      const [publish] = await exportedSpans(suite.tracing, `publish ${destination}`);
      const [process] = await exportedSpans(
        suite.tracing,
        viaExchange ? `process ${exchange}:${routingKey}:${queue}` : `process ${queue}`,
      );
      assertChildOf(process!, publish!);
      return { publish: publish!, process: process!, exchange, queue };
    }

    function assertBothNameSets(spans: Awaited<ReturnType<typeof hop>>, routingKey: string): void {
      const { publish, process, exchange } = spans;
      assertAttributes(publish, {
        'messaging.operation.type': 'send',
        'messaging.operation': 'publish',
        'messaging.destination': exchange,
        'messaging.destination_kind': 'topic',
        'messaging.rabbitmq.destination.routing_key': routingKey,
        'messaging.rabbitmq.routing_key': routingKey,
        'messaging.message.id': 'm-1',
        'messaging.message_id': 'm-1',
        'messaging.message.conversation_id': 'c-1',
        'messaging.conversation_id': 'c-1',
      });
      assertAttributes(process, {
        'messaging.operation.type': 'process',
        'messaging.operation': 'process',
        'messaging.destination': exchange,
        'messaging.destination_kind': 'topic',
        'messaging.rabbitmq.destination.routing_key': routingKey,
        'messaging.rabbitmq.routing_key': routingKey,
        'messaging.message.id': 'm-1',
        'messaging.message_id': 'm-1',
        'messaging.message.conversation_id': 'c-1',
        'messaging.conversation_id': 'c-1',
      });
    }

    it("'duplicate' through an exchange: both name sets, messaging.destination is the exchange", async () => {
      assertBothNameSets(await hop({ semconvStability: 'duplicate' }, true), 'order.created');
    });

    it("'duplicate' through the default exchange: messaging.destination is '' as contrib records it", async () => {
      const spans = await hop({ semconvStability: 'duplicate' }, false);
      assertBothNameSets(spans, spans.queue);
    });

    it('by default the spans carry the current names only', async () => {
      const { publish, process } = await hop({}, true);
      assertAttributes(process, {
        'messaging.rabbitmq.destination.routing_key': 'order.created',
        'messaging.message.id': 'm-1',
      });
      assertNoLegacyNames(publish);
      assertNoLegacyNames(process);
    });

    it('OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup through TracebridgeInstrumentation turns it on', async () => {
      const spans = await withMessagingDupInstrumentation(() => hop({}, true));
      assertBothNameSets(spans, 'order.created');
    });
  });
}
