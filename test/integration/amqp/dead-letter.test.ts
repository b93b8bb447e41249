/**
 * Dead letters through the real RabbitMQ with amqplib 0.10 and 2.x: a message rejected into a dead-letter
 * exchange keeps its trace, and the dead-letter consumer's span is parented to the original publish and
 * records the death count and reason from `x-death` and the attempt number.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ConsumeMessage } from 'amqplib';
import { AMQP_CLIENTS, deferred, exportedSpans } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import { assertAttributes, assertChildOf } from '../../helpers/tracing';

for (const client of AMQP_CLIENTS) {
  describe(`dead letters (${client.name})`, () => {
    const suite = amqpSuite(client);

    it('a rejected message keeps its trace through the dead-letter exchange', async () => {
      const dlx = await suite.fixture.exchange('dlx', 'fanout');
      const deadLetters = await suite.fixture.queue('dead-letters');
      await suite.fixture.admin.bindQueue(deadLetters, dlx, '');
      const work = await suite.fixture.queue('work', { deadLetterExchange: dlx });
      const { traced } = await suite.channel();

      const rejected = await traced.consume(work, (message) => {
        if (message !== null) traced.reject(message, false);
      });
      const arrived = deferred<ConsumeMessage>();
      const dead = await traced.consume(deadLetters, (message) => {
        if (message === null) return;
        traced.ack(message);
        arrived.resolve(message);
      });
      const { root } = suite.inRootSpan('request', () =>
        traced.sendToQueue(work, Buffer.from('poison'), { messageId: 'poison-1' }),
      );
      const message = await arrived.promise;
      await traced.cancel(rejected.consumerTag);
      await traced.cancel(dead.consumerTag);

      const [publishSpan] = await exportedSpans(suite.tracing, `publish ${work}`);
      const [workSpan] = await exportedSpans(suite.tracing, `process ${work}`);
      const [deadSpan] = await exportedSpans(suite.tracing, `process ${dlx}:${work}:${deadLetters}`);
      assert.ok(publishSpan && workSpan && deadSpan);
      assertChildOf(publishSpan, root);
      assertChildOf(workSpan, publishSpan);
      assertChildOf(deadSpan, publishSpan);
      assertAttributes(workSpan, {
        'tracebridge.messaging.settle.outcome': 'reject',
        'tracebridge.messaging.settle.requeue': false,
        'tracebridge.messaging.attempt': undefined,
        'tracebridge.messaging.rabbitmq.death_count': undefined,
      });
      assert.equal(workSpan.status.code, SpanStatusCode.ERROR);
      assertAttributes(deadSpan, {
        'messaging.destination.name': `${dlx}:${work}:${deadLetters}`,
        'messaging.message.id': 'poison-1',
        'tracebridge.messaging.rabbitmq.death_count': 1,
        'tracebridge.messaging.rabbitmq.death_reason': 'rejected',
        'tracebridge.messaging.attempt': 2,
        'tracebridge.messaging.settle.outcome': 'ack',
      });
      assert.equal(deadSpan.status.code, SpanStatusCode.UNSET);
      assert.ok(Array.isArray(message.properties.headers?.['x-death']), 'RabbitMQ added x-death');
    });
  });
}
