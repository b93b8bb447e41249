/**
 * The shapes of BullMQ's `telemetry` option (its `Telemetry` interface, BullMQ 5.x), spelled out
 * structurally so that tracebridge needs BullMQ only for its types in tests, never at run time. A test
 * checks that what `bullmqTelemetry()` returns is assignable to BullMQ's own `Telemetry`.
 * @see https://docs.bullmq.io/guide/telemetry
 */
import type { Context } from '@opentelemetry/api';

/** A span attribute value as BullMQ sets them. */
export type BullmqAttributeValue =
  | string
  | number
  | boolean
  | Array<null | undefined | string>
  | Array<null | undefined | number>
  | Array<null | undefined | boolean>;

/** Attributes as BullMQ sets them; BullMQ may pass `undefined` values. */
export interface BullmqAttributes {
  [attribute: string]: BullmqAttributeValue | undefined;
}

/** An exception as BullMQ hands it to `recordException`. */
export type BullmqException =
  string | { code?: string | number; name?: string; message?: string; stack?: string };

/** BullMQ's span: the operations it performs on the spans its tracer returns. */
export interface BullmqSpan {
  setSpanOnContext(ctx: Context): Context;
  setAttribute(key: string, value: BullmqAttributeValue): void;
  setAttributes(attributes: BullmqAttributes): void;
  addEvent(name: string, attributes?: BullmqAttributes): void;
  recordException(exception: BullmqException, time?: number | Date | [number, number]): void;
  end(): void;
}

/** BullMQ's tracer. `kind` is OpenTelemetry's `SpanKind` numbering. */
export interface BullmqTracer {
  startSpan(name: string, options?: { kind: number }, context?: Context): BullmqSpan;
}

/** BullMQ's context manager: the active context, and a job's context as the string BullMQ stores. */
export interface BullmqContextManager {
  with<A extends (...args: never[]) => unknown>(context: Context, fn: A): ReturnType<A>;
  active(): Context;
  getMetadata(context: Context): string;
  fromMetadata(activeContext: Context, metadata: string): Context;
}

/** BullMQ's meter: the job counters and the job duration histogram it records when given one. */
export interface BullmqMeter {
  createCounter(name: string, options?: { description?: string; unit?: string }): BullmqInstrument<'add'>;
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string },
  ): BullmqInstrument<'record'>;
}

/** A counter (`add`) or a histogram (`record`). */
export type BullmqInstrument<M extends 'add' | 'record'> = Record<
  M,
  (value: number, attributes?: BullmqAttributes) => void
>;

/** What the `telemetry` option of a BullMQ `Queue`, `Worker` or `FlowProducer` takes. */
export interface BullmqTelemetry {
  readonly tracer: BullmqTracer;
  readonly contextManager: BullmqContextManager;
  readonly meter?: BullmqMeter;
}
