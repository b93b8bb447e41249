import type { Context, SpanKind } from '@opentelemetry/api';
import { stepFailed } from '../core/diagnostics';
import { BULLMQ_QUEUE_NAME, BULLMQ_QUEUE_OPERATION } from './bullmq-attributes';
import { operationRole } from './bullmq-operation';
import type { BullmqAttributes, BullmqAttributeValue, BullmqException, BullmqSpan } from './bullmq-types';
import { activeAttempt, JobAttempt } from './job-attempt';
import { JobSend } from './job-send';
import { NO_SPAN } from './span-role';
import type { BullmqMessagingTelemetry, SpanRole } from './span-role';

/**
 * The span handed to BullMQ while tracebridge is dormant (see `MessagingTelemetry.dormant`): nothing to
 * record and no context to carry, so every call does nothing and the context passes through. One object
 * for every span, so a dormant job costs BullMQ's calls and no allocation of tracebridge's.
 */
export const DORMANT_BULLMQ_SPAN: BullmqSpan = Object.freeze({
  setSpanOnContext: (ctx: Context) => ctx,
  setAttribute: () => undefined,
  setAttributes: () => undefined,
  addEvent: () => undefined,
  recordException: () => undefined,
  end: () => undefined,
});

/**
 * The span tracebridge's tracer hands BullMQ. BullMQ names the queue and the operation in the first
 * attributes it sets, right after starting the span; only then is it known what the span stands for (a
 * job's send, its processing, an attempt's outcome, or something with no span of its own), and the calls
 * go to that role from there on. No call throws into BullMQ, whatever happens underneath.
 */
export class TracebridgeBullmqSpan implements BullmqSpan {
  readonly #telemetry: BullmqMessagingTelemetry;
  readonly #kind: SpanKind;
  /** The context the span was started in: where an outcome step finds its attempt. */
  readonly #startContext: Context;
  #role: SpanRole | undefined;

  constructor(telemetry: BullmqMessagingTelemetry, kind: SpanKind, startContext: Context) {
    this.#telemetry = telemetry;
    this.#kind = kind;
    this.#startContext = startContext;
  }

  // BullMQ calls these a dozen times per job: each catches inline, with no closure per call.

  setSpanOnContext(ctx: Context): Context {
    try {
      return this.#roleOrNone().context(ctx);
    } catch (error) {
      stepFailed('starting a BullMQ span', error);
      return ctx;
    }
  }

  setAttribute(key: string, value: BullmqAttributeValue): void {
    this.setAttributes({ [key]: value });
  }

  setAttributes(attributes: BullmqAttributes): void {
    try {
      this.#role ??= this.#assignRole(attributes);
      this.#role?.attributes(attributes);
    } catch (error) {
      stepFailed('recording BullMQ attributes', error);
    }
  }

  addEvent(name: string, attributes?: BullmqAttributes): void {
    try {
      this.#role?.event(name, attributes);
    } catch (error) {
      stepFailed('recording a BullMQ event', error);
    }
  }

  recordException(exception: BullmqException): void {
    try {
      this.#role?.exception(exception);
    } catch (error) {
      stepFailed('recording a BullMQ error', error);
    }
  }

  end(): void {
    try {
      this.#role?.end();
    } catch (error) {
      stepFailed('ending a BullMQ span', error);
    }
  }

  #roleOrNone(): SpanRole {
    this.#role ??= NO_SPAN;
    return this.#role;
  }

  /** The role named by BullMQ's first attributes; `undefined` until they name the operation. */
  #assignRole(attributes: BullmqAttributes): SpanRole | undefined {
    const operation = attributes[BULLMQ_QUEUE_OPERATION];
    if (operation === undefined) return undefined;
    const queueName = attributes[BULLMQ_QUEUE_NAME];
    const queue = typeof queueName === 'string' ? queueName : '';
    const role = operationRole(operation, this.#kind);
    switch (role.role) {
      case 'send':
        return new JobSend(this.#telemetry, queue, String(operation), role.operationType);
      case 'process':
        return new JobAttempt(this.#telemetry, queue);
      case 'outcome':
        activeAttempt(this.#startContext)?.settled(role.outcome);
        return NO_SPAN;
      case 'none':
        return NO_SPAN;
    }
  }
}
