/**
 * Peers that write B3 in their own casing: the OpenTelemetry Java agent (`otel.propagators=b3multi`) and
 * Zipkin JS publish `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled`. Published by hand here, exactly as they
 * set them, through the real RabbitMQ: tracebridge's consumer continues their trace.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { propagation } from '@opentelemetry/api';
import type { ConsumeMessage } from 'amqplib';
import { AMQP_CLIENTS, eventually, exportedSpans } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import { createPropagator } from '../../helpers/tracing';

const TRACE_ID = '463ac35c9f6413ad48485a3953bb6124';
const SPAN_ID = 'a2fb4a1d1a96d312';

for (const client of AMQP_CLIENTS) {
  describe(`B3 headers in another case (${client.name})`, () => {
    const suite = amqpSuite(client);

    it('X-B3-TraceId / X-B3-SpanId / X-B3-Sampled: the delivery continues the trace', async () => {
      propagation.disable();
      propagation.setGlobalPropagator(createPropagator('b3-multi'));
      try {
        const queue = await suite.fixture.queue('b3-case');
        const { traced } = await suite.channel();
        const received: ConsumeMessage[] = [];
        const { consumerTag } = await traced.consume(queue, (message) => {
          if (message === null) return;
          received.push(message);
          traced.ack(message);
        });
        // Published untraced, with the Java agent's header names.
        const headers = { 'X-B3-TraceId': TRACE_ID, 'X-B3-SpanId': SPAN_ID, 'X-B3-Sampled': '1' };
        suite.fixture.admin.sendToQueue(queue, Buffer.from('order'), { headers });
        await eventually('the delivery', () => (received.length === 1 ? true : undefined));
        await traced.cancel(consumerTag);

        const [span] = await exportedSpans(suite.tracing, `process ${queue}`);
        assert.equal(span?.spanContext().traceId, TRACE_ID, 'the publisher’s trace is continued');
        assert.equal(span?.parentSpanContext?.spanId, SPAN_ID, 'parented to the publisher’s span');
        assert.equal(span?.parentSpanContext?.isRemote, true);
        assert.equal(received[0]?.properties.headers?.['X-B3-TraceId'], TRACE_ID, 'headers arrive as sent');
      } finally {
        propagation.disable();
        propagation.setGlobalPropagator(createPropagator('w3c'));
      }
    });
  });
}
