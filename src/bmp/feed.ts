/**
 * The speaker as a BMP monitored router (RFC 7854): for each `bmp:` station an initiation, a peer up
 * (both OPENs) and the tables of every Established session on connect, then live: peer up/down,
 * route monitoring of the pre-policy Adj-RIB-In (UPDATEs as received), the post-policy Adj-RIB-In
 * (what the Loc-RIB holds from the peer, RFC 4271 §3.2), the post-policy Adj-RIB-Out (UPDATEs as
 * sent, RFC 8671), statistics reports (§4.8) and a termination at stop. Loc-RIB (RFC 9069) is not sent.
 * It only reads the speaker (taps, events, queries); stations never block it (station.ts).
 */
import type { Config } from '../config/schema.js';
import type { AdjRibEntry, RibDumpEntry } from '../core/rib-dump.js';
import type { Speaker } from '../core/speaker.js';
import type { WireEvent } from '../core/wire-taps.js';
import type { RouteAttrs } from '../rib/types.js';
import type { Timer } from '../util/clock.js';
import { ipFamily } from '../util/ip.js';
import {
  encodeMessage,
  INITIAL_CONTEXT,
  type NotificationMessage,
  type SessionParams,
} from '../wire/index.js';
import {
  type BmpPeer,
  initiation,
  PeerDownReason,
  PeerFlag,
  peerDown,
  peerUp,
  routeMonitoring,
  StatType,
  statisticsReport,
  termination,
} from './bmp-encode.js';
import { BmpStation, type StationDeps } from './station.js';
import { announceUpdate, withdrawUpdate } from './updates.js';

/** What the feed knows of one neighbor's session (from the taps and the speaker's events). */
interface PeerView {
  sentOpen?: Uint8Array;
  receivedOpen?: Uint8Array;
  last?: WireEvent;
  up: boolean;
  routerId: string;
  peerAs: number;
  addPathRx: boolean;
  addPathTx: boolean;
}

export interface BmpFeedDeps extends Omit<StationDeps, 'connect'> {
  readonly connect?: StationDeps['connect'];
  /** Wall-clock milliseconds (per-peer header timestamps). */
  readonly now?: () => number;
  readonly sysDescr?: string;
}

export class BmpFeed {
  readonly stations: BmpStation[];
  private readonly peers = new Map<string, PeerView>();
  /** Post-policy Adj-RIB-In as last reported: neighbor → prefix → path id → attributes (interned). */
  private readonly post = new Map<
    string,
    Map<string, Map<number, { attrs: RouteAttrs; nlri: Uint8Array }>>
  >();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timers: Timer[] = [];
  private readonly now: () => number;

  constructor(
    private readonly speaker: Speaker,
    settings: Config['bmp'],
    private readonly deps: BmpFeedDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.stations = settings.map((s) => new BmpStation(s, deps, (st) => this.initialDump(st)));
    settings.forEach((s, i) => {
      if (s['statistics-interval'] > 0)
        this.every(s['statistics-interval'], () => this.statistics(this.stations[i]));
    });
  }

