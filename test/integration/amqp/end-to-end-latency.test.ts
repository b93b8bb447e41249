/**
 * End-to-end latency through the real RabbitMQ with amqplib 0.10 and 2.x: a publish at an ingress carries
 * the origin; a message dead-lettered by the broker keeps it (the broker's hop is no send of
 * tracebridge's: the hop count stays, the latency grows); a queue under `'link'` ignores it.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import { AMQP_CLIENTS, deferred, exportedSpans } from '../../helpers/amqp-broker';
import { amqpSuite } from '../../helpers/amqp-suite';
import {
  assertNoEndToEnd,
  atIngress,
  END_TO_END_METRIC,
  endToEndOf,
  histogramPoints,
  ORIGIN,
  originHeader,
  pointWith,
} from '../../helpers/end-to-end';
import { OUTSIDER_TRACEPARENT } from '../../helpers/signatures';
import { setupMetrics } from '../../helpers/tracing';
import type { TestMetrics } from '../../helpers/tracing';

const INGRESS_AGO_MS = 200;

for (const client of AMQP_CLIENTS) {
  describe(`end-to-end latency (${client.name})`, () => {
    const suite = amqpSuite(client);
    let meters: TestMetrics;
    beforeEach(() => {
      meters = setupMetrics();
    });
    afterEach(() => meters.shutdown());

    it('a dead-lettered message keeps its origin: same hop, a later latency', async () => {
      const dlx = await suite.fixture.exchange('e2e-dlx', 'fanout');
      const deadLetters = await suite.fixture.queue('e2e-dead');
      await suite.fixture.admin.bindQueue(deadLetters, dlx, '');
      const work = await suite.fixture.queue('e2e-work', { deadLetterExchange: dlx });
      const { traced } = await suite.channel({ meterProvider: meters.provider });

      const rejected = await traced.consume(work, (message) => {
        if (message !== null) traced.reject(message, false);
      });
      const arrived = deferred<ConsumeMessage>();
      const dead = await traced.consume(deadLetters, (message) => {
        if (message === null) return;
        traced.ack(message);
        arrived.resolve(message);
      });
      const { ingressStartMs } = await atIngress(suite.tracing, INGRESS_AGO_MS, async () =>
        traced.sendToQueue(work, Buffer.from('poison')),
      );
      const message = await arrived.promise;
      await traced.cancel(rejected.consumerTag);
      await traced.cancel(dead.consumerTag);

      assert.equal(message.properties.headers?.[ORIGIN], originHeader(ingressStartMs, 1));
      const deadName = `${dlx}:${work}:${deadLetters}`;
      const [workSpan] = await exportedSpans(suite.tracing, `process ${work}`);
      const [deadSpan] = await exportedSpans(suite.tracing, `process ${deadName}`);
      const first = endToEndOf(workSpan!);
      const second = endToEndOf(deadSpan!);
      assert.equal(first.hops, 1);
      assert.equal(second.hops, 1, 'the broker dead-lettered it: no send of tracebridge, no new hop');
      assert.ok(first.ms >= INGRESS_AGO_MS, `${first.ms} ms since the ingress`);
      assert.ok(second.ms >= first.ms, `dead letter at ${second.ms} ms, first delivery at ${first.ms} ms`);

      const points = await histogramPoints(meters, END_TO_END_METRIC);
      const workPoint = pointWith(points, {
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': work,
        'messaging.operation.name': 'process',
      });
      assert.equal(workPoint.count, 1);
      assert.ok(Math.abs(workPoint.sum - first.ms / 1000) < 1e-9);
      assert.equal(pointWith(points, { 'messaging.destination.name': deadName }).count, 1);
    });

    it("a queue under 'link' ignores the origin a publisher sends; a trusted queue records it", async () => {
      const open = await suite.fixture.queue('e2e-open');
      const linked = await suite.fixture.queue('e2e-linked');
      const { raw } = await suite.channel();
      const { traced } = await suite.channel({
        meterProvider: meters.provider,
        incoming: { rules: [{ queue: linked, policy: 'link' }] },
      });
      const headers = { traceparent: OUTSIDER_TRACEPARENT, [ORIGIN]: originHeader(Date.now() - 5000, 2) };
      raw.sendToQueue(open, Buffer.from('trusted'), { headers });
      raw.sendToQueue(linked, Buffer.from('untrusted'), { headers });
      const done = [deferred<void>(), deferred<void>()];
      const tags = await Promise.all(
        [open, linked].map((queue, i) =>
          traced.consume(queue, (message) => {
            if (message === null) return;
            traced.ack(message);
            done[i]!.resolve();
          }),
        ),
      );
      await Promise.all(done.map((d) => d.promise));
      for (const { consumerTag } of tags) await traced.cancel(consumerTag);

      const [openSpan] = await exportedSpans(suite.tracing, `process ${open}`);
      const [linkedSpan] = await exportedSpans(suite.tracing, `process ${linked}`);
      const trusted = endToEndOf(openSpan!);
      assert.equal(trusted.hops, 2);
      assert.ok(trusted.ms >= 5000);
      assertNoEndToEnd(linkedSpan!, "'link' does not believe the publisher's origin");
      const points = await histogramPoints(meters, END_TO_END_METRIC);
      assert.deepEqual(
        points.map((p) => p.attributes['messaging.destination.name']),
        [open],
        'only the trusted queue has a point',
      );
    });
  });
}
