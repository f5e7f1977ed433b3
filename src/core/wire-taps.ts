/**
 * Taps on the BGP messages of every session, as bytes (MRT message dumps, BMP route monitoring):
 * each frame read or queued, with the session's ends and codec context. Costs one call per message
 * while nobody listens. It does not keep, decode or change messages.
 */
import type { Connection } from '../session/connection.js';
import type { PeerSession } from '../session/peer-session.js';
import type { UpdateContext } from '../wire/index.js';

export interface WireEvent {
  /** The neighbor's configured (or dynamic) address. */
  readonly neighbor: string;
  readonly direction: 'in' | 'out';
  /** The whole BGP message; valid during the call only (copy to keep). */
  readonly frame: Uint8Array;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAs: number;
  /** The neighbor's AS: negotiated, else configured; 0 when neither is known yet. */
  readonly peerAs: number;
  /** Codec context of the connection (4-octet AS, ADD-PATH per direction) once negotiated. */
  readonly context: UpdateContext;
}

export type WireListener = (e: WireEvent) => void;

export class WireTaps {
  private readonly listeners = new Set<WireListener>();

  constructor(private readonly localAs: () => number) {}

  /** Calls `fn` for every message from now on; returns the unsubscribe. */
  add(fn: WireListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The PeerHooks.wire hook. */
  readonly hook = (peer: PeerSession, direction: 'in' | 'out', frame: Uint8Array, conn: Connection): void => {
    if (!this.listeners.size) return;
    const configured = peer.config.peerAs;
    const e: WireEvent = {
      neighbor: peer.endpoint.address,
      direction,
      frame,
      localAddress: conn.localAddress,
      localPort: conn.socket.localPort ?? 0,
      remoteAddress: conn.remoteAddress,
      remotePort: conn.socket.remotePort ?? 0,
      localAs: this.localAs(),
      peerAs: peer.params?.peerAsn ?? (typeof configured === 'number' ? configured : 0),
      context: conn.context,
    };
    for (const fn of this.listeners) fn(e);
  };
}
