/**
 * Request/reply over the real RabbitMQ with amqplib 0.10 and 2.x, with a named (server-named, exclusive)
 * reply queue and with direct reply-to (`amq.rabbitmq.reply-to`): the reply is published as a child of the
 * request's process span, and the caller's reply handler runs in a span that continues the same trace.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Channel, ConsumeMessage } from 'amqplib';
import { AMQP_CLIENTS, deferred, eventually } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import type { AmqpSuite } from '../../helpers/amqp-suite';
import { assertAttributes, assertChildOf } from '../../helpers/tracing';

const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** A responder on `queue`: replies to each request's `replyTo` with its `correlationId`, from its handler. */
async function startResponder(channel: Channel, queue: string): Promise<string> {
  const { consumerTag } = await channel.consume(queue, (request) => {
    if (request === null) return;
    const replyTo = request.properties.replyTo as string;
    channel.sendToQueue(replyTo, Buffer.from(`re: ${request.content.toString()}`), {
      correlationId: request.properties.correlationId as string,
    });
    channel.ack(request);
  });
  return consumerTag;
}

/** The one exported span whose name starts with `prefix` and that is a child of `parent`. */
function childNamed(suite: AmqpSuite, prefix: string, parent: ReadableSpan | Span): ReadableSpan | undefined {
  const parentId = parent.spanContext().spanId;
  return suite.tracing
    .spans()
    .find((s) => s.name.startsWith(prefix) && s.parentSpanContext?.spanId === parentId);
}

/** The names the reply's spans must have: reply queues are temporary, so their names stay out of them. */
interface ReplySpanNames {
  readonly publish: string;
  readonly process: string;
}

/**
 * Waits for the four spans of one round trip and checks they form one chain:
 * root → publish request → process request → publish reply → process reply.
 */
async function assertRoundTrip(
  suite: AmqpSuite,
  root: Span,
  requests: string,
  replyNames: ReplySpanNames,
  correlationId: string,
): Promise<{ replyPublish: ReadableSpan; replyProcess: ReadableSpan }> {
  const chain = await eventually('the four spans of the round trip', () => {
    const requestPublish = childNamed(suite, `publish ${requests}`, root);
    const requestProcess = requestPublish && childNamed(suite, `process ${requests}`, requestPublish);
    const replyPublish = requestProcess && childNamed(suite, 'publish', requestProcess);
    const replyProcess = replyPublish && childNamed(suite, 'process', replyPublish);
    return replyProcess && { requestPublish, requestProcess, replyPublish, replyProcess };
  });
  assert.equal(chain.replyPublish.name, replyNames.publish);
  assert.equal(chain.replyProcess.name, replyNames.process);
  assertChildOf(chain.requestPublish, root);
  assertChildOf(chain.requestProcess, chain.requestPublish);
  assertChildOf(chain.replyPublish, chain.requestProcess);
  assertChildOf(chain.replyProcess, chain.replyPublish);
  for (const span of Object.values(chain))
    assertAttributes(span, { 'messaging.message.conversation_id': correlationId });
  return chain;
}

for (const client of AMQP_CLIENTS) {
  describe(`request/reply (${client.name})`, () => {
    const suite = amqpSuite(client);

    it('with a named reply queue: the reply continues the request’s trace', async () => {
      const requests = await suite.fixture.queue('rpc-requests');
      const { traced: server } = await suite.channel();
      const serverTag = await startResponder(server, requests);
      const { traced: caller } = await suite.channel();
      const { queue: replies } = await caller.assertQueue('', { exclusive: true, durable: false });
      assert.match(replies, /^amq\.gen-/, 'a server-named queue');
      const reply = deferred<{ message: ConsumeMessage; spanId: string | undefined }>();
      const { consumerTag } = await caller.consume(replies, (message) => {
        if (message === null) return;
        reply.resolve({ message, spanId: trace.getActiveSpan()?.spanContext().spanId });
        caller.ack(message);
      });
      const { root } = suite.inRootSpan('checkout', () =>
        caller.sendToQueue(requests, Buffer.from('price?'), { replyTo: replies, correlationId: 'corr-1' }),
      );
      const { message, spanId } = await reply.promise;
      assert.equal(message.content.toString(), 're: price?');
      assert.equal(message.properties.correlationId, 'corr-1');
      // A server-named queue is anonymous: its spans are named after the operation alone, and its name
      // is on the span only, never in the metrics' attributes.
      const { replyPublish, replyProcess } = await assertRoundTrip(
        suite,
        root,
        requests,
        { publish: 'publish', process: 'process' },
        'corr-1',
      );
      assert.equal(spanId, replyProcess.spanContext().spanId, 'the reply handler runs in the reply’s span');
      for (const span of [replyPublish, replyProcess]) {
        assertAttributes(span, {
          'messaging.destination.anonymous': true,
          'messaging.destination.temporary': true,
        });
      }
      assertAttributes(replyPublish, { 'messaging.destination.name': replies });
      assertAttributes(replyProcess, { 'messaging.destination.name': replies });
      await caller.cancel(consumerTag);
      await server.cancel(serverTag);
    });

    it('with direct reply-to: the reply continues the request’s trace', async () => {
      const requests = await suite.fixture.queue('rpc-direct');
      const { traced: server } = await suite.channel();
      const serverTag = await startResponder(server, requests);
      const { traced: caller } = await suite.channel();
      const reply = deferred<{ message: ConsumeMessage; spanId: string | undefined }>();
      // Direct reply-to: consume the pseudo-queue with noAck, then publish from the same channel.
      const { consumerTag } = await caller.consume(
        DIRECT_REPLY_TO,
        (message) => {
          if (message !== null)
            reply.resolve({ message, spanId: trace.getActiveSpan()?.spanContext().spanId });
        },
        { noAck: true },
      );
      const { root } = suite.inRootSpan('checkout', () =>
        caller.sendToQueue(requests, Buffer.from('stock?'), {
          replyTo: DIRECT_REPLY_TO,
          correlationId: 'corr-2',
        }),
      );
      const { message, spanId } = await reply.promise;
      assert.equal(message.content.toString(), 're: stock?');
      assert.ok(message.fields.routingKey.startsWith(`${DIRECT_REPLY_TO}.`));
      // The reply goes to amq.rabbitmq.reply-to.<suffix>: the suffix stays out of the span name.
      const names = { publish: `publish ${DIRECT_REPLY_TO}`, process: `process ${DIRECT_REPLY_TO}` };
      const { replyPublish, replyProcess } = await assertRoundTrip(suite, root, requests, names, 'corr-2');
      assert.equal(spanId, replyProcess.spanContext().spanId, 'the reply handler runs in the reply’s span');
      for (const span of [replyPublish, replyProcess]) {
        assertAttributes(span, {
          'messaging.destination.template': DIRECT_REPLY_TO,
          'messaging.destination.temporary': true,
        });
      }
      assertAttributes(replyProcess, { 'messaging.destination.name': DIRECT_REPLY_TO });
      assert.equal(replyPublish.attributes['messaging.destination.name'], message.fields.routingKey);
      await caller.cancel(consumerTag);
      await server.cancel(serverTag);
    });
  });
}
