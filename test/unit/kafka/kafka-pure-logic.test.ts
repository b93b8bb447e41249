// The Kafka adapter's pure logic: key recording, the attempt header, retry messages, the redelivery
// tracker, and option validation at setup. No broker needed.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { retryMessage, KAFKA_ATTEMPT_HEADER, traceConsumer, traceProducer } from '../../../src/kafka/index';
import type { KafkaConsumerLike, KafkaProducerLike } from '../../../src/kafka/index';
import { recordableKey } from '../../../src/kafka/kafka-message-key';
import { ConsumedMessageScopes } from '../../../src/kafka/consumed-message';
import { RedeliveryTracker } from '../../../src/kafka/redelivery-tracker';
import { attemptFromHeaders, withAttempt } from '../../../src/kafka/retry-message';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

describe('recordableKey', () => {
  it('records text keys, omits binary ones unless asked, and never records large keys', () => {
    assert.equal(recordableKey('order-1', false), 'order-1');
    assert.equal(recordableKey(Buffer.from('order-1'), false), 'order-1');
    assert.equal(recordableKey(Buffer.from([0xff, 0xfe]), false), undefined);
    assert.equal(recordableKey(Buffer.from([0xff, 0xfe]), true), '//4=');
    assert.equal(recordableKey(null, true), undefined);
    assert.equal(recordableKey(undefined, true), undefined);
    assert.equal(recordableKey('k'.repeat(1025), false), undefined);
    assert.equal(recordableKey(Buffer.alloc(1025, 0x61), true), undefined);
  });
});

describe('attemptFromHeaders', () => {
  it('reads a plain positive integer from a string, a Buffer or the first of repeated values', () => {
    assert.equal(attemptFromHeaders({ [KAFKA_ATTEMPT_HEADER]: '3' }), 3);
    assert.equal(attemptFromHeaders({ [KAFKA_ATTEMPT_HEADER]: Buffer.from('12') }), 12);
    assert.equal(attemptFromHeaders({ [KAFKA_ATTEMPT_HEADER]: ['2', '9'] }), 2);
  });

  it('ignores anything else', () => {
    for (const value of ['0', '-1', '1.5', '1e3', ' 2', '99999999', '', 'two', Buffer.from([0xff])]) {
      assert.equal(attemptFromHeaders({ [KAFKA_ATTEMPT_HEADER]: value }), undefined, String(value));
    }
    assert.equal(attemptFromHeaders(undefined), undefined);
    assert.equal(attemptFromHeaders({}), undefined);
    const inherited = Object.create({ [KAFKA_ATTEMPT_HEADER]: '4' }) as Record<string, string>;
    assert.equal(attemptFromHeaders(inherited), undefined, 'only own headers count');
  });
});

describe('retryMessage', () => {
  let tracing: TestTracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  const failed = {
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    timestamp: '1700000000000',
    offset: '7',
    headers: {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'a=b',
      'x-order': Buffer.from('o-1'),
    },
  };

  it('keeps key, value and application headers, drops trace headers, and numbers the next attempt', () => {
    tracing = setupTracing('w3c');
    const before = JSON.stringify(failed);
    const next = retryMessage(failed, { 'x-reason': 'declined' });
    assert.deepEqual(next, {
      key: failed.key,
      value: failed.value,
      headers: { 'x-order': failed.headers['x-order'], 'x-reason': 'declined', [KAFKA_ATTEMPT_HEADER]: '2' },
    });
    assert.equal(JSON.stringify(failed), before, 'the consumed message is not modified');
  });

  it('numbers from the attempt being processed, which the traced consumer puts in the context', () => {
    tracing = setupTracing('w3c'); // a context manager, so the attempt travels in the context
    const inContext = context.with(withAttempt(ROOT_CONTEXT, 4), () => retryMessage(failed));
    assert.equal(inContext.headers?.[KAFKA_ATTEMPT_HEADER], '5');
    const fromHeader = retryMessage({ ...failed, headers: { [KAFKA_ATTEMPT_HEADER]: '6' } });
    assert.equal(fromHeader.headers?.[KAFKA_ATTEMPT_HEADER], '7');
  });
});

describe('RedeliveryTracker', () => {
  it('counts failures of the same offset per partition, and forgets them on success or a new offset', () => {
    const tracker = new RedeliveryTracker();
    assert.equal(tracker.failuresBefore('t', 0, '5'), 0);
    tracker.recordFailure('t', 0, '5');
    tracker.recordFailure('t', 0, '5');
    assert.equal(tracker.failuresBefore('t', 0, '5'), 2);
    assert.equal(tracker.failuresBefore('t', 1, '5'), 0, 'other partitions are separate');
    assert.equal(tracker.failuresBefore('u', 0, '5'), 0, 'other topics are separate');
    tracker.recordFailure('t', 0, '6');
    assert.equal(tracker.failuresBefore('t', 0, '5'), 0, 'a failure at another offset replaces it');
    assert.equal(tracker.failuresBefore('t', 0, '6'), 1);
    tracker.recordSuccess('t', 0);
    assert.equal(tracker.failuresBefore('t', 0, '6'), 0);
  });
});

