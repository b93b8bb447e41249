/** Builds normalized spans for the CLI's unit tests: times in milliseconds from a fixed origin. */
import type { TraceSpan } from '../../../src/cli/trace-span';

export const TRACE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const TRACE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ORIGIN = 1_767_225_600_000_000_000n;

/** A span `id` (any text, padded to a 16-digit hex-looking id) from `startMs` to `endMs`. */
export function traceSpan(
  id: string,
  parent: string | undefined,
  startMs: number,
  endMs: number,
  fields: Partial<TraceSpan> = {},
): TraceSpan {
  return {
    traceId: TRACE_A,
    spanId: spanId(id),
    parentSpanId: parent === undefined ? undefined : spanId(parent),
    name: id,
    kind: 'INTERNAL',
    serviceName: 'svc',
    startTimeUnixNano: ORIGIN + BigInt(Math.round(startMs * 1e6)),
    endTimeUnixNano: ORIGIN + BigInt(Math.round(endMs * 1e6)),
    status: 'UNSET',
    statusMessage: undefined,
    attributes: {},
    links: [],
    ...fields,
  };
}

/** A 16-character span id made from a short name. */
export function spanId(name: string): string {
  return name.padStart(16, '0').slice(-16);
}
