/**
 * BFD tied to BGP (RFC 5882 §4.3, RFC 9384): a neighbor with `bfd` gets a BFD session; its Down
 * takes the BGP session down at once with Cease/BFD Down (6/10) and, with hold-bgp (the default),
 * BGP does not start again until BFD is Up. AdminDown, ours or the peer's, is not a failure
 * (RFC 5882 §3.2). It does not run BFD (src/bfd/) or the BGP sessions (src/session/).
 */
import { type BfdEngine, type BfdPeerState, localEngine } from '../bfd/engine.js';
import type { BfdPeerSpec, BfdTransport } from '../bfd/manager.js';
import { BfdDiag, BfdState, diagName, stateName } from '../bfd/packet.js';
import type { Transition } from '../bfd/state-machine.js';
import { workerEngine } from '../bfd/worker-engine.js';
import type { Config, SessionSettings } from '../config/schema.js';
import type { SessionManager } from '../session/manager.js';
import { mergeSettings } from '../session/neighbor-config.js';
import type { Logger } from '../session/peer-session.js';
import type { Clock } from '../util/clock.js';
import { CeaseSubcode, shutdownNotification } from '../wire/index.js';
import type { BfdAnnouncement } from './journal-wiring.js';

/** FRR's bfdd defaults: 300 ms receive and transmit, multiplier 3. */
export const BFD_DEFAULTS = { minRxMs: 300, minTxMs: 300, multiplier: 3 } as const;

export interface BfdSettings {
  readonly minRxMs: number;
  readonly minTxMs: number;
  readonly multiplier: number;
  readonly multihop: boolean;
  readonly holdBgp: boolean;
}

/** A session's `bfd` key with the defaults filled in; null when BFD is off. */
export function bfdSettings(s: SessionSettings): BfdSettings | null {
  const b = s.bfd;
  if (!b) return null;
  const o = b === true ? {} : b;
  return {
    minRxMs: o['min-rx'] ?? BFD_DEFAULTS.minRxMs,
    minTxMs: o['min-tx'] ?? BFD_DEFAULTS.minTxMs,
    multiplier: o.multiplier ?? BFD_DEFAULTS.multiplier,
    multihop: o.multihop ?? false,
    holdBgp: o['hold-bgp'] ?? true,
  };
}

export interface BfdLinkHost {
  readonly log: Logger;
  readonly clock: Clock;
  config(): Readonly<Config>;
  sessions(): SessionManager;
  announce(e: BfdAnnouncement): void;
}

export class BfdLink {
  readonly engine: BfdEngine;

  /** With a transport, BFD runs in this thread on host.clock (tests); otherwise in a worker thread. */
  constructor(
    private readonly host: BfdLinkHost,
    transport?: BfdTransport,
  ) {
    const changed = (address: string, t: Transition, now: BfdPeerState) => this.changed(address, t, now);
    this.engine = transport
      ? localEngine({ clock: host.clock, log: host.log, transport }, changed)
      : workerEngine(host.log, changed);
  }

  /** Resolves once the BFD sockets are open, or with why they could not be. */
  ready(): Promise<string | null> {
    return this.engine.ready();
  }

  /**
   * Sessions for every configured neighbor with `bfd`, and for dynamic and unnumbered neighbors
   * with it once they exist; an error text when the BFD sockets cannot be opened.
   */
  sync(): string | null {
    const config = this.host.config();
    const specs: BfdPeerSpec[] = [];
    const add = (address: string, s: SessionSettings) => {
      const b = bfdSettings(s);
      if (!b) return;
      specs.push({
        address,
        ...(s['source-address'] && { localAddress: s['source-address'] }),
        multihop: b.multihop,
        timers: { desiredMinTx: b.minTxMs * 1000, requiredMinRx: b.minRxMs * 1000, detectMult: b.multiplier },
        adminDown: !!s.shutdown,
      });
    };
    const seen = new Set<string>();
    for (const n of config.neighbors)
      if (n.address !== undefined) {
        seen.add(n.address);
        add(n.address, mergeSettings(config, n));
      }
    // Dynamic neighbors and unnumbered ones (under the learned address) once their session exists.
    const sessions = this.host.sessions();
    for (const address of sessions.peers.keys())
      if (!seen.has(address)) add(address, sessions.settingsOf(address));
    const err = this.engine.configure(specs);
    // A held BGP session whose BFD went away (or came Up meanwhile) starts.
    for (const [address, peer] of sessions.peers) if (!peer.enabled && this.mayStart(address)) peer.resume();
    return err;
  }

  /**
   * Whether BGP may start now: BFD off, hold-bgp off, a dynamic neighbor (its BFD session exists
   * only once it connected), BFD Up, or the peer's BFD AdminDown (RFC 5882 §3.2: not a failure).
   */
  mayStart(address: string): boolean {
    const sessions = this.host.sessions();
    const b = bfdSettings(sessions.settingsOf(address));
    if (!b?.holdBgp || sessions.isDynamic(address)) return true;
    const s = this.engine.peer(address);
    return !s || s.state === BfdState.Up || s.remoteState === BfdState.AdminDown;
  }

  stop(): void {
    this.engine.close();
  }

  private changed(address: string, t: Transition, s: BfdPeerState): void {
    const peer = this.host.sessions().peers.get(address);
    let bgp: BfdAnnouncement['bgp'];
    if (t.to === BfdState.Up) {
      if (peer && !peer.enabled && this.mayStart(address)) {
        peer.resume();
        if (peer.enabled) bgp = 'released';
      }
    } else if (t.from === BfdState.Up && t.to === BfdState.Down && s.remoteState !== BfdState.AdminDown) {
      // RFC 5882 §4.3 / RFC 9384: BFD Down takes the session down at once, Cease 6/10.
      if (peer?.enabled) {
        peer.interrupt(shutdownNotification(CeaseSubcode.BFD_DOWN, ''));
        peer.start();
        bgp = peer.enabled ? 'down' : 'held';
      }
    } else if (t.diag === BfdDiag.NeighborSignaledSessionDown && s.remoteState === BfdState.AdminDown) {
      // The peer went AdminDown: a held BGP session may start (RFC 5882 §3.2).
      peer?.resume();
    }
    this.host.announce({
      peer: address,
      from: stateName(t.from),
      to: stateName(t.to),
      diag: diagName(t.diag),
      ...(bgp && { bgp }),
    });
  }
}
