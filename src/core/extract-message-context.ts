import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context, TextMapPropagator } from '@opentelemetry/api';
import type { ContextCarrier } from '../propagation/context-carrier';
import { stepFailed } from './diagnostics';

/**
 * Reads the context a message carries, onto the root context (never onto the consumer's own context, so
 * the consumer's active span can never pose as the message's parent). A carrier that throws (a custom
 * one, say) yields no context rather than an error.
 *
 * @param also - the signature reader, when signing is configured.
 */
export function extractMessageContext<C>(
  carrier: ContextCarrier<C>,
  headers: C,
  also?: TextMapPropagator,
): Context {
  // Inline rather than through `safely`: this runs for every message, and a closure each adds up.
  try {
    return carrier.extract(ROOT_CONTEXT, headers, also);
  } catch (error) {
    stepFailed(`extracting from ${carrier.name}`, error);
    return ROOT_CONTEXT;
  }
}
