import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import type { Context, SpanContext } from '@opentelemetry/api';
import { amqpHeadersCarrier } from '../../../src/propagation/amqp-headers-carrier';
import type { ContextCarrier } from '../../../src/propagation/context-carrier';
import { decodeEnvelope, encodeEnvelope, envelopeHeadersCarrier } from '../../../src/propagation/envelope';
import { grpcMetadataCarrier } from '../../../src/propagation/grpc-metadata-carrier';
import type { GrpcMetadata } from '../../../src/propagation/grpc-metadata-carrier';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import { redisStreamFieldsCarrier } from '../../../src/propagation/redis-stream-fields-carrier';
import type { RedisStreamFields } from '../../../src/propagation/redis-stream-fields-carrier';
import { PROPAGATOR_NAMES, setupTracing, TRACE_HEADER } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

const SPAN_CONTEXT: SpanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
};
const BAGGAGE = propagation.createBaggage({ tenant: { value: 'acme' }, region: { value: 'eu-west-1' } });

function outgoingContext(): Context {
  return propagation.setBaggage(trace.setSpanContext(ROOT_CONTEXT, SPAN_CONTEXT), BAGGAGE);
}

/**
 * Each carrier as a test drives it: a fresh, non-empty "caller's" object with a non-tracing field, and a
 * round trip that goes through the transport's real wire shape where there is one (the envelope bytes,
 * the flat stream field list).
 */
interface CarrierCase<C> {
  readonly carrier: ContextCarrier<C>;
  callerObject(): C;
  /** What the consumer side would hold after transport. */
  transport(injected: C): C;
  /** The caller's non-tracing field, read back. */
  userField(value: C): unknown;
  /** A tracing header's value, read back (to check what was injected). */
  field(value: C, key: string): unknown;
}

// Each case is checked against its own carrier type by `satisfies`; the map erases them to one shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const CASES: Record<string, CarrierCase<any>> = {
  'kafka headers': {
    carrier: kafkaHeadersCarrier,
    callerObject: () => ({ 'x-request-id': Buffer.from('req-1') }),
    transport: (h: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(v as string)])),
    userField: (h: Record<string, unknown>) => h['x-request-id']?.toString(),
    field: (h: Record<string, unknown>, key) => h[key],
  } satisfies CarrierCase<Record<string, unknown> | undefined>,
  'amqp headers': {
    carrier: amqpHeadersCarrier,
    callerObject: () => ({ 'x-request-id': 'req-1', 'x-retries': 3 }),
    transport: (h) => h,
    userField: (h: Record<string, unknown>) => h['x-request-id'],
    field: (h: Record<string, unknown>, key) => h[key],
  } satisfies CarrierCase<Record<string, unknown> | undefined>,
  'grpc metadata': {
    carrier: grpcMetadataCarrier,
    callerObject: () => {
      const m = new Metadata();
      m.set('x-request-id', 'req-1');
      return m;
    },
    transport: (m: GrpcMetadata) =>
      Metadata.fromHttp2Headers((m as Metadata).toHttp2Headers() as IncomingHttpHeaders),
    userField: (m: GrpcMetadata) => m.get('x-request-id')[0],
    field: (m: GrpcMetadata, key) => m.get(key)[0],
  } satisfies CarrierCase<GrpcMetadata>,
  'redis stream fields': {
    carrier: redisStreamFieldsCarrier,
    callerObject: () => ['job', 'resize', 'x-request-id', 'req-1'],
    transport: (f: RedisStreamFields) => (f as string[]).map((v) => Buffer.from(v)),
    userField: (f: RedisStreamFields) => {
      const list = f as (string | Buffer)[];
      return list[list.findIndex((v) => v.toString() === 'x-request-id') + 1]?.toString();
    },
    field: (f: RedisStreamFields, key) => {
      const list = f as string[];
      const i = list.indexOf(key);
      return i >= 0 && i % 2 === 0 ? list[i + 1] : undefined;
    },
  } satisfies CarrierCase<RedisStreamFields | undefined>,
  envelope: {
    carrier: envelopeHeadersCarrier,
    callerObject: () => ({ 'x-request-id': 'req-1' }),
    transport: (h: Record<string, string>) => {
      const decoded = decodeEnvelope(encodeEnvelope('payload', h));
      assert.ok(decoded.isEnvelope);
      assert.equal(decoded.payload.toString(), 'payload');
      return decoded.headers;
    },
    userField: (h: Record<string, string>) => h['x-request-id'],
    field: (h: Record<string, string>, key) => h[key],
  } satisfies CarrierCase<Record<string, string> | undefined>,
};

for (const propagatorName of PROPAGATOR_NAMES) {
  describe(`carriers with the ${propagatorName} propagator`, () => {
    let tracing: TestTracing;
    before(() => {
      tracing = setupTracing(propagatorName);
    });
    after(() => tracing.shutdown());

    for (const [name, c] of Object.entries(CASES)) {
      it(`${name}: inject then extract yields the same span context${propagatorName === 'w3c' || propagatorName === 'jaeger' ? ' and baggage' : ''}`, () => {
        const callerObject: unknown = c.callerObject();
        const before = JSON.stringify(callerObject);
        const injected: unknown = c.carrier.inject(outgoingContext(), callerObject);

        assert.notEqual(injected, callerObject, 'inject returns a copy');
        assert.equal(JSON.stringify(callerObject), before, "the caller's object is untouched");
        assert.equal(c.field(callerObject, TRACE_HEADER[propagatorName]), undefined);
        assert.ok(
          c.field(injected, TRACE_HEADER[propagatorName]) !== undefined,
          'the trace header was injected',
        );

        const received: unknown = c.transport(injected);
        assert.equal(c.userField(received), 'req-1', 'non-tracing fields pass through');
        const extracted = c.carrier.extract(ROOT_CONTEXT, received);
        const spanContext = trace.getSpanContext(extracted);
        assert.equal(spanContext?.traceId, SPAN_CONTEXT.traceId);
        assert.equal(spanContext?.spanId, SPAN_CONTEXT.spanId);
        assert.equal(spanContext?.traceFlags, TraceFlags.SAMPLED);
        assert.equal(spanContext?.isRemote, true);
        if (propagatorName === 'w3c' || propagatorName === 'jaeger') {
          const baggage = propagation.getBaggage(extracted);
          assert.equal(baggage?.getEntry('tenant')?.value, 'acme');
          assert.equal(baggage?.getEntry('region')?.value, 'eu-west-1');
        }
      });
    }
  });
}

