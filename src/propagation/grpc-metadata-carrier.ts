import type { Metadata } from '@grpc/grpc-js';
import type { TextMapGetter } from '@opentelemetry/api';
import { logger } from '../core/diagnostics';
import { createContextCarrier } from './context-carrier';
import { selectHeaderValue } from './header-limits';

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  // Binary (`-bin`) values are opaque bytes, never a text propagation header.
  get: (metadata, key) => (key.endsWith('-bin') ? undefined : selectHeaderValue(key, metadata.get(key))),
};

/**
 * Carries trace context in `@grpc/grpc-js` `Metadata`. Injection works on `metadata.clone()`, never on the
 * caller's object. `Metadata.set` throws on keys or values gRPC considers illegal; such a field is skipped
 * and logged, and the call proceeds.
 *
 * `@grpc/grpc-js` is used through its types only: the carrier calls methods of the object it is given, so
 * tracebridge never loads grpc-js itself and works with whichever copy the application uses.
 */
export const grpcMetadataCarrier = createContextCarrier<Metadata>({
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
