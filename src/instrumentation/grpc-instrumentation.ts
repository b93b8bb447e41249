import type * as grpc from '@grpc/grpc-js';
import {
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { safely } from '../core/diagnostics';
import type { DefaultsScope } from '../core/instrumentation-defaults';
import { isTracedByTracebridge } from '../core/traced-marker';
import { grpcClientInterceptor } from '../grpc/client-interceptor';
import type { GrpcModule } from '../grpc/grpc-options';
import { grpcServerInterceptor } from '../grpc/server-interceptor';
import { removeContribPatches } from './contrib-overlaps';
import type { TracebridgeTransportConfig } from './instrumentation-config';
import { patchMethod, unpatchMethod } from './method-patch';
import { TransportInstrumentation } from './transport-instrumentation';

const SUPPORTED = ['>=1.10.0 <2'];

/** What `@opentelemetry/instrumentation-grpc` patches on grpc-js' exports. */
const CONTRIB_MODULE_FUNCTIONS = [
  'makeGenericClientConstructor',
  'makeClientConstructor',
  'loadPackageDefinition',
];
const CONTRIB_CLIENT_METHODS = [
  'makeUnaryRequest',
  'makeClientStreamRequest',
  'makeServerStreamRequest',
  'makeBidiStreamRequest',
];

type ClientClass = new (address: string, credentials: unknown, options?: grpc.ClientOptions) => object;
type ServerClass = new (options?: grpc.ServerOptions) => object;

/**
 * The OpenTelemetry instrumentation for tracebridge's gRPC interceptors (`grpcClientInterceptor`,
 * `grpcServerInterceptor`): put it in NodeSDK's `instrumentations` (or use
 * {@link TracebridgeInstrumentation} for every transport).
 *
 * - Interceptors created without `tracerProvider`, `meterProvider` or (server) `incoming` use NodeSDK's
 *   providers and this instrumentation's `incoming`; `disable()` makes them record nothing.
 * - In zero-code mode, every grpc-js (1.10+) `Client` (generated clients included) and `Server` created
 *   after registration gets tracebridge's interceptor, added to its `interceptors` option, unless that
 *   option already holds one of tracebridge's.
 * - When grpc-js loads, the patches of `@opentelemetry/instrumentation-grpc` are removed (see
 *   `unpatchContrib`), so that a call has one CLIENT and one SERVER span.
 */
export class TracebridgeGrpcInstrumentation extends TransportInstrumentation {
  #loadedGrpc: GrpcModule | undefined;

  constructor(config?: TracebridgeTransportConfig) {
    super('tracebridge-grpc', config);
  }

  protected override get scope(): DefaultsScope {
    return 'grpc';
  }

  protected override zeroCodeModules(): InstrumentationModuleDefinition[] {
    const client = new InstrumentationNodeModuleFile(
      '@grpc/grpc-js/build/src/client.js',
      SUPPORTED,
      (exports: { Client?: ClientClass }) =>
        this.#patchExport<ClientClass>(exports, 'Client', (c) => this.#tracedClient(c)),
      (exports?: object) => unpatchMethod(exports, 'Client'),
    );
    const server = new InstrumentationNodeModuleFile(
      '@grpc/grpc-js/build/src/server.js',
      SUPPORTED,
      (exports: { Server?: ServerClass }) =>
        this.#patchExport<ServerClass>(exports, 'Server', (s) => this.#tracedServer(s)),
      (exports?: object) => unpatchMethod(exports, 'Server'),
    );
    return [
      new InstrumentationNodeModuleDefinition(
        '@grpc/grpc-js',
        SUPPORTED,
        (exports: typeof grpc) => this.#patchModule(exports),
        undefined,
        [client, server],
      ),
    ];
  }

  /** The module's own interceptor classes, for interceptors that match the grpc-js copy they serve. */
  #patchModule(exports: typeof grpc): typeof grpc {
    this.#loadedGrpc = exports;
    if (this.getConfig().unpatchContrib) {
      removeContribPatches('@grpc/grpc-js', '@opentelemetry/instrumentation-grpc', () => [
        [exports, CONTRIB_MODULE_FUNCTIONS],
        [exports.Client?.prototype, CONTRIB_CLIENT_METHODS],
        [exports.Server?.prototype, ['register']],
      ]);
    }
    return exports;
  }

  #patchExport<C>(exports: object, name: string, subclass: (original: C) => C): object {
    patchMethod(exports, name, (original) => subclass(original as C) as never, false);
    return exports;
  }

  #tracedClient(Original: ClientClass): ClientClass {
    const withInterceptor = (options: grpc.ClientOptions | undefined) => this.#clientOptions(options);
    return class Client extends Original {
      constructor(address: string, credentials: unknown, options?: grpc.ClientOptions) {
        super(address, credentials, withInterceptor(options));
      }
    };
  }

  #tracedServer(Original: ServerClass): ServerClass {
    const withInterceptor = (options: grpc.ServerOptions | undefined) => this.#serverOptions(options);
    return class Server extends Original {
      constructor(options?: grpc.ServerOptions) {
        super(withInterceptor(options));
      }
    };
  }

  /**
   * A copy of the client's options with tracebridge's interceptor first (so its span covers the others),
   * or the options as given when zero-code mode is off or they already hold a tracebridge interceptor.
   * grpc-js refuses `interceptors` next to `interceptor_providers`, so with providers it joins those.
   */
  #clientOptions(options: grpc.ClientOptions | undefined): grpc.ClientOptions | undefined {
    if (!this.zeroCodeOn()) return options;
    return safely(
      'adding the tracebridge interceptor to a gRPC client',
      () => {
        const interceptors = options?.interceptors ?? [];
        const providers = options?.interceptor_providers ?? [];
        if (interceptors.some(isTracedByTracebridge)) return options;
        const interceptor = this.#interceptor('client');
        if (providers.length > 0) {
          return { ...options, interceptor_providers: [() => interceptor, ...providers] };
        }
        return { ...options, interceptors: [interceptor, ...interceptors] };
      },
      options,
    );
  }

  #serverOptions(options: grpc.ServerOptions | undefined): grpc.ServerOptions | undefined {
    if (!this.zeroCodeOn()) return options;
    return safely(
      'adding the tracebridge interceptor to a gRPC server',
      () => {
        const interceptors = options?.interceptors ?? [];
        if (interceptors.some(isTracedByTracebridge)) return options;
        return { ...options, interceptors: [this.#interceptor('server'), ...interceptors] };
      },
      options,
    );
  }

  /**
   * A new interceptor for each client or server, so that one created after a `setConfig` uses the new
   * defaults; with the interceptor classes of the grpc-js copy that loaded, once it has.
   */
  #interceptor(side: 'client'): grpc.Interceptor;
  #interceptor(side: 'server'): grpc.ServerInterceptor;
  #interceptor(side: 'client' | 'server'): grpc.Interceptor | grpc.ServerInterceptor {
    const options = this.#loadedGrpc === undefined ? {} : { grpc: this.#loadedGrpc };
    return side === 'client' ? grpcClientInterceptor(options) : grpcServerInterceptor(options);
  }
}
