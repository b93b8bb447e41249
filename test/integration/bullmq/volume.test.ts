/**
 * 5,000 jobs through two workers against the real Redis: every job is processed exactly once, and each
 * job's process span is the child of its own send span (the context of one job never leaks into another's
 * processing, whatever the concurrency).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { bullmqTelemetry } from '../../../src/bullmq/index';
import { BullmqObjects, uniqueQueueName } from '../../helpers/bullmq-fixture';
import { waitFor } from '../../helpers/redis-clients';
import { assertChildOf, setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const JOBS = 5_000;
const ADDS_IN_FLIGHT = 500;

let tracing: TestTracing;
before(() => {
  tracing = setupTracing('w3c');
});
after(() => tracing.shutdown());

describe('BullMQ volume (real Redis)', () => {
  it(`processes ${JOBS} jobs through 2 workers, each under its own job's send span`, async () => {
    const bull = new BullmqObjects();
    try {
      const name = uniqueQueueName('volume');
      const t = bullmqTelemetry();
      const queue = bull.queue(name, { telemetry: t });
      const processedBy = [new Map<string, number>(), new Map<string, number>()];
      processedBy.forEach((seen) =>
        bull.worker(name, async (job) => void seen.set(job.id!, (seen.get(job.id!) ?? 0) + 1), {
          telemetry: t,
          concurrency: 50,
        }),
      );
      for (let start = 0; start < JOBS; start += ADDS_IN_FLIGHT) {
        const adds = [];
        for (let i = start; i < Math.min(JOBS, start + ADDS_IN_FLIGHT); i++) adds.push(queue.add('v', { i }));
        await Promise.all(adds);
      }
      const processSpans = () => tracing.spans().filter((s) => s.name === `process ${name}`);
      await waitFor(() => processSpans().length >= JOBS, `${JOBS} process spans`, 45_000);

      const counts = processedBy.flatMap((seen) => [...seen.values()]);
      assert.equal(counts.length, JOBS, 'processed == added');
      assert.ok(
        counts.every((n) => n === 1),
        'each job processed once',
      );
      assert.ok(
        processedBy.every((seen) => seen.size > 0),
        'both workers took jobs',
      );
      const sendById = new Map<unknown, ReadableSpan>();
      for (const span of tracing.spans()) {
        if (span.name === `send ${name}`) sendById.set(span.attributes['messaging.message.id'], span);
      }
      assert.equal(sendById.size, JOBS);
      const processing = processSpans();
      assert.equal(processing.length, JOBS);
      for (const span of processing) {
        const send = sendById.get(span.attributes['messaging.message.id']);
        assert.ok(send, `a send span for job ${String(span.attributes['messaging.message.id'])}`);
        assertChildOf(span, send);
      }
    } finally {
      await bull.close();
    }
  });
});
