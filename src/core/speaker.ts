/**
 * The composition root: config → sessions (and, with later issues, RIBs, policy and FIB).
 * Today it holds sessions, answers route refresh, sends End-of-RIB after the (empty) initial
 * table, and counts received prefixes per neighbor.
 */
import { EventEmitter } from 'node:events';
import type { Config } from '../config/schema.js';
import type { SessionState } from '../session/fsm.js';
import { SessionManager } from '../session/manager.js';
import type { Logger, PeerHooks, PeerSession } from '../session/peer-session.js';
import { type Clock, RealClock } from '../util/clock.js';
import {
  endOfRib,
  endOfRibFamily,
  familyName,
  IPV4_UNICAST,
  RefreshSubtype,
  type SessionParams,
  type UpdateMessage,
} from '../wire/index.js';
import { type NeighborSnapshot, neighborSnapshot } from './snapshot.js';

export interface SpeakerOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface SpeakerEvents {
  state: [{ neighbor: string; from: SessionState; to: SessionState }];
  established: [{ neighbor: string; params: SessionParams }];
  endOfRib: [{ neighbor: string; family: string }];
}

const silent: Logger = { info() {}, warn() {}, debug() {} };

export class Speaker extends EventEmitter<SpeakerEvents> {
  readonly sessions: SessionManager;
  /** Prefixes currently announced to us, per neighbor (key: family/prefix/path id). */
  private readonly received = new Map<string, Set<string>>();

  constructor(
    readonly config: Readonly<Config>,
    options: SpeakerOptions = {},
  ) {
    super();
    const log = options.logger ?? silent;
    const hooks: PeerHooks = {
      established: (peer, params) => this.onEstablished(peer, params),
      down: (peer) => this.received.delete(peer.endpoint.address),
      update: (peer, m) => this.onUpdate(peer, m),
      routeRefresh: (peer, m) => {
        // RFC 7313 §4: answer with BoRR, the table, EoRR when enhanced refresh was negotiated.
        if (m.subtype !== RefreshSubtype.NORMAL) return;
        if (peer.params?.enhancedRouteRefresh) {
          peer.send({ type: 'route-refresh', family: m.family, subtype: RefreshSubtype.BORR });
          peer.send({ type: 'route-refresh', family: m.family, subtype: RefreshSubtype.EORR });
        } else peer.send(endOfRib(m.family));
      },
      stateChange: (peer, from, to) => {
        this.emit('state', { neighbor: peer.endpoint.address, from, to });
        if ((to === 'Active' || to === 'Idle') && from !== 'Idle')
          this.sessions.forgetIfDynamic(peer.endpoint.address);
      },
    };
    this.sessions = new SessionManager(config, {
      clock: options.clock ?? new RealClock(),
      wallClock: Date.now,
      random: Math.random,
      log,
      hooks,
    });
  }

  async start(): Promise<void> {
    await this.sessions.listen();
    this.sessions.start();
  }

  async stop(message?: string): Promise<void> {
    await this.sessions.stop(message);
  }

  neighbors(): NeighborSnapshot[] {
    return [...this.sessions.peers.values()].map((p) =>
      neighborSnapshot(
        p,
        this.received.get(p.endpoint.address)?.size ?? 0,
        this.sessions.isDynamic(p.endpoint.address),
      ),
    );
  }

  private onEstablished(peer: PeerSession, params: SessionParams): void {
    this.received.set(peer.endpoint.address, new Set());
    // RFC 4724 §2: End-of-RIB after the initial table (empty until the routing core lands).
    for (const f of params.families) peer.send(endOfRib(f));
    this.emit('established', { neighbor: peer.endpoint.address, params });
  }

  private onUpdate(peer: PeerSession, m: UpdateMessage): void {
    const set = this.received.get(peer.endpoint.address);
    if (!set) return;
    const eor = endOfRibFamily(m);
    if (eor !== null) {
      this.emit('endOfRib', { neighbor: peer.endpoint.address, family: familyName(eor) });
      return;
    }
    const key = (f: number) => (p: { prefix: string; pathId?: number }) =>
      `${f}/${p.prefix}/${p.pathId ?? 0}`;
    for (const p of m.withdrawn.toArray()) set.delete(key(IPV4_UNICAST)(p));
    if (m.mpUnreach) for (const p of m.mpUnreach.withdrawn.toArray()) set.delete(key(m.mpUnreach.family)(p));
    const withdrawAll = m.attributes === null; // RFC 7606 treat-as-withdraw
    for (const p of m.nlri.toArray())
      withdrawAll ? set.delete(key(IPV4_UNICAST)(p)) : set.add(key(IPV4_UNICAST)(p));
    if (m.mpReach) {
      const k = key(m.mpReach.family);
      for (const p of m.mpReach.nlri.toArray()) withdrawAll ? set.delete(k(p)) : set.add(k(p));
    }
  }
}
