import type { Context } from '@opentelemetry/api';
import type { MessagingTelemetry } from '../core/messaging-telemetry';
import type { BullmqProcessInfo, BullmqSendInfo } from './bullmq-options';
import type { BullmqAttributes, BullmqException } from './bullmq-types';

/** The messaging telemetry every BullMQ span role records through. */
export type BullmqMessagingTelemetry = MessagingTelemetry<BullmqSendInfo, BullmqProcessInfo>;

/**
 * What a BullMQ span does once its operation is known: a job's send, its processing, or nothing. BullMQ's
 * calls reach it in this order: attributes (queue and operation first), the context, more attributes
 * and events, an exception if the operation threw, the end (always, exactly once, in a `finally`).
 */
export interface SpanRole {
  /** The context BullMQ runs the operation in (and, for a send, serialises into the job). */
  context(ctx: Context): Context;
  attributes(attributes: BullmqAttributes): void;
  event(name: string, attributes: BullmqAttributes | undefined): void;
  exception(exception: BullmqException): void;
  end(): void;
}

/** The role of an operation that is no messaging operation: no span, the context passed through. */
export const NO_SPAN: SpanRole = {
  context: (ctx) => ctx,
  attributes: () => undefined,
  event: () => undefined,
  exception: () => undefined,
  end: () => undefined,
};
