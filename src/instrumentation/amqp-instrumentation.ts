import {
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { safely } from '../core/diagnostics';
import type { DefaultsScope } from '../core/instrumentation-defaults';
import { isPromiseLike } from '../core/promise-like';
import { traceChannel } from '../amqp/trace-channel';
import type { AmqpChannel } from '../amqp/amqp-types';
import { removeContribPatches } from './contrib-overlaps';
import type { TracebridgeTransportConfig } from './instrumentation-config';
import { patchMethod, unpatchMethod } from './method-patch';
import { TransportInstrumentation } from './transport-instrumentation';

/** amqplib's `lib/channel_model.js`: the promise API's connection and channel classes. */
interface ChannelModelModule {
  readonly ChannelModel?: { readonly prototype: object };
  readonly Channel?: { readonly prototype: object };
  readonly ConfirmChannel?: { readonly prototype: object };
}

const FACTORIES = ['createChannel', 'createConfirmChannel'] as const;

/** What `@opentelemetry/instrumentation-amqplib` patches in the promise API. */
const CONTRIB_CHANNEL_METHODS = ['publish', 'consume', 'ack', 'nack', 'reject', 'ackAll', 'nackAll', 'emit'];

/**
 * The OpenTelemetry instrumentation for tracebridge's RabbitMQ wrapper (`traceChannel`): put it in
 * NodeSDK's `instrumentations` (or use {@link TracebridgeInstrumentation} for every transport).
 *
 * - Channels traced without `tracerProvider`, `meterProvider` or `incoming` use NodeSDK's providers and
 *   this instrumentation's `incoming`; `disable()` makes them record nothing.
 * - In zero-code mode, every channel amqplib's promise API creates (`connection.createChannel()`,
 *   `createConfirmChannel()`) after registration resolves traced; tracing one again returns it as is.
 * - When amqplib loads, the promise-API patches of `@opentelemetry/instrumentation-amqplib` are removed
 *   (see `unpatchContrib`), so that a publish or a delivery has one span.
 */
export class TracebridgeAmqpInstrumentation extends TransportInstrumentation {
  constructor(config?: TracebridgeTransportConfig) {
    super('tracebridge-rabbitmq', config);
  }

  protected override get scope(): DefaultsScope {
    return 'rabbitmq';
  }

  protected override zeroCodeModules(): InstrumentationModuleDefinition[] {
    const channelModel = new InstrumentationNodeModuleFile(
      'amqplib/lib/channel_model.js',
      ['>=0.10.0 <3'],
      (exports: ChannelModelModule) => this.#patch(exports),
      (exports?: ChannelModelModule) =>
        FACTORIES.forEach((name) => unpatchMethod(exports?.ChannelModel?.prototype, name)),
    );
    return [
      new InstrumentationNodeModuleDefinition('amqplib', ['>=0.10.0 <3'], undefined, undefined, [
        channelModel,
      ]),
    ];
  }

  #patch(exports: ChannelModelModule): ChannelModelModule {
    const { unpatchContrib } = this.getConfig();
    if (unpatchContrib) {
      removeContribPatches('amqplib', '@opentelemetry/instrumentation-amqplib', () => [
        [exports?.Channel?.prototype, CONTRIB_CHANNEL_METHODS],
        [exports?.ConfirmChannel?.prototype, ['publish']],
      ]);
    }
    const traced = (made: unknown): unknown =>
      this.zeroCodeOn() && isPromiseLike(made)
        ? Promise.resolve(made).then((channel) =>
            safely('tracing a new amqplib channel', () => traceChannel(channel as AmqpChannel), channel),
          )
        : made;
    for (const name of FACTORIES) {
      patchMethod(
        exports?.ChannelModel?.prototype,
        name,
        (original) =>
          function createTracedChannel(this: unknown, ...args: unknown[]) {
            return traced(original.apply(this, args));
          },
        unpatchContrib,
      );
    }
    return exports;
  }
}
