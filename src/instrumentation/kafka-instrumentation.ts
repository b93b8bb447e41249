import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { safely } from '../core/diagnostics';
import type { DefaultsScope } from '../core/instrumentation-defaults';
import { traceConsumer } from '../kafka/traced-consumer';
import { traceProducer } from '../kafka/traced-producer';
import type { KafkaConsumerLike, KafkaProducerLike } from '../kafka/kafka-types';
import { removeContribPatches } from './contrib-overlaps';
import type { TracebridgeTransportConfig } from './instrumentation-config';
import { patchMethod, unpatchMethod } from './method-patch';
import { TransportInstrumentation } from './transport-instrumentation';

/** kafkajs as the hooks see it: the `Kafka` class whose factories make producers and consumers. */
interface KafkajsModule {
  readonly Kafka?: { readonly prototype: object };
}

const FACTORIES = ['producer', 'consumer'] as const;

/** What each factory's clients are traced with. */
const TRACERS: Readonly<Record<(typeof FACTORIES)[number], (client: never) => unknown>> = {
  producer: (producer: KafkaProducerLike) => traceProducer(producer),
  consumer: (consumer: KafkaConsumerLike) => traceConsumer(consumer),
};

/**
 * The OpenTelemetry instrumentation for tracebridge's Kafka wrappers (`traceProducer`, `traceConsumer`):
 * put it in NodeSDK's `instrumentations` (or use {@link TracebridgeInstrumentation} for every transport).
 *
 * - Wrappers created without `tracerProvider`, `meterProvider` or `incoming` use NodeSDK's providers and
 *   this instrumentation's `incoming`; `disable()` makes them record nothing.
 * - In zero-code mode, every producer and consumer kafkajs 2.x makes (`Kafka.prototype.producer` and
 *   `consumer`) after registration is returned traced; wrapping one again returns it as is.
 * - When kafkajs loads, the patches of `@opentelemetry/instrumentation-kafkajs` are removed (see
 *   `unpatchContrib`), so that a send or a message has one span.
 */
export class TracebridgeKafkaInstrumentation extends TransportInstrumentation {
  constructor(config?: TracebridgeTransportConfig) {
    super('tracebridge-kafka', config);
  }

  protected override get scope(): DefaultsScope {
    return 'kafka';
  }

  protected override zeroCodeModules(): InstrumentationModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'kafkajs',
        ['>=2.0.0 <3'],
        (exports: KafkajsModule) => this.#patch(exports),
        (exports: KafkajsModule) =>
          FACTORIES.forEach((name) => unpatchMethod(exports?.Kafka?.prototype, name)),
      ),
    ];
  }

  #patch(exports: KafkajsModule): KafkajsModule {
    const prototype = exports?.Kafka?.prototype;
    const { unpatchContrib } = this.getConfig();
    if (unpatchContrib) {
      removeContribPatches('kafkajs', '@opentelemetry/instrumentation-kafkajs', () => [
        [prototype, FACTORIES],
      ]);
    }
    const traced = (made: unknown, trace: (client: never) => unknown): unknown =>
      this.zeroCodeOn() && typeof made === 'object' && made !== null
        ? safely('tracing a new kafkajs client', () => trace(made as never), made)
        : made;
    for (const name of FACTORIES) {
      const trace = TRACERS[name];
      patchMethod(
        prototype,
        name,
        (original) =>
          function makeTracedClient(this: unknown, ...args: unknown[]) {
            return traced(original.apply(this, args), trace);
          },
        unpatchContrib,
      );
    }
    return exports;
  }
}
