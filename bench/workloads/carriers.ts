/**
 * inject + extract per carrier: what one message costs tracebridge's propagation, against the bare
 * OpenTelemetry propagator on a plain object (the floor any instrumentation pays).
 *
 * Each operation injects the active span's context into a copy of a realistic header set, then extracts
 * it from the form a consumer receives (Kafka and Redis values as Buffers, gRPC metadata as parsed).
 */
import { Metadata } from '@grpc/grpc-js';
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type * as Tracebridge from '../../src/index';
import type { ContextCarrier } from '../../src/index';
import { createPropagator } from '../../test/helpers/tracing';
import type { PropagatorName } from '../../test/helpers/tracing';
import { loadBuilt } from '../built-package';
import type { BenchOptions, Variant, Workload } from '../runner';

const SPAN_CONTEXT = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: false,
};

/** Keeps results observable so the JIT cannot drop the work. */
let sink = 0;

function variant<C>(
  name: string,
  carrier: ContextCarrier<C>,
  outgoing: () => C,
  received: (injected: C) => C,
): Variant {
  return {
    name,
    run(operations) {
      const ctx: Context = trace.setSpanContext(ROOT_CONTEXT, SPAN_CONTEXT);
      const template = outgoing();
      // What the consumer receives depends only on the context, so it is built once; extract runs each time.
      const onTheWire = received(carrier.inject(ctx, template));
      for (let i = 0; i < operations; i++) {
        const injected = carrier.inject(ctx, template);
        const extracted = carrier.extract(ROOT_CONTEXT, onTheWire);
        sink += (injected === template ? 0 : 1) + (trace.getSpanContext(extracted) === undefined ? 0 : 1);
      }
    },
  };
}

export function carriersWorkload(propagatorName: PropagatorName, options: BenchOptions): Workload {
  const {
    amqpHeadersCarrier,
    envelopeHeadersCarrier,
    grpcMetadataCarrier,
    kafkaHeadersCarrier,
    redisStreamFieldsCarrier,
  } = loadBuilt<typeof Tracebridge>('index', (m) => m.createContextCarrier);
  const toBuffers = (h: Record<string, unknown> | undefined) =>
    Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, Buffer.from(String(v))]));
  return {
    name: 'carriers',
    description: `inject + extract per carrier, ${propagatorName} propagator`,
    unit: 'inject+extract',
    operations: options.quick ? 30_000 : 100_000,
    rounds: options.quick ? 3 : 7,
    setup() {
      propagation.disable();
      propagation.setGlobalPropagator(createPropagator(propagatorName));
    },
    teardown() {
      propagation.disable();
      context.disable();
    },
    variants: (
      [
        {
          name: 'bare propagator, plain object',
          run(operations) {
            const ctx = trace.setSpanContext(ROOT_CONTEXT, SPAN_CONTEXT);
            for (let i = 0; i < operations; i++) {
              const carrier: Record<string, string> = { 'x-request-id': 'req-1' };
              propagation.inject(ctx, carrier, defaultTextMapSetter);
              const extracted = propagation.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
              sink += trace.getSpanContext(extracted) === undefined ? 0 : 1;
            }
          },
        },
        variant(
          'kafka headers',
          kafkaHeadersCarrier,
          () => ({ 'x-request-id': Buffer.from('req-1') }),
          toBuffers,
        ),
        variant(
          'amqp headers',
          amqpHeadersCarrier,
          () => ({ 'x-request-id': 'req-1', 'x-retries': 0 }),
          (h) => h,
        ),
        variant(
          'grpc metadata',
          grpcMetadataCarrier,
          () => {
            const m = new Metadata();
            m.set('x-request-id', 'req-1');
            return m;
          },
          (m) => m,
        ),
        variant(
          'redis stream fields',
          redisStreamFieldsCarrier,
          () => ['job', 'resize', 'x-request-id', 'req-1'],
          (f) => (f as string[]).map((v) => Buffer.from(v)),
        ),
        variant(
          'envelope headers',
          envelopeHeadersCarrier,
          () => ({}),
          (h) => h,
        ),
      ] as Variant[]
    ).filter((v) => options.include(v.name)),
  };
}

/** Printed by index.ts after a run, so the loops above have an observable effect. */
export function carriersSink(): number {
  return sink;
}
