// Whatever the application throws or rejects with reaches it unchanged (the same value), the span ends
// once with an ERROR status, and tracebridge adds no throw and no unhandled rejection of its own, however
// hostile the value is to inspect.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { diag, DiagLogLevel, SpanStatusCode } from '@opentelemetry/api';
import type { DiagLogger, Span, TracerProvider } from '@opentelemetry/api';
import { describeHostError, hostErrorType } from '../../../src/core/host-error';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import type { MessagingSpan } from '../../../src/core/messaging-span';
import { isPromiseLike } from '../../../src/core/promise-like';
import { countSpanEnds } from '../../helpers/span-end-counter';
import type { SpanEndCounter } from '../../helpers/span-end-counter';
import {
  collectUnhandledRejections,
  errorWithThrowingGetters,
  hostileValues,
  proxyThrowingOnEveryTrap,
  rejectionOf,
  revokedProxy,
  settleTicks,
} from '../../helpers/hostile-values';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

let tracing: TestTracing;
let ends: SpanEndCounter;
let unhandled: ReturnType<typeof collectUnhandledRejections>;
beforeEach(() => {
  tracing = setupTracing('w3c');
  ends = countSpanEnds(tracing.provider);
  unhandled = collectUnhandledRejections();
});
afterEach(async () => {
  await settleTicks();
  unhandled.uninstall();
  await tracing.shutdown();
  assert.deepEqual(unhandled.reasons, [], 'tracebridge caused no unhandled rejection');
});

function startSpan(provider: TracerProvider = ends.provider): MessagingSpan {
  return new MessagingTelemetry({ system: 'test', tracerProvider: provider }).startSend({
    destination: 'q',
    operationName: 'send',
    info: undefined,
  });
}

/** The one exported span ended exactly once with an ERROR status. */
function assertEndedOnceWithError(): void {
  assert.deepEqual(ends.misended(), []);
  const [exported, ...others] = tracing.spans();
  assert.equal(others.length, 0);
  assert.equal(exported?.status.code, SpanStatusCode.ERROR);
  assert.equal(typeof exported.attributes['error.type'], 'string');
}

const throwing = (value: unknown) => () => {
  throw value;
};

/** A promise rejected with `value`, whatever it is: what a host's async handler may hand back. */
// eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rejecting with non-Errors is the point
const rejected = (value: unknown): Promise<never> => Promise.reject(value);

describe('a hostile thrown value reaches the host unchanged', () => {
  for (const [name, value] of hostileValues()) {
    it(`runAndEnd, thrown synchronously: ${name}`, () => {
      assert.throws(
        () => startSpan().runAndEnd(throwing(value)),
        (caught) => caught === value,
      );
      assertEndedOnceWithError();
    });

    it(`runAndEnd, rejected: ${name}`, async () => {
      const { error } = await rejectionOf(startSpan().runAndEnd(() => rejected(value)));
      assert.ok(error === value);
      await settleTicks();
      assertEndedOnceWithError();
    });

    it(`runUnawaited, thrown and rejected: ${name}`, async () => {
      assert.throws(
        () => startSpan().runUnawaited(throwing(value), true),
        (caught) => caught === value,
      );
      const { error } = await rejectionOf(startSpan().runUnawaited(() => rejected(value), true));
      assert.ok(error === value);
      await settleTicks();
      assert.deepEqual(ends.misended(), []);
      assert.deepEqual(
        tracing.spans().map((s) => s.status.code),
        [SpanStatusCode.ERROR, SpanStatusCode.ERROR],
      );
    });

    it(`run, then end: ${name}`, async () => {
      const span = startSpan();
      const result = span.run(() => rejected(value));
      assert.ok((await rejectionOf(result)).error === value);
      await settleTicks();
      span.end();
      assertEndedOnceWithError();
    });
  }

  it('a handler returning a Proxy that throws on every trap gets it back, and the span ends', () => {
    const hostile = proxyThrowingOnEveryTrap();
    assert.equal(
      startSpan().runAndEnd(() => hostile),
      hostile,
    );
    const revoked = revokedProxy();
    assert.equal(
      startSpan().runUnawaited(() => revoked, true),
      revoked,
    );
    assert.deepEqual(ends.misended(), []);
    assert.equal(tracing.spans().length, 2);
  });

  it('a thenable whose then throws is handed back as it is, and the span ends', () => {
    const thenable = {
      then() {
        throw new Error('then refused');
      },
    };
    assert.equal(
      startSpan().runAndEnd(() => thenable),
      thenable,
    );
    assert.equal(
      startSpan().runUnawaited(() => thenable, true),
      thenable,
    );
    assert.deepEqual(ends.misended(), []);
    assert.equal(tracing.spans().length, 2);
  });
});

