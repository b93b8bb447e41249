/**
 * Trust boundaries on the real RabbitMQ: `incoming` rules match the queue and exchange (names the operator
 * controls), never the routing key a publisher picks; the `'continue'` policy; and signed creation context
 * (valid, forged, expired, unsigned, copied, and a requeued redelivery that still verifies).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { Channel, ConsumeMessage, GetMessage } from 'amqplib';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { traceChannel } from '../../../src/amqp/index';
import type { AmqpTracingOptions } from '../../../src/amqp/index';
import { TracebridgeConfigError } from '../../../src/core/errors';
import { AMQP_CLIENTS, eventually } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import {
  assertLinkedUnverified,
  EXPECTED_FAILURE,
  hostileContexts,
  OUTSIDER,
  OUTSIDER_TRACEPARENT,
  SIGNING,
  verificationFailures,
  VERIFYING,
} from '../../helpers/signatures';
import {
  assertAttributes,
  assertChildOf,
  assertLinks,
  assertRoot,
  setupMetrics,
} from '../../helpers/tracing';

for (const client of AMQP_CLIENTS) {
  describe(`AMQP trust boundaries (${client.name})`, () => {
    const suite = amqpSuite(client);

    /** Consumes `count` deliveries on `queue` with a traced channel, acking each, and returns their spans. */
    async function consumeSpans(
      traced: Channel,
      queue: string,
      count: number,
      onMessage: (message: ConsumeMessage) => void = (m) => traced.ack(m),
    ): Promise<ReadableSpan[]> {
      let seen = 0;
      const { consumerTag } = await traced.consume(queue, (message) => {
        if (message === null) return;
        seen++;
        onMessage(message);
      });
      await eventually('the deliveries', () => (seen >= count ? true : undefined));
      await traced.cancel(consumerTag);
      return eventually('the process spans', () => {
        const spans = suite.tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER);
        return spans.length >= count ? spans : undefined;
      });
    }

    /** Pulls one message from `queue` with the untraced admin channel, waiting for it to arrive. */
    async function getOne(queue: string): Promise<GetMessage> {
      for (let i = 0; i < 500; i++) {
        const message = await suite.fixture.admin.get(queue, { noAck: true });
        if (message !== false) return message;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return assert.fail(`no message arrived on ${queue}`);
    }

    /** A queue bound to a topic exchange with `#`, so any routing key a publisher picks reaches it. */
    async function boundQueue(what: string): Promise<{ exchange: string; queue: string }> {
      const exchange = await suite.fixture.exchange(`${what}-x`, 'topic');
      const queue = await suite.fixture.queue(what);
      await suite.fixture.admin.bindQueue(queue, exchange, '#');
      return { exchange, queue };
    }

    it('a publisher cannot reach a trusting rule through its routing key', async () => {
      const { exchange, queue } = await boundQueue('public');
      const { traced } = await suite.channel({
        incoming: { default: 'link', rules: [{ queue: /trusted/, policy: 'parent' }] },
      });
      // The routing key names the trusted queue; before, rules saw `{exchange}:{routing key}:{queue}`.
      suite.inRootSpan('outside', () => traced.publish(exchange, 'trusted.orders', Buffer.from('x')));
      const [processSpan] = await consumeSpans(traced, queue, 1);
      assertRoot(processSpan!);
      assertAttributes(processSpan!, { 'tracebridge.incoming.policy': 'link' });
    });

    it('a RegExp anchored at the queue name matches, whatever exchange and routing key', async () => {
      const { exchange, queue } = await boundQueue('anchored');
      const { traced } = await suite.channel({
        incoming: { default: 'parent', rules: [{ queue: new RegExp(`^${queue}$`), policy: 'link' }] },
      });
      const { root } = suite.inRootSpan('outside', () =>
        traced.publish(exchange, 'any.key', Buffer.from('x')),
      );
      const [processSpan] = await consumeSpans(traced, queue, 1);
      assertRoot(processSpan!);
      assert.notEqual(processSpan!.spanContext().traceId, root.spanContext().traceId);
    });

    it('an exchange rule matches the exchange the message came through', async () => {
      const { exchange, queue } = await boundQueue('by-exchange');
      const { traced } = await suite.channel({
        incoming: { rules: [{ exchange, policy: 'ignore' }] },
      });
      suite.inRootSpan('outside', () => traced.publish(exchange, 'k', Buffer.from('x')));
      const [processSpan] = await consumeSpans(traced, queue, 1);
      assertRoot(processSpan!);
      assertLinks(processSpan!, []);
      assertAttributes(processSpan!, { 'tracebridge.incoming.policy': 'ignore' });
    });

    it('refuses, at setup, a RegExp destination rule (it used to see the routing key)', () => {
      const options: AmqpTracingOptions = {
        incoming: { rules: [{ destination: /^public/, policy: 'link' }] },
      };
      assert.throws(() => traceChannel(suite.fixture.admin, options), TracebridgeConfigError);
    });

    it("'continue' keeps the trace but not the publisher's baggage, tracestate or sampling", async () => {
      const queue = await suite.fixture.queue('continue');
      const { traced } = await suite.channel({
        incoming: { rules: [{ queue, policy: 'continue', sampleRatio: 1 }] },
      });
      // An outsider's message, unsampled, with baggage and tracestate it wants echoed downstream.
      suite.fixture.admin.sendToQueue(queue, Buffer.from('x'), {
        headers: {
          traceparent: `00-${OUTSIDER.traceId}-${OUTSIDER.spanId}-00`,
          tracestate: 'vendor=outsider',
          baggage: 'tenant=evil',
        },
      });
      const next = await suite.fixture.queue('continue-next');
      const [processSpan] = await consumeSpans(traced, queue, 1, (message) => {
        traced.sendToQueue(next, Buffer.from('y'));
        traced.ack(message);
      });
      const forwarded = await getOne(next);
      assert.equal(forwarded.properties.headers?.['tracestate'], undefined, 'tracestate is not echoed');
      assert.equal(forwarded.properties.headers?.['baggage'], undefined, 'baggage is not echoed');
      assert.match(
        String(forwarded.properties.headers?.['traceparent']),
        new RegExp(`^00-${OUTSIDER.traceId}-`),
      );
      assertChildOf(processSpan!, { ...OUTSIDER, traceFlags: 0 });
      assertAttributes(processSpan!, { 'tracebridge.incoming.policy': 'continue' });
      const publish = suite.tracing.spans().find((s) => s.kind === SpanKind.PRODUCER);
      assert.ok(publish !== undefined, 'the handler publish was recorded: sampling was decided locally');
      assertChildOf(publish, processSpan!);
    });

    describe('signed creation context', () => {
      it('continues a signed publish; a requeued redelivery still verifies', async () => {
        const queue = await suite.fixture.queue('signed');
        const { traced: producer } = await suite.channel({ signing: SIGNING });
        const { traced: consumer } = await suite.channel({ signing: VERIFYING });
        const { root } = suite.inRootSpan('request', () => producer.sendToQueue(queue, Buffer.from('x')));
        let deliveries = 0;
        const spans = await consumeSpans(consumer, queue, 2, (message) => {
          deliveries++;
          if (deliveries === 1) consumer.nack(message, false, true);
          else consumer.ack(message);
        });
        const publish = suite.tracing.spans().find((s) => s.kind === SpanKind.PRODUCER)!;
        assert.equal(publish.spanContext().traceId, root.spanContext().traceId);
        assert.equal(spans.length, 2, 'the first delivery and its redelivery');
        for (const span of spans) {
          assertChildOf(span, publish);
          assertAttributes(span, { 'tracebridge.trust.signature': 'valid' });
        }
        assertAttributes(spans[1]!, { 'tracebridge.messaging.rabbitmq.redelivered': true });
      });

      it('links forged, expired, unsigned and copied contexts, and counts each failure', async () => {
        const metrics = setupMetrics();
        try {
          const queue = await suite.fixture.queue('hostile');
          const { traced } = await suite.channel({ signing: VERIFYING, meterProvider: metrics.provider });
          const cases = hostileContexts();
          for (const [name, headers] of Object.entries(cases)) {
            suite.fixture.admin.sendToQueue(queue, Buffer.from(name), { headers });
          }
          const byBody = new Map<string, ReadableSpan>();
          const order: string[] = [];
          const spans = await consumeSpans(traced, queue, 4, (message) => {
            order.push(message.content.toString());
            traced.ack(message);
          });
          spans.forEach((span, i) => byBody.set(order[i]!, span));
          for (const name of Object.keys(cases) as (keyof typeof cases)[]) {
            assertLinkedUnverified(byBody.get(name)!, EXPECTED_FAILURE[name]);
          }
          assert.deepEqual(await verificationFailures(metrics), { mismatch: 2, expired: 1, missing: 1 });
        } finally {
          await metrics.shutdown();
        }
      });

      it("with unverified: 'ignore', an unsigned context is neither continued nor linked", async () => {
        const queue = await suite.fixture.queue('ignore-unsigned');
        const { traced } = await suite.channel({ signing: { ...VERIFYING, unverified: 'ignore' } });
        suite.fixture.admin.sendToQueue(queue, Buffer.from('x'), {
          headers: { traceparent: OUTSIDER_TRACEPARENT },
        });
        const [span] = await consumeSpans(traced, queue, 1);
        assertRoot(span!);
        assertLinks(span!, []);
        assertAttributes(span!, {
          'tracebridge.incoming.policy': 'ignore',
          'tracebridge.trust.signature': 'missing',
        });
      });
    });
  });
}
