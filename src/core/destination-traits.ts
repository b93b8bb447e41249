/**
 * What the semantic conventions need to know about a destination whose name is not a stable one: a
 * temporary reply queue, a server-named queue. Such names must not go into span names or metric
 * attributes (each would be a new series); the conventions name the span after the destination's template
 * when there is one, or after the operation alone.
 * @see https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/#span-name
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_MESSAGING_DESTINATION_ANONYMOUS,
  ATTR_MESSAGING_DESTINATION_TEMPLATE,
  ATTR_MESSAGING_DESTINATION_TEMPORARY,
} from './semantic-attributes';

/** How a destination's name varies. Every field is optional; give at least one. */
export interface DestinationTraits {
  /** The low-cardinality name the destination was made from (`amq.rabbitmq.reply-to`). */
  readonly template?: string;
  /** The destination lives only as long as its consumer or connection (a reply queue). */
  readonly temporary?: boolean;
  /** The broker made the name up (a server-named queue). */
  readonly anonymous?: boolean;
}

/** One key per distinct set of traits, for the profile cache. */
export function traitsKey(traits: DestinationTraits): string {
  return `${traits.temporary === true ? 't' : '-'}${traits.anonymous === true ? 'a' : '-'}${traits.template ?? ''}`;
}

/** The attributes that describe `traits`, in place of `messaging.destination.name`. */
export function traitsAttributes(traits: DestinationTraits): Attributes {
  const attributes: Attributes = {};
  if (traits.template !== undefined) attributes[ATTR_MESSAGING_DESTINATION_TEMPLATE] = traits.template;
  if (traits.temporary === true) attributes[ATTR_MESSAGING_DESTINATION_TEMPORARY] = true;
  if (traits.anonymous === true) attributes[ATTR_MESSAGING_DESTINATION_ANONYMOUS] = true;
  return attributes;
}
