/**
 * A Redis command's reply as the helpers use it: always a promise, and the moment a span ends.
 */
import { context } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { stepFailed } from '../core/diagnostics';
import type { MessagingSpan } from '../core/messaging-span';
import { ATTR_MESSAGING_MESSAGE_ID } from '../core/semantic-attributes';
import type { RedisArgument, RedisCommandClient } from './redis-client';

/**
 * The command's reply; a client that throws instead of rejecting is turned into a rejection. With
 * `within` (the context of the send or process span the command is issued for), the command is sent with
 * that context active, so a span an ioredis instrumentation makes for it is that span's child.
 */
export function sendCommand(send: () => Promise<unknown>, within?: Context): Promise<unknown> {
  try {
    return within === undefined ? send() : context.with(within, send);
  } catch (error) {
    // The client's own error, passed on unchanged, whatever it is.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
}

/**
 * `client.call(command, key, a, b)` sent with `within` active, as {@link sendCommand} does, without a
 * closure or an argument list of its own: for a command sent for every message (`XACK`).
 */
export function callWithin(
  within: Context,
  client: RedisCommandClient,
  command: string,
  key: RedisArgument,
  a: RedisArgument,
  b: RedisArgument,
): Promise<unknown> {
  try {
    // The client goes as an argument, not as the receiver: given a receiver, the context manager binds
    // the function to it, a bound function for every command.
    return context.with(within, callCommand, undefined, client, command, key, a, b);
  } catch (error) {
    // The client's own error, passed on unchanged, whatever it is.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
}

function callCommand(
  client: RedisCommandClient,
  command: string,
  key: RedisArgument,
  a: RedisArgument,
  b: RedisArgument,
): Promise<unknown> {
  return client.call(command, key, a, b);
}

/**
 * Ends a send span when its command is answered, recording a failure (and, for `XADD`, the new entry's
 * id). The handlers are attached to the command's own promise, which the caller gets back unchanged, so
 * its timing is the client's.
 */
export function endAtReply(send: MessagingSpan, reply: Promise<unknown>, recordsEntryId: boolean): void {
  reply.then(
    (id) => {
      // Inline rather than through `safely`: this runs for every entry added, and a closure each adds up.
      if (recordsEntryId && typeof id === 'string') {
        try {
          if (send.span.isRecording()) send.span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, id);
        } catch (error) {
          stepFailed('recording the entry id', error);
        }
      }
      send.end();
    },
    (error: unknown) => {
      send.recordError(error);
      send.end();
    },
  );
}