describe('carriers: edges', () => {
  let tracing: TestTracing;
  before(() => {
    tracing = setupTracing('w3c');
  });
  after(() => tracing.shutdown());

  it('an absent header object is created on inject and read as "no context" on extract', () => {
    const injected = kafkaHeadersCarrier.inject(outgoingContext(), undefined);
    assert.equal(typeof injected?.['traceparent'], 'string');
    assert.equal(amqpHeadersCarrier.extract(ROOT_CONTEXT, undefined), ROOT_CONTEXT);
    assert.equal(
      redisStreamFieldsCarrier.inject(ROOT_CONTEXT, undefined),
      undefined,
      'nothing to inject, nothing made',
    );
  });

  it('returns the caller object itself when there is nothing to inject (no copy needed)', () => {
    const headers = { a: 'b' };
    assert.equal(kafkaHeadersCarrier.inject(ROOT_CONTEXT, headers), headers);
  });

  it('re-injecting a message object twice never carries a stale traceparent', () => {
    const message = { 'x-id': '1' };
    const first = kafkaHeadersCarrier.inject(outgoingContext(), message);
    const other = trace.setSpanContext(ROOT_CONTEXT, { ...SPAN_CONTEXT, spanId: '1111111111111111' });
    const second = kafkaHeadersCarrier.inject(other, first);
    assert.match(String(second?.['traceparent']), /-1111111111111111-/);
    assert.match(String(first?.['traceparent']), /-b7ad6b7169203331-/, 'the first copy is untouched too');
  });

  it('kafka: a repeated header (array) yields its first valid value', () => {
    const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const other = '00-11111111111111111111111111111111-2222222222222222-01';
    const ctx = kafkaHeadersCarrier.extract(ROOT_CONTEXT, {
      traceparent: [Buffer.from([0xff, 0xfe]), Buffer.from('junk'), Buffer.from(valid), Buffer.from(other)],
    });
    assert.equal(trace.getSpanContext(ctx)?.spanId, 'b7ad6b7169203331');
  });

  it('amqp: typed header values that are not strings or bytes are ignored', () => {
    for (const value of [42, null, true, { nested: 'table' }, [1, 2], new Date()]) {
      assert.equal(
        trace.getSpanContext(amqpHeadersCarrier.extract(ROOT_CONTEXT, { traceparent: value })),
        undefined,
      );
    }
  });

  it('grpc: binary keys are never read as propagation headers, and a refused key does not throw', () => {
    const m = new Metadata();
    m.set('traceparent-bin', Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'));
    assert.equal(grpcMetadataCarrier.extract(ROOT_CONTEXT, m), ROOT_CONTEXT);
    propagation.disable();
    propagation.setGlobalPropagator({
      inject: (_ctx, carrier, setter) => setter.set(carrier, 'Illegal Key!', 'v'),
      extract: (ctx) => ctx,
      fields: () => ['Illegal Key!'],
    });
    const original = new Metadata();
    assert.doesNotThrow(() => grpcMetadataCarrier.inject(outgoingContext(), original));
    assert.deepEqual(original.getMap(), {});
    propagation.disable();
    tracing = setupTracing('w3c');
  });

  it('redis: reads every reply shape (flat list, Buffers, object, Map) and keeps the shape on inject', () => {
    const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const shapes: RedisStreamFields[] = [
      ['traceparent', valid],
      [Buffer.from('traceparent'), Buffer.from(valid)],
      { traceparent: valid },
      new Map([['traceparent', valid]]),
      new Map([[Buffer.from('traceparent'), Buffer.from(valid)]]),
    ];
    for (const shape of shapes) {
      assert.equal(
        trace.getSpanContext(redisStreamFieldsCarrier.extract(ROOT_CONTEXT, shape))?.spanId,
        'b7ad6b7169203331',
      );
    }
    assert.ok(redisStreamFieldsCarrier.inject(outgoingContext(), new Map()) instanceof Map);
    const list = redisStreamFieldsCarrier.inject(outgoingContext(), [
      'traceparent',
      'stale',
      'job',
      'x',
    ]) as string[];
    assert.equal(
      list.filter((v) => v === 'traceparent').length,
      1,
      'an existing field is replaced, not repeated',
    );
    assert.notEqual(list[1], 'stale');
  });

  it('a propagator that throws is contained: inject returns the headers, extract the given context', () => {
    propagation.disable();
    propagation.setGlobalPropagator({
      inject: () => {
        throw new Error('boom');
      },
      extract: () => {
        throw new Error('boom');
      },
      fields: () => [],
    });
    const headers = { a: '1' };
    assert.equal(kafkaHeadersCarrier.inject(outgoingContext(), headers), headers);
    assert.equal(kafkaHeadersCarrier.extract(ROOT_CONTEXT, headers), ROOT_CONTEXT);
    propagation.disable();
    tracing = setupTracing('w3c');
  });
});
