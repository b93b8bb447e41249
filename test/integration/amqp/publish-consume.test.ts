/**
 * Publish → consume through the real RabbitMQ, with amqplib 0.10 and 2.x: one trace across direct, fanout
 * and topic exchanges and the default exchange; span names, kinds, parents and attributes per the semantic
 * conventions; the caller's options and headers untouched; the timestamp stamped in seconds; time in queue;
 * hooks; the trust policy by queue; metrics.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanKind, trace } from '@opentelemetry/api';
import type { ConsumeMessage } from 'amqplib';
import { traceChannel } from '../../../src/amqp/index';
import type { AmqpConsumeInfo, AmqpPublishInfo } from '../../../src/amqp/index';
import { AMQP_CLIENTS, deferred, eventually, exportedSpans } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import {
  assertAttributes,
  assertChildOf,
  assertLinks,
  assertRoot,
  setupMetrics,
} from '../../helpers/tracing';

interface Received {
  readonly message: ConsumeMessage;
  /** The span active while the consumer callback ran. */
  readonly activeSpanId: string | undefined;
}

for (const client of AMQP_CLIENTS) {
  describe(`publish → consume (${client.name})`, () => {
    const suite = amqpSuite(client);

    const exchangeCases = [
      { type: 'direct', bindingKey: 'order.created', routingKey: 'order.created' },
      { type: 'fanout', bindingKey: '', routingKey: '' },
      { type: 'topic', bindingKey: 'order.*', routingKey: 'order.paid' },
    ] as const;

    for (const { type, bindingKey, routingKey } of exchangeCases) {
      it(`continues the publisher's trace through a ${type} exchange`, async () => {
        const exchange = await suite.fixture.exchange(type, type);
        const queue = await suite.fixture.queue(`${type}-q`);
        await suite.fixture.admin.bindQueue(queue, exchange, bindingKey);
        const { traced } = await suite.channel();
        const received = deferred<Received>();
        const { consumerTag } = await traced.consume(queue, (message) => {
          if (message === null) return;
          received.resolve({ message, activeSpanId: trace.getActiveSpan()?.spanContext().spanId });
          traced.ack(message);
        });

        const headers = Object.freeze({ 'x-tenant': 'acme', 'x-retries': 3 });
        const options = Object.freeze({ headers, messageId: 'm-1', correlationId: 'c-1', persistent: false });
        const { root, result } = suite.inRootSpan('request', () =>
          traced.publish(exchange, routingKey, Buffer.from('order'), options),
        );
        assert.equal(result, true, 'publish returns amqplib’s own result');
        const { message, activeSpanId } = await received.promise;
        await traced.cancel(consumerTag);

        const publishName = routingKey === '' ? exchange : `${exchange}:${routingKey}`;
        const processName = routingKey === '' ? `${exchange}:${queue}` : `${exchange}:${routingKey}:${queue}`;
        const [publishSpan] = await exportedSpans(suite.tracing, `publish ${publishName}`);
        const [processSpan] = await exportedSpans(suite.tracing, `process ${processName}`);
        assert.ok(publishSpan && processSpan);
        assert.equal(publishSpan.kind, SpanKind.PRODUCER);
        assert.equal(processSpan.kind, SpanKind.CONSUMER);
        assertChildOf(publishSpan, root);
        assertChildOf(processSpan, publishSpan);
        assertLinks(processSpan, []);
        assert.equal(
          activeSpanId,
          processSpan.spanContext().spanId,
          'the callback runs inside the process span',
        );

        const routingKeyAttribute = routingKey === '' ? undefined : routingKey;
        assertAttributes(publishSpan, {
          'messaging.system': 'rabbitmq',
          'messaging.operation.name': 'publish',
          'messaging.operation.type': 'send',
          'messaging.destination.name': publishName,
          'messaging.rabbitmq.destination.routing_key': routingKeyAttribute,
          'messaging.message.id': 'm-1',
          'messaging.message.conversation_id': 'c-1',
        });
        assertAttributes(processSpan, {
          'messaging.system': 'rabbitmq',
          'messaging.operation.name': 'process',
          'messaging.operation.type': 'process',
          'messaging.destination.name': processName,
          'messaging.rabbitmq.destination.routing_key': routingKeyAttribute,
          'messaging.rabbitmq.message.delivery_tag': message.fields.deliveryTag,
          'messaging.message.id': 'm-1',
          'messaging.message.conversation_id': 'c-1',
          'tracebridge.messaging.rabbitmq.redelivered': undefined,
          'tracebridge.messaging.attempt': undefined,
          'tracebridge.messaging.settle.outcome': 'ack',
        });
        assert.equal(typeof processSpan.attributes['tracebridge.messaging.time_in_queue_ms'], 'number');

        // The caller's objects are as they were; the message carries them plus the context and a timestamp.
        assert.deepEqual(options, { headers, messageId: 'm-1', correlationId: 'c-1', persistent: false });
        assert.deepEqual(headers, { 'x-tenant': 'acme', 'x-retries': 3 });
        assert.equal(message.properties.headers?.['x-tenant'], 'acme');
        assert.equal(message.properties.headers?.['x-retries'], 3);
        const { traceId, spanId } = publishSpan.spanContext();
        assert.equal(message.properties.headers?.['traceparent'], `00-${traceId}-${spanId}-01`);
        const stamped = message.properties.timestamp as number;
        assert.ok(Number.isInteger(stamped), 'the timestamp is whole seconds, as AMQP defines it');
        assert.ok(Math.abs(stamped - Date.now() / 1000) < 60, `timestamp ${stamped} is now, in seconds`);
      });
    }

    it('names sendToQueue after the queue, and the default exchange amq.default without a routing key', async () => {
      const queue = await suite.fixture.queue('direct-to-queue');
      const { traced } = await suite.channel();
      const received = deferred<ConsumeMessage>();
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        traced.ack(message);
        received.resolve(message);
      });
      suite.inRootSpan('request', () => traced.sendToQueue(queue, Buffer.from('x')));
      await received.promise;
      await traced.cancel(consumerTag);
      const [publishSpan] = await exportedSpans(suite.tracing, `publish ${queue}`);
      const [processSpan] = await exportedSpans(suite.tracing, `process ${queue}`);
      assert.ok(publishSpan && processSpan);
      assertChildOf(processSpan, publishSpan);
      assertAttributes(processSpan, { 'messaging.destination.name': queue });

      // Routed nowhere, but still a publish with its span.
      traced.publish('', '', Buffer.from('void'));
      await exportedSpans(suite.tracing, 'publish amq.default');
    });

    it('gives each publish of one options object its own context, never a stale one', async () => {
      const queue = await suite.fixture.queue('reuse');
      const { traced } = await suite.channel();
      const messages: ConsumeMessage[] = [];
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        messages.push(message);
        traced.ack(message);
      });
      const options = { headers: { 'x-kind': 'reused' } };
      const first = suite.inRootSpan('first', () => traced.sendToQueue(queue, Buffer.from('1'), options));
      const second = suite.inRootSpan('second', () => traced.sendToQueue(queue, Buffer.from('2'), options));
      await eventually('two deliveries', () => (messages.length === 2 ? true : undefined));
      await traced.cancel(consumerTag);
      assert.deepEqual(options, { headers: { 'x-kind': 'reused' } });
      const processSpans = await exportedSpans(suite.tracing, `process ${queue}`, 2);
      const publishSpans = await exportedSpans(suite.tracing, `publish ${queue}`, 2);
      const publishOf = (root: { spanContext(): { spanId: string } }) =>
        publishSpans.find((s) => s.parentSpanContext?.spanId === root.spanContext().spanId);
      for (const { root } of [first, second]) {
        const publishSpan = publishOf(root);
        assert.ok(publishSpan, 'each root has its publish span');
        const processSpan = processSpans.find(
          (s) => s.parentSpanContext?.spanId === publishSpan.spanContext().spanId,
        );
        assert.ok(processSpan, 'each publish has its own process span');
        assertChildOf(processSpan, publishSpan);
      }
    });

    it('keeps a publisher’s timestamp (ms read as ms), and stamps nothing with setTimestamp: false', async () => {
      const queue = await suite.fixture.queue('timestamps');
      const { traced } = await suite.channel({ setTimestamp: false });
      const messages: ConsumeMessage[] = [];
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        messages.push(message);
        traced.ack(message);
      });
      const stampedMs = Date.now() - 5_000;
      traced.sendToQueue(queue, Buffer.from('ms'), { messageId: 'ms', timestamp: stampedMs });
      traced.sendToQueue(queue, Buffer.from('none'), { messageId: 'none' });
      await eventually('two deliveries', () => (messages.length === 2 ? true : undefined));
      await traced.cancel(consumerTag);
      const byId = (id: string) => messages.find((m) => m.properties.messageId === id);
      assert.equal(byId('ms')?.properties.timestamp, stampedMs);
      assert.equal(byId('none')?.properties.timestamp, undefined);
      const spans = await exportedSpans(suite.tracing, `process ${queue}`, 2);
      const spanOf = (id: string) => spans.find((s) => s.attributes['messaging.message.id'] === id);
      const waitedMs = spanOf('ms')?.attributes['tracebridge.messaging.time_in_queue_ms'];
      assert.ok(typeof waitedMs === 'number' && waitedMs >= 5_000, `time in queue ${String(waitedMs)} ≥ 5 s`);
      assert.equal(spanOf('none')?.attributes['tracebridge.messaging.time_in_queue_ms'], undefined);
    });

    it('calls the hooks on recording spans, and a throwing hook breaks nothing', async () => {
      const queue = await suite.fixture.queue('hooks');
      const publishInfos: AmqpPublishInfo[] = [];
      const consumeInfos: AmqpConsumeInfo[] = [];
      const { traced } = await suite.channel({
        publishHook: (span, info) => {
          publishInfos.push(info);
          span.setAttribute('test.hook', 'publish');
          throw new Error('publish hook fails');
        },
        consumeHook: (span, info) => {
          consumeInfos.push(info);
          span.setAttribute('test.hook', 'consume');
          throw new Error('consume hook fails');
        },
      });
      const received = deferred<ConsumeMessage>();
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        traced.ack(message);
        received.resolve(message);
      });
      const options = { messageId: 'hooked' };
      traced.sendToQueue(queue, Buffer.from('body'), options);
      const message = await received.promise;
      await traced.cancel(consumerTag);
      assert.equal(message.content.toString(), 'body');
      assert.equal(publishInfos.length, 1);
      assert.equal(publishInfos[0]?.routingKey, queue);
      assert.equal(publishInfos[0]?.exchange, '');
      assert.equal(publishInfos[0]?.options, options, 'the hook sees the caller’s own options');
      assert.deepEqual(
        consumeInfos.map((i) => [i.queue, i.operation, i.message.fields.deliveryTag]),
        [[queue, 'process', message.fields.deliveryTag]],
      );
      const [publishSpan] = await exportedSpans(suite.tracing, `publish ${queue}`);
      const [processSpan] = await exportedSpans(suite.tracing, `process ${queue}`);
      assertAttributes(publishSpan!, { 'test.hook': 'publish' });
      assertAttributes(processSpan!, { 'test.hook': 'consume' });
    });

    it('with a "link" rule for the queue, starts a new trace linked to the publisher', async () => {
      const queue = await suite.fixture.queue('public');
      const { traced } = await suite.channel({
        incoming: { rules: [{ destination: queue, policy: 'link' }] },
      });
      const received = deferred<ConsumeMessage>();
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        traced.ack(message);
        received.resolve(message);
      });
      suite.inRootSpan('outside', () => traced.sendToQueue(queue, Buffer.from('x')));
      await received.promise;
      await traced.cancel(consumerTag);
      const [publishSpan] = await exportedSpans(suite.tracing, `publish ${queue}`);
      const [processSpan] = await exportedSpans(suite.tracing, `process ${queue}`);
      assert.ok(publishSpan && processSpan);
      assertRoot(processSpan);
      assert.notEqual(processSpan.spanContext().traceId, publishSpan.spanContext().traceId);
      assertLinks(processSpan, [publishSpan]);
      assertAttributes(processSpan, { 'tracebridge.incoming.policy': 'link' });
    });

    it('records the messaging metrics, time in queue included', async () => {
      const metrics = setupMetrics();
      try {
        const queue = await suite.fixture.queue('metrics');
        const { traced } = await suite.channel({ meterProvider: metrics.provider });
        const received = deferred<ConsumeMessage>();
        const { consumerTag } = await traced.consume(queue, (message) => {
          if (message === null) return;
          traced.ack(message);
          received.resolve(message);
        });
        traced.sendToQueue(queue, Buffer.from('x'));
        await received.promise;
        await traced.cancel(consumerTag);
        await exportedSpans(suite.tracing, `process ${queue}`);

        const [resourceMetrics] = await metrics.collect();
        const all = resourceMetrics?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
        const pointsOf = (name: string) => all.find((m) => m.descriptor.name === name)?.dataPoints ?? [];
        const expected = [
          'messaging.client.operation.duration',
          'messaging.client.sent.messages',
          'messaging.client.consumed.messages',
          'messaging.process.duration',
          'tracebridge.messaging.time_in_queue',
        ];
        for (const name of expected) {
          const points = pointsOf(name);
          assert.equal(points.length, 1, `${name}: one series`);
          assert.equal(points[0]?.attributes['messaging.system'], 'rabbitmq', `${name}: messaging.system`);
          assert.equal(points[0]?.attributes['messaging.destination.name'], queue, `${name}: destination`);
        }
        assert.equal(pointsOf('messaging.client.sent.messages')[0]?.value, 1);
        assert.equal(pointsOf('messaging.client.consumed.messages')[0]?.value, 1);
      } finally {
        await metrics.shutdown();
      }
    });

    it('never traces the same channel twice: a traced channel is returned as is', async () => {
      const { raw, traced } = await suite.channel();
      assert.equal(traceChannel(traced), traced);
      // The original may be traced again (another configuration); that proxy is independent.
      const again = traceChannel(raw, { tracerProvider: suite.counter.provider });
      assert.notEqual(again, traced);
    });
  });
}