describe('when the SDK and the diag logger throw too', () => {
  afterEach(() => diag.disable());

  it('the host still receives its own error, sync and async', async () => {
    const thrower: DiagLogger = {
      error: () => {
        throw new Error('logger error');
      },
      warn: () => {
        throw new Error('logger warn');
      },
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    };
    diag.setLogger(thrower, DiagLogLevel.ALL);
    const brokenSpan = {
      isRecording: () => true,
      recordException: () => {
        throw new Error('recordException');
      },
      setStatus: () => {
        throw new Error('setStatus');
      },
      setAttribute: () => {
        throw new Error('setAttribute');
      },
      end: () => {
        throw new Error('end');
      },
      spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
    } as unknown as Span;
    const provider: TracerProvider = {
      getTracer: () => ({ startSpan: () => brokenSpan, startActiveSpan: () => undefined as never }),
    };
    const own = errorWithThrowingGetters();
    assert.throws(
      () => startSpan(provider).runAndEnd(throwing(own)),
      (caught) => caught === own,
    );
    await assert.rejects(
      startSpan(provider).runAndEnd(() => rejected(own)),
      (caught) => caught === own,
    );
  });
});

describe('describeHostError', () => {
  it('reads a plain Error as the SDK would: name, message, stack, code', () => {
    const error = Object.assign(new TypeError('bad order'), { code: 'E_ORDER' });
    const described = describeHostError(error);
    assert.equal(described.type, 'TypeError');
    assert.equal(described.message, 'bad order');
    assert.deepEqual(
      { ...(described.exception as object), stack: undefined },
      { name: 'TypeError', message: 'bad order', code: 'E_ORDER', stack: undefined },
    );
    assert.match((described.exception as { stack: string }).stack, /bad order/);
    assert.equal(hostErrorType(error), 'TypeError');
  });

  it('falls back to the class name, then _OTHER; never reads a non-Error object', () => {
    class OrderRejected extends Error {}
    const unnamed = new OrderRejected('x');
    Object.defineProperty(unnamed, 'name', { value: '' });
    assert.equal(hostErrorType(unnamed), 'OrderRejected');
    assert.equal(hostErrorType(errorWithThrowingGetters()), '_OTHER');
    assert.deepEqual(describeHostError(proxyThrowingOnEveryTrap()), {
      type: '_OTHER',
      message: 'thrown object',
      exception: undefined,
    });
    assert.equal(describeHostError(null).message, 'thrown null');
    assert.equal(describeHostError(Symbol('s')).message, 'Symbol(s)');
  });

  it('caps what it copies from a huge message', () => {
    const described = describeHostError(new Error('x'.repeat(100_000)));
    assert.ok(described.message.length < 5000);
  });
});

describe('isPromiseLike', () => {
  it('is false, not a throw, for values whose then cannot be read', () => {
    assert.equal(isPromiseLike(proxyThrowingOnEveryTrap()), false);
    assert.equal(isPromiseLike(revokedProxy()), false);
    assert.equal(isPromiseLike(Promise.resolve()), true);
  });
});
