/**
 * The first import of `contrib-peer-process.ts`, so it runs before kafkajs, amqplib and grpc-js are
 * loaded (the contrib instrumentations patch them as they are required): a NodeTracerProvider of the
 * peer's own, with the propagator named by the first argument, and the contrib kafkajs, amqplib and grpc
 * instrumentations, as a service that never heard of tracebridge sets itself up.
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { spanProcessorToParent } from '../../helpers/peer-child';
import { createPropagator, PROPAGATOR_NAMES } from '../../helpers/tracing';
import type { PropagatorName } from '../../helpers/tracing';

const propagatorName = process.argv[2] as PropagatorName;
if (!PROPAGATOR_NAMES.includes(propagatorName)) throw new Error(`usage: <${PROPAGATOR_NAMES.join('|')}>`);

const provider = new NodeTracerProvider({ spanProcessors: [spanProcessorToParent()] });
provider.register({ propagator: createPropagator(propagatorName) });
registerInstrumentations({
  tracerProvider: provider,
  instrumentations: [new KafkaJsInstrumentation(), new AmqplibInstrumentation(), new GrpcInstrumentation()],
});
