import { logger, safely } from '../core/diagnostics';
import { removeShimmerWrappers } from './method-patch';

/**
 * The contrib instrumentations that trace what tracebridge traces, by the names
 * `getNodeAutoInstrumentations` knows them by.
 */
export const OVERLAPPING_CONTRIB_INSTRUMENTATIONS = Object.freeze([
  '@opentelemetry/instrumentation-kafkajs',
  '@opentelemetry/instrumentation-amqplib',
  '@opentelemetry/instrumentation-grpc',
] as const);

/** One of {@link OVERLAPPING_CONTRIB_INSTRUMENTATIONS}. */
export type OverlappingContribInstrumentation = (typeof OVERLAPPING_CONTRIB_INSTRUMENTATIONS)[number];

/** The configuration map `autoInstrumentationsWithoutOverlaps` returns: yours, with the overlaps off. */
export type WithoutOverlaps<C> = Omit<C, OverlappingContribInstrumentation> & {
  readonly [Name in OverlappingContribInstrumentation]: { readonly enabled: false };
};

/**
 * The configuration for `getNodeAutoInstrumentations` with the contrib kafkajs, amqplib and grpc
 * instrumentations turned off, so that tracebridge is the one instrumentation of those libraries.
 * Everything else in `config` (HTTP, databases, …) is passed on as given; the object is not modified.
 *
 * @example
 * ```ts
 * instrumentations: [
 *   getNodeAutoInstrumentations(autoInstrumentationsWithoutOverlaps()),
 *   new TracebridgeInstrumentation(),
 * ]
 * ```
 */
export function autoInstrumentationsWithoutOverlaps<C extends object = Record<never, never>>(
  config?: C,
): WithoutOverlaps<C> {
  const off = Object.fromEntries(
    OVERLAPPING_CONTRIB_INSTRUMENTATIONS.map((name) => [name, { enabled: false }]),
  );
  return { ...config, ...off } as WithoutOverlaps<C>;
}

/** Where one library's contrib instrumentation patches: objects and their method names. */
export type PatchSites = readonly (readonly [object | undefined, readonly string[]])[];

const reported = new Set<string>();

/**
 * Removes the contrib patches of one library, now and once more after the current synchronous work: the
 * contrib instrumentation's hook may run after tracebridge's for the same `require` (it was registered
 * later). Says so once per library through `diag`, naming the way to not patch it in the first place.
 */
export function removeContribPatches(library: string, contrib: string, sites: () => PatchSites): void {
  const removeAll = (): void => {
    let removed = false;
    for (const [target, names] of sites()) {
      for (const name of names) removed = removeShimmerWrappers(target, name) || removed;
    }
    if (removed && !reported.has(library)) {
      reported.add(library);
      logger.warn(
        `${contrib} also instruments ${library}; tracebridge removed its patches so that each operation has one span. Pass autoInstrumentationsWithoutOverlaps() to getNodeAutoInstrumentations to not load it.`,
      );
    }
  };
  // A patch site that throws must not reach the host: the microtask would make it an uncaught exception.
  const attempt = (): void => safely(`removing the ${contrib} patches`, removeAll, undefined);
  attempt();
  queueMicrotask(attempt);
}