  start(): void {
    const sp = this.speaker;
    this.unsubscribe.push(sp.wireTaps.add((e) => this.wire(e)));
    const onEstablished = (e: { neighbor: string; params: SessionParams }) =>
      this.established(e.neighbor, e.params);
    const onState = (s: { neighbor: string; from: string; to: string }) => {
      if (s.from === 'Established') this.down(s.neighbor);
    };
    sp.on('established', onEstablished);
    sp.on('state', onState);
    this.unsubscribe.push(
      () => sp.off('established', onEstablished),
      () => sp.off('state', onState),
      sp.onRibChange((entries) => this.ribChanged(entries)),
    );
    for (const s of this.stations) s.start();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe) u();
    for (const t of this.timers) t.cancel();
    const bye = termination('rackbgp stopping');
    await Promise.all(this.stations.map((s) => s.stop(bye)));
  }

  private every(seconds: number, fn: () => void): void {
    const slot = this.timers.length;
    const tick = () => {
      fn();
      this.timers[slot] = this.deps.clock.setTimer(seconds * 1000, tick);
    };
    this.timers[slot] = this.deps.clock.setTimer(seconds * 1000, tick);
  }

  private broadcast(msg: Uint8Array): void {
    for (const s of this.stations) s.send(msg);
  }

  private view(neighbor: string): PeerView {
    let v = this.peers.get(neighbor);
    if (!v) {
      v = { up: false, routerId: '0.0.0.0', peerAs: 0, addPathRx: false, addPathTx: false };
      this.peers.set(neighbor, v);
    }
    return v;
  }

  private header(neighbor: string, v: PeerView, flags: number): BmpPeer {
    const ms = this.now();
    return {
      flags,
      address: v.last?.remoteAddress || neighbor,
      asn: v.peerAs,
      routerId: v.routerId,
      seconds: Math.floor(ms / 1000),
      microseconds: (ms % 1000) * 1000,
    };
  }

  private wire(e: WireEvent): void {
    const v = this.view(e.neighbor);
    v.last = e;
    const type = e.frame[18];
    if (type === 1) {
      if (e.direction === 'out') v.sentOpen = e.frame.slice();
      else v.receivedOpen = e.frame.slice();
      return;
    }
    if (type !== 2 || !v.up) return;
    // RFC 7854 §4.2 A flag: the UPDATE's AS_PATH has 2-octet ASNs (the session did not negotiate RFC 6793).
    const as2 = e.context.fourOctetAs ? 0 : PeerFlag.A;
    const flags = e.direction === 'in' ? as2 : PeerFlag.O | PeerFlag.L | as2;
    this.broadcast(routeMonitoring(this.header(e.neighbor, v, flags), e.frame));
  }

  private established(neighbor: string, params: SessionParams): void {
    const v = this.view(neighbor);
    v.up = true;
    v.peerAs = params.peerAsn;
    v.routerId = params.peerRouterId;
    v.addPathRx = params.addPathRx.size > 0;
    v.addPathTx = params.addPathTx.size > 0;
    this.post.set(neighbor, new Map());
    const msg = this.peerUpMessage(neighbor, v);
    if (msg) this.broadcast(msg);
  }

  private peerUpMessage(neighbor: string, v: PeerView): Uint8Array | null {
    if (!v.sentOpen || !v.receivedOpen || !v.last) return null;
    return peerUp(this.header(neighbor, v, 0), {
      localAddress: v.last.localAddress,
      localPort: v.last.localPort,
      remotePort: v.last.remotePort,
      sentOpen: v.sentOpen,
      receivedOpen: v.receivedOpen,
    });
  }

  /** RFC 7854 §4.9: why the session ended, from the neighbor's last error. */
  private down(neighbor: string): void {
    const v = this.peers.get(neighbor);
    if (!v?.up) return;
    v.up = false;
    this.post.delete(neighbor);
    const err = this.speaker.neighbors().find((x) => x.address === neighbor)?.counters.lastError;
    const h = this.header(neighbor, v, 0);
    if (err && (err.direction === 'sent' || err.direction === 'received') && err.code !== undefined) {
      const n: NotificationMessage = {
        type: 'notification',
        code: err.code,
        subcode: err.subcode ?? 0,
        data: Uint8Array.from(Buffer.from(err.data ?? '', 'hex')),
      };
      const reason =
        err.direction === 'sent' ? PeerDownReason.LOCAL_NOTIFICATION : PeerDownReason.REMOTE_NOTIFICATION;
      this.broadcast(peerDown(h, reason, encodeMessage(n, INITIAL_CONTEXT)));
    } else this.broadcast(peerDown(h, PeerDownReason.REMOTE_NO_NOTIFICATION));
  }

  /** Post-policy Adj-RIB-In: each changed prefix compared, per neighbor, with what was last reported. */
  private ribChanged(entries: readonly RibDumpEntry[]): void {
    const live = this.stations.some((s) => s.isUp);
    for (const e of entries) {
      for (const [neighbor, table] of this.post) {
        const v = this.peers.get(neighbor)!;
        const before = table.get(e.prefix);
        const now = new Map<number, { attrs: RouteAttrs; nlri: Uint8Array }>();
        for (const p of e.paths)
          if (p.peer.id !== 0 && p.peer.address === neighbor)
            now.set(p.pathId, { attrs: p.attrs, nlri: e.nlri });
        if (now.size) table.set(e.prefix, now);
        else table.delete(e.prefix);
        if (!live) continue;
        const h = this.header(neighbor, v, PeerFlag.L);
        for (const [id, r] of now)
          if (before?.get(id)?.attrs !== r.attrs)
            for (const u of announceUpdate(e.family, e.nlri, id, r.attrs, v.addPathRx))
              this.broadcast(routeMonitoring(h, u));
        for (const id of before?.keys() ?? [])
          if (!now.has(id))
            for (const u of withdrawUpdate(e.family, e.nlri, id, v.addPathRx))
              this.broadcast(routeMonitoring(h, u));
      }
    }
  }

  /** A new connection: initiation, then for each Established session its peer up and its tables. */
  private initialDump(st: BmpStation): void {
    st.send(initiation(this.deps.sysDescr ?? 'rackbgp', this.speaker.config['router-id']));
    for (const [neighbor, v] of this.peers) {
      if (!v.up) continue;
      const up = this.peerUpMessage(neighbor, v);
      if (!up) continue;
      st.send(up);
      const send = (flags: number, rows: readonly AdjRibEntry[], addPath: boolean) => {
        const h = this.header(neighbor, v, flags);
        for (const r of rows)
          for (const u of announceUpdate(r.family, r.nlri, r.pathId, r.attrs, addPath))
            st.send(routeMonitoring(h, u));
      };
      send(0, this.speaker.adjRib(neighbor, 'in') ?? [], v.addPathRx);
      const post = [...(this.post.get(neighbor) ?? new Map()).entries()].flatMap(([prefix, paths]) =>
        [...paths].map(([pathId, r]) => ({
          family: ipFamily(prefix.split('/')[0]) as 4 | 6,
          prefix,
          nlri: r.nlri,
          pathId,
          attrs: r.attrs,
        })),
      );
      send(PeerFlag.L, post, v.addPathRx);
      send(PeerFlag.O | PeerFlag.L, this.speaker.adjRib(neighbor, 'out') ?? [], v.addPathTx);
    }
  }

  /** RFC 7854 §4.8 per Established session: Adj-RIB-In, Loc-RIB and Adj-RIB-Out (RFC 8671) route counts. */
  private statistics(st: BmpStation): void {
    if (!st.isUp) return;
    for (const n of this.speaker.neighbors()) {
      const v = this.peers.get(n.address);
      if (!v?.up) continue;
      const c = this.speaker.prefixCounts(n.address);
      const sum = (k: 'received' | 'accepted' | 'advertised') => c[4][k] + c[6][k];
      st.send(
        statisticsReport(this.header(n.address, v, 0), [
          { type: StatType.ADJ_RIB_IN_ROUTES, value: sum('received'), gauge: true },
          { type: StatType.LOC_RIB_ROUTES, value: sum('accepted'), gauge: true },
          { type: StatType.ADJ_RIB_OUT_POST_ROUTES, value: sum('advertised'), gauge: true },
          {
            type: StatType.TREAT_AS_WITHDRAW,
            value: n.counters.updateIssues['treat-as-withdraw'] ?? 0,
            gauge: false,
          },
        ]),
      );
    }
  }
}
