/**
 * `endToEndLatency: false` through the real RabbitMQ with amqplib 0.10 and 2.x: a traced channel with it
 * publishes no `tracebridge-origin` header and records no end-to-end histogram point or span attribute,
 * with spans and parents as with the default; a downstream channel with the default sees the hop as a
 * new origin, whose own publishes carry it on.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import { AMQP_CLIENTS, deferred, exportedSpans } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import {
  assertNewOrigin,
  assertNoEndToEnd,
  atIngress,
  END_TO_END_METRIC,
  histogramPoints,
  ORIGIN,
  startMsOf,
} from '../../helpers/end-to-end';
import { setupMetrics } from '../../helpers/tracing';
import type { TestMetrics } from '../../helpers/tracing';

for (const client of AMQP_CLIENTS) {
  describe(`endToEndLatency: false (${client.name})`, () => {
    const suite = amqpSuite(client);
    let meters: TestMetrics;
    beforeEach(() => {
      meters = setupMetrics();
    });
    afterEach(() => meters.shutdown());

    it('ingress -> queue (off) -> queue (default): no origin on the wire, no end-to-end, same trace', async () => {
      const [first, second, third] = [
        await suite.fixture.queue('e2eoff-a'),
        await suite.fixture.queue('e2eoff-b'),
        await suite.fixture.queue('e2eoff-c'),
      ];
      const off = (await suite.channel({ meterProvider: meters.provider, endToEndLatency: false })).traced;
      const on = (await suite.channel({ meterProvider: meters.provider })).traced;

      const received: ConsumeMessage[] = [];
      const done = deferred<ConsumeMessage>();
      const offTag = await off.consume(first, (message) => {
        if (message === null) return;
        received.push(message);
        off.sendToQueue(second, Buffer.from('step 2'));
        off.ack(message);
      });
      const onTags = [
        await on.consume(second, (message) => {
          if (message === null) return;
          received.push(message);
          on.sendToQueue(third, Buffer.from('step 3'));
          on.ack(message);
        }),
        await on.consume(third, (message) => {
          if (message === null) return;
          on.ack(message);
          done.resolve(message);
        }),
      ];
      const { ingress } = await atIngress(suite.tracing, 200, async () =>
        off.sendToQueue(first, Buffer.from('step 1')),
      );
      const last = await done.promise;
      await off.cancel(offTag.consumerTag);
      for (const { consumerTag } of onTags) await on.cancel(consumerTag);

      for (const message of received) {
        assert.equal(
          typeof message.properties.headers?.['traceparent'],
          'string',
          'the trace context travels',
        );
        assert.equal(message.properties.headers?.[ORIGIN], undefined, 'no origin header on the wire');
      }
      const [sendFirst] = await exportedSpans(suite.tracing, `publish ${first}`);
      const [processFirst] = await exportedSpans(suite.tracing, `process ${first}`);
      const [sendSecond] = await exportedSpans(suite.tracing, `publish ${second}`);
      const [processSecond] = await exportedSpans(suite.tracing, `process ${second}`);
      const traceId = ingress.spanContext().traceId;
      for (const span of [sendFirst!, processFirst!, sendSecond!, processSecond!])
        assert.equal(span.spanContext().traceId, traceId, `${span.name} in the ingress's trace`);
      assert.equal(sendFirst!.parentSpanContext?.spanId, ingress.spanContext().spanId);
      assert.equal(processFirst!.parentSpanContext?.spanId, sendFirst!.spanContext().spanId);
      assert.equal(sendSecond!.parentSpanContext?.spanId, processFirst!.spanContext().spanId);
      assert.equal(processSecond!.parentSpanContext?.spanId, sendSecond!.spanContext().spanId);
      assertNoEndToEnd(processFirst!, 'off');
      assertNoEndToEnd(processSecond!, 'no origin came: the hop is a new origin, nothing to measure');
      assert.deepEqual(
        (await histogramPoints(meters, END_TO_END_METRIC)).map(
          (p) => p.attributes['messaging.destination.name'],
        ),
        [third],
        'only the hop after the default one measures, from the new origin',
      );
      // The default hop's own publish carries its new origin, not the ingress's.
      assertNewOrigin(
        last.properties.headers?.[ORIGIN] as string | undefined,
        startMsOf(processFirst!),
        'the publish from the default hop',
      );
    });
  });
}
