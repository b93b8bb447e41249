/**
 * The life of one demo service process, between it and the runner that forked it: start the SDK, start
 * the service, say `ready`; on `flush`, export what has ended; on `stop` (or SIGTERM, or the runner going
 * away) stop the service, flush and exit 0. A failure to start is printed and exits 1, so the runner
 * fails loudly with the service's own error.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { readShopConfig } from './shop-config';
import type { ServiceName, ShopConfig } from './shop-config';
import { startServiceTelemetry } from './service-telemetry';

/** Messages from the runner. */
export type RunnerMessage = { readonly type: 'flush' } | { readonly type: 'stop' };

/** Messages to the runner. */
export type ServiceMessage = { readonly type: 'ready' } | { readonly type: 'flushed' };

/** What a started service hands back: how to stop it, after which nothing of it is in flight. */
export interface RunningService {
  stop(): Promise<void>;
}

export interface ServiceDefinition {
  readonly name: ServiceName;
  /** Instrumentations the service enabled as it loaded; they are handed the SDK's providers. */
  readonly instrumentations?: readonly Instrumentation[];
  readonly start: (config: ShopConfig) => Promise<RunningService>;
}

function send(message: ServiceMessage): void {
  process.send?.(message);
}

/** Runs `definition` as this process's service. Call it once, from the service's entry file. */
export function runService(definition: ServiceDefinition): void {
  main(definition).catch((error: unknown) => {
    console.error(`${definition.name}: failed to start:`, error);
    process.exit(1);
  });
}

async function main(definition: ServiceDefinition): Promise<void> {
  const config = readShopConfig();
  const telemetry = await startServiceTelemetry(definition.name, config, definition.instrumentations ?? []);
  const service = await definition.start(config);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await service.stop();
      await telemetry.shutdown();
      process.disconnect?.();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`${definition.name}: failed to stop cleanly:`, error);
        process.exit(1);
      },
    ));

  process.on('message', (message: RunnerMessage) => {
    if (message.type === 'flush') {
      void telemetry.flush().then(() => send({ type: 'flushed' }));
    } else if (message.type === 'stop') {
      void stop();
    }
  });
  process.on('SIGTERM', () => void stop());
  // Ctrl-C reaches every process of the terminal's group; the runner decides when services stop.
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => void stop());
  send({ type: 'ready' });
}
