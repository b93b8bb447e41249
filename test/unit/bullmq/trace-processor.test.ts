/**
 * `traceProcessor` outside a BullMQ span: setup checks, arity and results kept, and `jobReadiness` on
 * the jobs BullMQ hands a processor and on hostile values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceProcessor } from '../../../src/bullmq/index';
import { jobReadiness } from '../../../src/bullmq/trace-processor';

describe('traceProcessor', () => {
  it('refuses a processor that is not a function at setup', () => {
    assert.throws(() => traceProcessor('./processor.js' as never), {
      name: 'TracebridgeConfigError',
      code: 'TRACEBRIDGE_INVALID_OPTION',
    });
  });

  it("keeps the processor's arity, result, error and this", async () => {
    const withSignal = traceProcessor((_job: unknown, _token?: string, _signal?: AbortSignal) => 1);
    assert.equal(withSignal.length, 3, 'BullMQ hands an abort signal only to processors of 3 parameters');
    const failure = new RangeError('no');
    const failing = traceProcessor(async () => {
      throw failure;
    });
    await assert.rejects(failing({ timestamp: 1 }), (error) => error === failure);
    const self = { n: 41 };
    const method = traceProcessor(function (this: typeof self) {
      return this.n + 1;
    });
    assert.equal(method.call(self, null), 42);
  });

  it('reads hostile jobs without throwing and passes them on', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('hostile');
        },
      },
    );
    assert.equal(traceProcessor((job: unknown) => job)(hostile), hostile);
  });
});

describe('jobReadiness', () => {
  it('is timestamp + opts.delay for a first attempt', () => {
    assert.deepEqual(jobReadiness({ timestamp: 1000, delay: 0, opts: { delay: 300 }, attemptsMade: 0 }), {
      readyAtMs: 1300,
      delayMs: 300,
    });
    assert.deepEqual(jobReadiness({ timestamp: 1000, opts: {}, attemptsMade: 0, attemptsStarted: 1 }), {
      readyAtMs: 1000,
      delayMs: 0,
    });
  });

  it('knows nothing of a retry, a recovered stalled job, or what is not a job', () => {
    for (const job of [
      { timestamp: 1000, opts: { delay: 300 }, attemptsMade: 1 },
      { timestamp: 1000, opts: {}, attemptsMade: 0, attemptsStarted: 2 },
      { timestamp: -5, opts: {} },
      { timestamp: Number.NaN },
      { timestamp: '1000' },
      null,
      'job',
      undefined,
    ]) {
      assert.equal(jobReadiness(job), undefined, JSON.stringify(job));
    }
    assert.deepEqual(jobReadiness({ timestamp: 1000, opts: { delay: -1 } }), { readyAtMs: 1000, delayMs: 0 });
  });
});
