/**
 * Misconfiguration throws a named TracebridgeConfigError at setup, before any command is sent; the
 * caller's options objects are never modified; ioredis 5 and 6 clients fit the helpers' parameter types
 * (this file only compiles if they do).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metrics, trace } from '@opentelemetry/api';
import { Redis as Redis5 } from 'ioredis';
import Redis6 from 'ioredis6';
import {
  channelListener,
  channelPublisher,
  delayedJobs,
  listConsumer,
  listProducer,
  streamConsumer,
  streamProducer,
  streamWorker,
} from '../../../src/redis/index';
import type { RedisCommandClient, RedisConnection, RedisSubscriber } from '../../../src/redis/index';

const NOT_A_CLIENT = {} as RedisConnection;
const client: RedisConnection & RedisSubscriber = {
  status: 'ready',
  call: () => Promise.resolve(null),
  callBuffer: () => Promise.resolve(null),
  once: () => undefined,
  on: () => undefined,
  removeListener: () => undefined,
};

function assertConfigError(make: () => unknown, message: RegExp): void {
  assert.throws(make, (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'TracebridgeConfigError');
    assert.equal((error as { code?: string }).code, 'TRACEBRIDGE_INVALID_OPTION');
    assert.match(error.message, message);
    return true;
  });
}

describe('redis helpers: setup-time errors', () => {
  it('names a missing or empty stream, group, consumer or list', () => {
    assertConfigError(() => streamProducer(client, { stream: '' }), /stream/);
    assertConfigError(() => streamConsumer(client, { group: 'g' } as never), /consumer/);
    assertConfigError(() => streamConsumer(client, { group: '', consumer: 'c' }), /group/);
    assertConfigError(() => listProducer(client, {} as never), /list/);
    assertConfigError(() => delayedJobs(client, { stream: 's', key: '' }), /key/);
  });

  it('refuses something that is not an ioredis client', () => {
    assertConfigError(() => streamProducer(NOT_A_CLIENT, { stream: 's' }), /no call/);
    assertConfigError(() => streamConsumer(NOT_A_CLIENT, { group: 'g', consumer: 'c' }), /ioredis client/);
    assertConfigError(() => channelPublisher(null as unknown as RedisCommandClient), /ioredis client/);
    assertConfigError(() => channelListener({} as RedisSubscriber, () => undefined), /subscriber/);
  });

  it('checks numbers, functions, the list end and the trust policy', () => {
    const worker = { stream: 's', group: 'g', consumer: 'c', handler: () => undefined };
    assertConfigError(() => streamProducer(client, { stream: 's', maxLen: 0 }), /maxLen/);
    assertConfigError(() => streamWorker(client, { ...worker, count: 1.5 }), /count/);
    assertConfigError(() => streamWorker(client, { ...worker, blockMs: -1 }), /blockMs/);
    assertConfigError(
      () => streamWorker(client, { ...worker, claimMinIdleMs: Number.NaN }),
      /claimMinIdleMs/,
    );
    assertConfigError(() => streamWorker(client, { ...worker, handler: 'nope' as never }), /handler/);
    assertConfigError(() => streamWorker(client, { ...worker, onError: 1 as never }), /onError/);
    assertConfigError(() => listProducer(client, { list: 'l', end: 'middle' as never }), /end/);
    assert.throws(() => listConsumer({ incoming: 'trust-me' as never }), {
      name: 'TracebridgeConfigError',
      code: 'TRACEBRIDGE_INVALID_INCOMING_POLICY',
    });
  });

  it("never modifies the caller's options", () => {
    const worker = Object.freeze({ stream: 's', group: 'g', consumer: 'c', handler: () => undefined });
    assert.doesNotThrow(() => streamWorker(client, worker));
    assert.doesNotThrow(() => streamConsumer(client, Object.freeze({ group: 'g', consumer: 'c' })));
    assert.doesNotThrow(() => streamProducer(client, Object.freeze({ stream: 's', maxLen: 10 })));
    assert.doesNotThrow(() => delayedJobs(client, Object.freeze({ stream: 's' })));
  });

  it('accepts 0 where an option is an integer >= 0, and names the helper in the message', () => {
    const worker = { stream: 's', group: 'g', consumer: 'c', handler: () => undefined };
    assert.doesNotThrow(() => streamWorker(client, { ...worker, retryDelayMs: 0, claimMinIdleMs: 0 }));
    assertConfigError(
      () => streamWorker(client, { ...worker, retryDelayMs: 1.5 }),
      /^streamWorker: .*retryDelayMs/,
    );
    assertConfigError(() => listConsumer({ keyPrefix: 7 as never }), /^listConsumer: .*keyPrefix/);
    assertConfigError(
      () => channelPublisher(client, { sendHook: 'x' as never }),
      /^channelPublisher: .*sendHook/,
    );
  });

  it('promoteDueJobs rejects a malformed option with TracebridgeConfigError', async () => {
    const jobs = delayedJobs(client, { stream: 's' });
    await assert.rejects(jobs.promoteDueJobs({ nowMs: -1 }), {
      name: 'TracebridgeConfigError',
      message: /nowMs/,
    });
    await assert.rejects(jobs.promoteDueJobs({ limit: 0 }), {
      name: 'TracebridgeConfigError',
      message: /limit/,
    });
  });

  it('refuses unknown option names, naming the closest valid one', () => {
    const worker = { stream: 's', group: 'g', consumer: 'c', handler: () => undefined };
    assertConfigError(() => streamWorker(client, { ...worker, retryDelay: 10 } as never), /retryDelay/);
    assertConfigError(() => streamProducer(client, { stream: 's', maxLength: 1 } as never), /maxLength/);
    assertConfigError(
      () => streamConsumer(client, { group: 'g', consumer: 'c', groupName: 'x' } as never),
      /groupName/,
    );
    assertConfigError(() => delayedJobs(client, { stream: 's', delayedKey: 'k' } as never), /delayedKey/);
    assertConfigError(() => listProducer(client, { list: 'l', side: 'left' } as never), /side/);
    assertConfigError(() => listConsumer({ prefix: 'p:' } as never), /prefix/);
    assertConfigError(() => channelPublisher(client, { hook: () => undefined } as never), /hook/);
    assertConfigError(
      () => channelListener(client, () => undefined, { onerror: () => undefined } as never),
      /onerror/,
    );
  });

  it('lists every documented option as known (each accepted on its own)', () => {
    const hook = () => undefined;
    const telemetry = {
      tracerProvider: trace.getTracerProvider(),
      meterProvider: metrics.getMeterProvider(),
    };
    assert.doesNotThrow(() => {
      streamProducer(client, { ...telemetry, stream: 's', maxLen: 5, sendHook: hook });
      streamConsumer(client, {
        ...telemetry,
        group: 'g',
        consumer: 'c',
        incoming: 'link',
        processHook: hook,
      });
      streamWorker(client, {
        ...telemetry,
        stream: 's',
        group: 'g',
        consumer: 'c',
        incoming: 'parent',
        processHook: hook,
        handler: hook,
        count: 1,
        blockMs: 1,
        buffers: true,
        claimMinIdleMs: 0,
        claimIntervalMs: 0,
        claimCount: 1,
        createGroup: false,
        groupStartId: '$',
        retryDelayMs: 0,
        onError: hook,
      });
      delayedJobs(client, {
        ...telemetry,
        stream: 's',
        key: 'k',
        unpromotableKey: 'u',
        maxLen: 1,
        sendHook: hook,
      });
      listProducer(client, { ...telemetry, list: 'l', end: 'right', sendHook: hook });
      listConsumer({ ...telemetry, incoming: 'ignore', processHook: hook, keyPrefix: 'p:' });
      channelPublisher(client, { ...telemetry, sendHook: hook });
      channelListener(client, hook, {
        ...telemetry,
        incoming: 'link',
        processHook: hook,
        onError: hook,
      }).close();
    });
  });

  it('accepts ioredis 5 and ioredis 6 clients (type-checked; no connection is made)', () => {
    const v5 = new Redis5({ lazyConnect: true });
    const v6 = new Redis6({ lazyConnect: true });
    try {
      for (const redis of [v5, v6]) {
        assert.ok(streamProducer(redis, { stream: 's' }));
        assert.ok(streamConsumer(redis, { group: 'g', consumer: 'c' }));
        assert.ok(streamWorker(redis, { stream: 's', group: 'g', consumer: 'c', handler: () => undefined }));
        assert.ok(delayedJobs(redis, { stream: 's' }));
        assert.ok(listProducer(redis, { list: 'l' }));
        assert.ok(channelPublisher(redis));
        channelListener(redis, () => undefined).close();
      }
    } finally {
      v5.disconnect();
      v6.disconnect();
    }
  });
});
