/**
 * The composition root: config → sessions → routing engine (→ FIB, with the FIB port). Each
 * Established session becomes a PeerInfo in the engine; UPDATEs flow in, packed UPDATEs flow out.
 */
import { EventEmitter } from 'node:events';
import type { Config } from '../config/schema.js';
import { keyFromText } from '../rib/prefix-key.js';
import type { PeerInfo } from '../rib/types.js';
import type { SessionState } from '../session/fsm.js';
import { SessionManager } from '../session/manager.js';
import type { Logger, PeerHooks, PeerSession } from '../session/peer-session.js';
import { type Clock, RealClock } from '../util/clock.js';
import { ipFamily, parseIPv4 } from '../util/ip.js';
import {
  endOfRib,
  endOfRibFamily,
  familyName,
  Origin,
  RefreshSubtype,
  type SessionParams,
  type UpdateMessage,
} from '../wire/index.js';
import { RoutingEngine } from './routing.js';
import { type NeighborSnapshot, neighborSnapshot, type RouteSnapshot, routeSnapshot } from './snapshot.js';
import { LocalSubnets } from './subnets.js';

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
  readonly routing: RoutingEngine;
  private readonly infos = new Map<PeerSession, PeerInfo>();
  private nextPeerId = 1;
  private readonly subnets = new LocalSubnets();

  constructor(
    readonly config: Readonly<Config>,
    options: SpeakerOptions = {},
  ) {
    super();
    const log = options.logger ?? silent;
    this.routing = new RoutingEngine({
      local: {
        asn: config.asn,
        routerId: config['router-id'],
        clusterId: config['cluster-id'] ?? config['router-id'],
      },
      decision: {
        alwaysCompareMed: config['always-compare-med'],
        maximumPaths: config['maximum-paths'],
        multipathRelax: config['multipath-relax'],
      },
      onSharedSubnet: (nextHop, to) => this.subnets.shareSubnet(nextHop, to.address),
    });
    const hooks: PeerHooks = {
      established: (peer, params) => this.onEstablished(peer, params),
      down: (peer) => this.onDown(peer),
      update: (peer, m) => this.onUpdate(peer, m),
      routeRefresh: (peer, m) => {
        // RFC 7313 §4: BoRR, the table, EoRR with enhanced refresh; a plain re-send otherwise.
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
    this.originateNetworks();
    await this.sessions.listen();
    this.sessions.start();
  }

  async stop(message?: string): Promise<void> {
    await this.sessions.stop(message);
  }

  neighbors(): NeighborSnapshot[] {
    return [...this.sessions.peers.values()].map((p) => {
      const info = this.infos.get(p);
      return neighborSnapshot(p, {
        prefixesReceived: info ? this.routing.receivedCount(info) : 0,
        prefixesSent: info ? this.routing.advertisedCount(info) : 0,
        dynamic: this.sessions.isDynamic(p.endpoint.address),
      });
    });
  }

  /** Routes in the Loc-RIB, optionally one prefix only. */
  routes(filter: { prefix?: string } = {}): RouteSnapshot[] {
    if (filter.prefix) {
      const k = keyFromText(filter.prefix);
      const d = k && this.routing.rib.get(k.family, k.key);
      return d ? [routeSnapshot(d)] : [];
    }
    const out: RouteSnapshot[] = [];
    for (const f of [4, 6] as const)
      for (const d of this.routing.rib.tables[f].values()) out.push(routeSnapshot(d));
    return out;
  }

  private originateNetworks(): void {
    for (const n of this.config.networks) {
      const spec = typeof n === 'string' ? { prefix: n } : n;
      const k = keyFromText(spec.prefix);
      if (!k) continue;
      this.routing.originate(k.family, k.key, {
        origin: Origin.IGP,
        asPath: [],
        ...('med' in spec && spec.med !== undefined && { med: spec.med }),
        ...('local-pref' in spec && spec['local-pref'] !== undefined && { localPref: spec['local-pref'] }),
        ...('communities' in spec &&
          spec.communities && {
            communities: spec.communities.map((c) => {
              const [a, b] = c.split(':').map(Number);
              return ((a << 16) | b) >>> 0;
            }),
          }),
      });
    }
  }

  private onEstablished(peer: PeerSession, params: SessionParams): void {
    const address = peer.endpoint.address;
    const settings = this.sessions.settingsOf(address);
    const local = peer.connection?.localAddress ?? '';
    const info: PeerInfo = {
      id: this.nextPeerId++,
      address,
      asn: params.peerAsn,
      routerId: params.peerRouterId,
      routerIdNum: parseIPv4(params.peerRouterId),
      ibgp: params.peerAsn === this.config.asn,
      rrClient: settings['route-reflector-client'] ?? false,
      ...(ipFamily(local) === 4 && { localAddress4: local }),
      ...(ipFamily(local) === 6 && { localAddress6: local }),
      directlyConnected: this.subnets.shareSubnet(address, address),
    };
    this.infos.set(peer, info);
    this.routing.peerUp(
      info,
      params,
      { sendUpdates: (messages) => peer.connection?.sendUpdates(messages) },
      {
        export: {
          nextHopSelf: settings['next-hop-self'] ?? false,
          nextHopKeep: settings['next-hop-keep'] ?? false,
        },
        import: { allowasIn: settings['allowas-in'] ?? 0 },
      },
    );
    this.emit('established', { neighbor: address, params });
  }

  private onDown(peer: PeerSession): void {
    const info = this.infos.get(peer);
    if (!info) return;
    this.infos.delete(peer);
    this.routing.peerDown(info);
  }

  private onUpdate(peer: PeerSession, m: UpdateMessage): void {
    const info = this.infos.get(peer);
    if (!info) return;
    const eor = endOfRibFamily(m);
    if (eor !== null) {
      this.emit('endOfRib', { neighbor: peer.endpoint.address, family: familyName(eor) });
      return;
    }
    this.routing.receiveUpdate(info, m);
  }
}
