import type { TextMapGetter } from '@opentelemetry/api';
import { logger } from '../logger';
import { createContextCarrier } from './context-carrier';
import { selectHeaderValue } from './header-limits';

/**
 * The part of `@grpc/grpc-js`'s `Metadata` the carrier uses. Any grpc-js `Metadata` satisfies it, so
 * tracebridge neither loads grpc-js nor needs its type definitions: a user without gRPC compiles without
 * it, and an application with several copies of grpc-js works with each.
 */
export interface GrpcMetadata {
  get(key: string): (string | Buffer)[];
  set(key: string, value: string): void;
  clone(): GrpcMetadata;
  getMap(): Record<string, string | Buffer>;
}

const metadataGetter: TextMapGetter<GrpcMetadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  // Binary (`-bin`) values are opaque bytes, never a text propagation header.
  get: (metadata, key) => (key.endsWith('-bin') ? undefined : selectHeaderValue(key, metadata.get(key))),
};

/**
 * Carries trace context in gRPC `Metadata`. Injection works on `metadata.clone()`, never on the caller's
 * object (pass a grpc-js `Metadata`; what comes back is a grpc-js `Metadata` too). `Metadata.set` throws on
 * keys or values gRPC considers illegal; such a field is skipped and logged, and the call proceeds.
 */
export const grpcMetadataCarrier = createContextCarrier<GrpcMetadata>({
  name: 'grpc-metadata',
  getter: metadataGetter,
  copyForWrite: (metadata) => metadata.clone(),
  set: (metadata, key, value) => {
    try {
      // gRPC metadata keys are lowercase on the wire.
      metadata.set(key.toLowerCase(), value);
    } catch (error) {
      logger.warn(`gRPC refused metadata key ${JSON.stringify(key)}; it is not propagated`, error);
    }
  },
});
