/**
 * What each of BullMQ's traced operations becomes. BullMQ wraps nearly every call it makes in a span
 * (`getNextJob`, `extendLocks`, `moveStalledJobsToWait`, `complete`, ...); tracebridge keeps the ones that
 * are messaging operations and turns the rest into no spans at all, so there is no span per Redis command.
 */
import { SpanKind } from '@opentelemetry/api';

/** How one attempt at a job ended, as BullMQ's `complete`, `retry`, `delay` and `fail` steps say. */
export type AttemptOutcome = 'completed' | 'retry' | 'delay' | 'failed';

/** The part a BullMQ span plays. */
export type OperationRole =
  | { readonly role: 'send'; readonly operationType: 'send' | 'create' }
  | { readonly role: 'process' }
  | { readonly role: 'outcome'; readonly outcome: AttemptOutcome }
  | { readonly role: 'none' };

const SEND: OperationRole = { role: 'send', operationType: 'send' };
const CREATE: OperationRole = { role: 'send', operationType: 'create' };
const NONE: OperationRole = { role: 'none' };

/**
 * Adding jobs: one `send` span per call (a bulk or a whole flow is one send), and within a flow one
 * `create` span per job (`addNode`), as the conventions model a batch send and its messages.
 */
const PRODUCER_OPERATIONS: ReadonlyMap<string, OperationRole> = new Map([
  ['add', SEND],
  ['addBulk', SEND],
  ['addFlow', SEND],
  ['addBulkFlows', SEND],
  ['addNode', CREATE],
]);

/** The steps BullMQ runs, inside the process span, to settle an attempt. */
const OUTCOME_OPERATIONS: ReadonlyMap<string, OperationRole> = new Map(
  (['complete', 'retry', 'delay', 'fail'] as const).map((operation) => [
    operation,
    {
      role: 'outcome',
      outcome: operation === 'complete' ? 'completed' : operation === 'fail' ? 'failed' : operation,
    },
  ]),
);

/** The role of BullMQ's `operation` started with span kind `kind`. */
export function operationRole(operation: unknown, kind: SpanKind): OperationRole {
  if (typeof operation !== 'string') return NONE;
  if (kind === SpanKind.PRODUCER) return PRODUCER_OPERATIONS.get(operation) ?? NONE;
  if (kind === SpanKind.CONSUMER) return operation === 'process' ? { role: 'process' } : NONE;
  return OUTCOME_OPERATIONS.get(operation) ?? NONE;
}
