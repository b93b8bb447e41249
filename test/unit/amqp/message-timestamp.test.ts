/**
 * The AMQP `timestamp` property: written in whole seconds (as AMQP defines it), read in seconds or
 * milliseconds by magnitude, anything else ignored.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enqueueTimeMs, timestampNowSeconds } from '../../../src/amqp/message-timestamp';

describe('timestampNowSeconds', () => {
  it('is the current time in whole seconds', () => {
    const before = Date.now();
    const seconds = timestampNowSeconds();
    const after = Date.now();
    assert.ok(Number.isInteger(seconds));
    assert.ok(seconds >= Math.floor(before / 1000) && seconds <= Math.floor(after / 1000));
  });
});

describe('enqueueTimeMs', () => {
  it('reads whole seconds as the last millisecond of that second (time in queue is a lower bound)', () => {
    assert.equal(enqueueTimeMs(1_700_000_000), 1_700_000_000_999);
  });

  it('reads a fractional seconds value at its own precision', () => {
    assert.equal(enqueueTimeMs(1_700_000_000.25), 1_700_000_000_250);
  });

  it('reads milliseconds as milliseconds', () => {
    assert.equal(enqueueTimeMs(1_700_000_000_123), 1_700_000_000_123);
  });

  it('never reads a value tracebridge wrote as lying in the future', () => {
    const stampedMs = enqueueTimeMs(timestampNowSeconds());
    assert.ok(stampedMs !== undefined && stampedMs - Date.now() < 1000);
  });

  const ignored: [label: string, value: unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['0', 0],
    ['a negative number', -5],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['a string', '1700000000'],
    ['a bigint', 1_700_000_000n],
    ['a table', {}],
    ['an array', [1]],
  ];
  for (const [label, value] of ignored) {
    it(`ignores ${label}`, () => {
      assert.equal(enqueueTimeMs(value), undefined);
    });
  }
});
