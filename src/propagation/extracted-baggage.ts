import { propagation } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { BAGGAGE_MAX_BYTES, BAGGAGE_MAX_MEMBERS } from './header-limits';

/**
 * Holds the baggage of an extracted context to the W3C limits tracebridge applies to the `baggage`
 * header (64 members, 8192 bytes), whatever encoding it came in: Jaeger's `uberctx-*` headers, a custom
 * propagator's, or several propagators of a composite adding up. Members are kept in order while they fit,
 * each counted as `key=value` in UTF-8 plus its separating comma; the rest are dropped, as `limitBaggage`
 * drops them from the header. Under `'parent'` the baggage is re-injected into every outbound message, so
 * an unbounded one would be echoed downstream. `ctx` comes back as it is when it is within the limits.
 */
export function limitExtractedBaggage(ctx: Context): Context {
  const baggage = propagation.getBaggage(ctx);
  if (baggage === undefined) return ctx;
  const entries = baggage.getAllEntries();
  let kept = 0;
  let bytes = -1;
  for (const [key, entry] of entries) {
    if (kept === BAGGAGE_MAX_MEMBERS) break;
    const size = Buffer.byteLength(key) + Buffer.byteLength(entry.value) + 2;
    if (bytes + size > BAGGAGE_MAX_BYTES) break;
    bytes += size;
    kept++;
  }
  if (kept === entries.length) return ctx;
  if (kept === 0) return propagation.deleteBaggage(ctx);
  return propagation.setBaggage(ctx, propagation.createBaggage(Object.fromEntries(entries.slice(0, kept))));
}
