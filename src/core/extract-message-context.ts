import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ContextCarrier } from '../propagation/context-carrier';
import { safely } from './diagnostics';

/**
 * Reads the context a message carries, onto the root context (never onto the consumer's own context, so
 * the consumer's active span can never pose as the message's parent). A carrier that throws (a custom
 * one, say) yields no context rather than an error.
 */
export function extractMessageContext<C>(carrier: ContextCarrier<C>, headers: C): Context {
  return safely(
    `extracting from ${carrier.name}`,
    () => carrier.extract(ROOT_CONTEXT, headers),
    ROOT_CONTEXT,
  );
}
