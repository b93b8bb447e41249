import { logger } from '../core/diagnostics';

/** A server's address, as grpc-js reports the peer of a client call. */
export interface Peer {
  readonly address: string;
  readonly port: number;
}

/** What can tell a call's peer: a grpc-js client call (`InterceptingCall` and its kin). */
export interface PeerSource {
  getPeer(): string;
}

/** Parsed peers: a client talks to few servers, so each peer string is parsed once. Bounded. */
const peers = new Map<string, Peer | undefined>();
const MAX_CACHED_PEERS = 256;

/**
 * The server's address as grpc-js reports it (`host:port`, `[v6]:port`), for `server.address`/`port`;
 * `undefined` when it cannot be read or parsed.
 */
export function peerOf(call: PeerSource): Peer | undefined {
  let peer: string;
  try {
    peer = call.getPeer();
  } catch (error) {
    logger.debug('could not read the gRPC peer', error);
    return undefined;
  }
  if (peers.has(peer)) return peers.get(peer);
  const match = /^(?:ipv[46]:)?\[?([^\]]*?)\]?:(\d+)$/.exec(peer);
  const parsed = match === null ? undefined : { address: match[1]!, port: Number(match[2]) };
  if (peers.size >= MAX_CACHED_PEERS) peers.clear();
  peers.set(peer, parsed);
  return parsed;
}