describe('option validation at setup', () => {
  const producer: KafkaProducerLike = {
    send: () => Promise.resolve([]),
    sendBatch: () => Promise.resolve([]),
    transaction: () => Promise.reject(new Error('not used')),
  };
  const consumer: KafkaConsumerLike = { run: () => Promise.resolve() };

  function assertInvalid(make: () => unknown, pattern: RegExp): void {
    assert.throws(make, (error: unknown) => {
      assert.ok(error instanceof TracebridgeConfigError);
      assert.equal(error.code, TracebridgeErrorCode.InvalidOption);
      assert.match(error.message, pattern);
      return true;
    });
  }

  it('names the option that has the wrong type', () => {
    assertInvalid(
      () => traceProducer(producer, { createSpansPerMessage: 'yes' as unknown as boolean }),
      /traceProducer: option `createSpansPerMessage` must be a boolean, got "yes"/,
    );
    assertInvalid(
      () => traceConsumer(consumer, { consumerHook: 1 as unknown as () => void }),
      /traceConsumer: option `consumerHook` must be a function, got 1/,
    );
    assertInvalid(() => traceConsumer(consumer, { groupId: null as unknown as string }), /`groupId`/);
  });

  it('rejects an unknown option, naming the closest valid one', () => {
    assertInvalid(
      () => traceProducer(producer, { recordKeys: false } as never),
      /^traceProducer: unknown option `recordKeys`; did you mean `recordMessageKeys`\?$/,
    );
    assertInvalid(
      () => traceConsumer(consumer, { recordKeys: false } as never),
      /^traceConsumer: unknown option `recordKeys`; did you mean `recordBinaryKeys` or `recordMessageKeys`\?$/,
    );
    assertInvalid(
      () => traceConsumer(consumer, { consumerHok: () => undefined } as never),
      /did you mean `consumerHook`\?$/,
    );
    // An option of the other wrapper is as unknown as a typo.
    assertInvalid(() => traceProducer(producer, { groupId: 'g' } as never), /unknown option `groupId`/);
    assertInvalid(
      () => traceConsumer(consumer, { producerHook: () => undefined } as never),
      /unknown option `producerHook`/,
    );
  });

  it('accepts every documented option', () => {
    traceProducer(producer, {
      tracerProvider: undefined,
      meterProvider: undefined,
      recordMessageKeys: false,
      createSpansPerMessage: false,
      producerHook: () => undefined,
    });
    traceConsumer(consumer, {
      tracerProvider: undefined,
      meterProvider: undefined,
      recordMessageKeys: false,
      incoming: { default: 'link', rules: [{ destination: 'orders', policy: 'parent' }] },
      groupId: 'g',
      recordBinaryKeys: true,
      consumerHook: () => undefined,
    });
    assertInvalid(
      () => traceConsumer(consumer, { recordMessageKeys: 'no' as unknown as boolean }),
      /option `recordMessageKeys` must be a boolean/,
    );
  });

  it('rejects a malformed trust policy with its own code', () => {
    assert.throws(
      () => traceConsumer(consumer, { incoming: 'trust' as unknown as 'parent' }),
      (error: unknown) =>
        error instanceof TracebridgeConfigError && error.code === TracebridgeErrorCode.InvalidIncomingPolicy,
    );
  });

  it('returns a stand-in of the same object: other members read through, the original untouched', () => {
    const before = { ...producer };
    const traced = traceProducer(producer);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compares identities, calls nothing
    assert.notEqual(traced.send, producer.send);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compares identities, calls nothing
    assert.equal(traced.transaction, traced.transaction, 'a stable identity for every member');
    assert.deepEqual({ ...producer }, before, 'nothing was assigned onto the original');
  });
});

describe('ConsumedMessageScopes', () => {
  const options = { recordMessageKeys: true, recordBinaryKeys: false };

  it('hands out one scope per partition, however their messages interleave', () => {
    const scopes = new ConsumedMessageScopes(() => 'g', options);
    const first = scopes.of('orders', 0);
    const second = scopes.of('orders', 1);
    assert.equal(scopes.of('orders', 0), first);
    assert.equal(scopes.of('orders', 1), second);
    assert.notEqual(scopes.of('payments', 0), first, 'per topic too');
    assert.deepEqual(
      { topic: first.topic, partition: first.partition, groupId: first.groupId, id: first.partitionId },
      { topic: 'orders', partition: 0, groupId: 'g', id: '0' },
    );
    assert.equal(first.recordMessageKeys, true);
    assert.equal(first.recordBinaryKeys, false);
  });

  it('makes a scope again once the group is known, and serves any partition number', () => {
    const group: { id?: string } = {};
    const scopes = new ConsumedMessageScopes(() => group.id, options);
    const before = scopes.of('orders', 2);
    assert.equal(before.groupId, undefined);
    group.id = 'joined';
    const after = scopes.of('orders', 2);
    assert.equal(after.groupId, 'joined');
    assert.equal(scopes.of('orders', 2), after);
    for (const partition of [1e9, -1, 1.5]) {
      assert.equal(scopes.of('orders', partition).partitionId, String(partition));
    }
  });
});
