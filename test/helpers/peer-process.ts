/**
 * A peer service in a Node process of its own, for the mixed-fleet tests: a program tracebridge did not
 * instrument (the contrib instrumentations, the Jaeger client, the OpenTracing shim) that the test drives
 * over IPC and that sends back every span it finishes and every message it receives. The child side of
 * the protocol is `peer-child.ts`.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { waitUntil } from './kafka-fixture';

/**
 * The header a message carries to tell an OpenTracing peer which reference its processing span starts
 * with: `child-of` (the `childOf` option, the default), `child-of-reference` or `follows-from` (an entry in
 * `references`).
 */
export const PEER_REFERENCE_HEADER = 'x-peer-reference';

/** A span the peer finished, as its own tracer recorded it (ids as 32 and 16 lowercase hex digits). */
export interface PeerSpan {
  readonly name: string;
  /** The OpenTelemetry span kind; undefined for tracers that have none (the Jaeger client). */
  readonly kind: number | undefined;
  /** The instrumentation scope that made the span; undefined for the Jaeger client. */
  readonly scope: string | undefined;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly links: readonly PeerLink[];
  /** OpenTracing references as the Jaeger client keeps them (`child_of`, `follows_from`). */
  readonly references: readonly PeerReference[];
}

export interface PeerLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface PeerReference {
  readonly type: string;
  readonly traceId: string;
  readonly spanId: string;
}

/** A message the peer consumed: where from, and its headers as strings, exactly as the peer got them. */
export interface PeerDelivery {
  readonly destination: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** What a test asks the peer to do: an operation name and string arguments. */
export interface PeerCall {
  readonly kind: 'call';
  readonly id: number;
  readonly op: string;
  readonly args: Readonly<Record<string, string>>;
}

/** Everything the peer sends to the test. */
export type PeerEvent =
  | { readonly kind: 'result'; readonly id: number; readonly value: string | undefined }
  | { readonly kind: 'error'; readonly id: number; readonly message: string }
  | { readonly kind: 'span'; readonly span: PeerSpan }
  | { readonly kind: 'delivery'; readonly delivery: PeerDelivery };

/** The test's handle on a peer process. */
export interface PeerProcess {
  /** Runs `op` in the peer and resolves with what it returned, or rejects with its error. */
  call(op: string, args?: Readonly<Record<string, string>>): Promise<string | undefined>;
  /** Every span the peer has reported so far. */
  readonly spans: readonly PeerSpan[];
  /** Every message the peer has consumed so far. */
  readonly deliveries: readonly PeerDelivery[];
  /** Waits for the one span matching `predicate`; fails if none comes or several do. */
  span(what: string, predicate: (span: PeerSpan) => boolean): Promise<PeerSpan>;
  /** Lets the peer close its clients, and waits for it to exit. */
  stop(): Promise<void>;
}

/** How long a peer may take to close its clients once told to stop. */
const STOP_GRACE_MS = 15_000;

/** Forks `script` (TypeScript, through tsx) with `args` and waits until it says it is ready. */
export async function startPeer(script: string, args: readonly string[]): Promise<PeerProcess> {
  const child: ChildProcess = fork(script, [...args], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const spans: PeerSpan[] = [];
  const deliveries: PeerDelivery[] = [];
  const pending = new Map<number, { resolve: (v: string | undefined) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let exited = false;
  child.on('message', (event: PeerEvent) => {
    if (event.kind === 'span') spans.push(event.span);
    else if (event.kind === 'delivery') deliveries.push(event.delivery);
    else {
      const waiter = pending.get(event.id);
      pending.delete(event.id);
      if (event.kind === 'result') waiter?.resolve(event.value);
      else waiter?.reject(new Error(`peer ${script}: ${event.message}`));
    }
  });
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      for (const waiter of pending.values())
        waiter.reject(new Error(`peer ${script} exited (${code ?? signal}) before answering`));
      resolve();
    }),
  );

  const peer: PeerProcess = {
    spans,
    deliveries,
    call(op, callArgs = {}) {
      if (exited) return Promise.reject(new Error(`peer ${script} has exited`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const call: PeerCall = { kind: 'call', id, op, args: callArgs };
        child.send(call);
      });
    },
    async span(what, predicate) {
      await waitUntil(
        `the peer's span: ${what}`,
        () => spans.some(predicate),
        30_000,
        () => `(peer spans: ${spans.map((s) => s.name).join(', ')})`,
      );
      const found = spans.filter(predicate);
      assert.equal(found.length, 1, `expected one peer span (${what}), found ${found.length}`);
      return found[0]!;
    },
    async stop() {
      if (exited) return;
      child.disconnect();
      // A peer whose client hangs on disconnect must not hang the suite's after-hook: it is killed.
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exit;
      clearTimeout(killer);
    },
  };
  await peer.call('ready');
  return peer;
}
