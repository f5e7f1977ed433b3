/**
 * The sessions' hooks into the routing engine: an Established session becomes a PeerInfo (local
 * addresses, next hop self of the other family per RFC 4760 §3 and RFC 2545 §3) and joins the
 * engine; UPDATEs, End-of-RIB, ROUTE-REFRESH (RFC 2918, RFC 7313) and max-prefix (RFC 4486 §4) go
 * where they belong; a session going down leaves. It does not own the sessions, the engine, the
 * graceful-restart helpers or the policies: the Speaker composes them and hands them over.
 */
import type { Config, SessionSettings } from '../config/schema.js';
import { type CompiledPolicy, policyChain } from '../policy/index.js';
import type { PeerInfo } from '../rib/types.js';
import type { SessionManager } from '../session/manager.js';
import type { Logger, PeerHooks, PeerSession } from '../session/peer-session.js';
import type { Clock, Timer } from '../util/clock.js';
import { ipFamily, parseIPv4 } from '../util/ip.js';
import {
  Afi,
  endOfRib,
  endOfRibFamily,
  familyName,
  IPV4_UNICAST,
  IPV6_UNICAST,
  maxPrefixNotification,
  type NotificationMessage,
  RefreshSubtype,
  type SessionParams,
  type UpdateMessage,
} from '../wire/index.js';
import type { EnhancedRefreshReceiver } from './enhanced-refresh.js';
import { type FaultRegistry, WITHDRAW_ALL_POLICY } from './faults.js';
import type { GracefulRestartHelper } from './graceful-restart.js';
import type { RestartingSpeaker } from './restarting-speaker.js';
import type { RoutingEngine } from './routing.js';
import type { LocalSubnets } from './subnets.js';

/** Families by name in logs and snapshots, as the config spells them. */
export const unicastName = (f: 4 | 6) => (f === 4 ? 'ipv4-unicast' : 'ipv6-unicast');

const familyNumber = (f: number): 4 | 6 | 0 => (f === IPV4_UNICAST ? 4 : f === IPV6_UNICAST ? 6 : 0);

/** What the bridge reads from the composition root; getters where the Speaker replaces or creates later. */
export interface SessionBridgeHost {
  readonly log: Logger;
  readonly clock: Clock;
  readonly routing: RoutingEngine;
  readonly subnets: LocalSubnets;
  readonly gracefulRestart: GracefulRestartHelper;
  readonly refreshIn: EnhancedRefreshReceiver;
  config(): Readonly<Config>;
  sessions(): SessionManager;
  policies(): ReadonlyMap<string, CompiledPolicy>;
  faults(): FaultRegistry;
  restarting(): RestartingSpeaker | undefined;
  emitEstablished(e: { neighbor: string; params: SessionParams }): void;
  emitEndOfRib(e: { neighbor: string; family: string }): void;
  emitEndOfRibSent(e: { neighbor: string; family: string }): void;
}

export class SessionBridge {
  private readonly infos = new Map<PeerSession, PeerInfo>();
  private readonly params = new Map<PeerSession, SessionParams>();
  private nextPeerId = 1;
  /** Timers that restart a peer after max-prefix (cancelled by stop()). */
  private readonly restartTimers = new Set<Timer>();

  constructor(private readonly host: SessionBridgeHost) {}

  /** The hooks a SessionManager calls, but for stateChange (the Speaker's own). */
  hooks(): Omit<PeerHooks, 'stateChange'> {
    return {
      established: (peer, params) => this.onEstablished(peer, params),
      down: (peer, reason, byNotification, notification) =>
        this.onDown(peer, reason, byNotification, notification),
      update: (peer, m) => this.onUpdate(peer, m),
      routeRefresh: (peer, m) => {
        // RFC 7313 §4: BoRR, the table, EoRR with enhanced refresh; a plain re-send otherwise.
        // The end marker is queued behind the re-sent UPDATEs, so it cannot overtake them.
        const info = this.infos.get(peer);
        if (m.subtype !== RefreshSubtype.NORMAL) {
          const f = familyNumber(m.family);
          if (!info || !f || !peer.params?.enhancedRouteRefresh) return;
          if (m.subtype === RefreshSubtype.BORR) this.host.refreshIn.begin(info, f);
          else if (m.subtype === RefreshSubtype.EORR) this.host.refreshIn.end(info, f);
          return;
        }
        const enhanced = peer.params?.enhancedRouteRefresh;
        if (enhanced) peer.send({ type: 'route-refresh', family: m.family, subtype: RefreshSubtype.BORR });
        if (info) this.host.routing.refreshOut(info);
        const f = familyNumber(m.family);
        if (enhanced)
          peer.connection?.sendAfterUpdates({
            type: 'route-refresh',
            family: m.family,
            subtype: RefreshSubtype.EORR,
          });
        else if (f) this.sendEndOfRib(peer, f);
        else peer.connection?.sendAfterUpdates(endOfRib(m.family));
      },
    };
  }

  /** The engine's view of an Established session; undefined when it is not up. */
  infoOf(peer: PeerSession): PeerInfo | undefined {
    return this.infos.get(peer);
  }

  paramsOf(peer: PeerSession): SessionParams | undefined {
    return this.params.get(peer);
  }

  /** The engine's view of the neighbor's session; undefined when it is not Established. */
  infoAt(address: string): PeerInfo | undefined {
    const peer = this.host.sessions().peers.get(address);
    return peer && this.infos.get(peer);
  }

  /** Import and export policy of the neighbor applied again (reload, faults); false when it is not up. */
  applyPolicies(address: string): boolean {
    const info = this.infoAt(address);
    if (!info) return false;
    this.host.routing.setPolicies(info, this.policiesOf(address, this.host.sessions().settingsOf(address)));
    return true;
  }

  /** The peer's routes in again: from the kept Adj-RIB-In (soft reconfiguration), else ROUTE-REFRESH (RFC 2918). */
  requestRefresh(address: string): boolean {
    const peer = this.host.sessions().peers.get(address);
    const info = peer && this.infos.get(peer);
    if (info && this.host.routing.reimport(info)) return true;
    const params = peer && this.params.get(peer);
    if (!peer || !params?.routeRefresh) return false;
    for (const family of params.families)
      peer.send({ type: 'route-refresh', family, subtype: RefreshSubtype.NORMAL });
    return true;
  }

  /** A fault's export block (src/core/faults.ts) stands in for the export policy while it lasts. */
  private policiesOf(address: string, settings: SessionSettings) {
    const policies = this.host.policies();
    return {
      importPolicy: policyChain(settings.import, policies),
      exportPolicy: this.host.faults().blocksExport(address)
        ? [WITHDRAW_ALL_POLICY]
        : policyChain(settings.export, policies),
      ebgpRequiresPolicy: this.host.config()['ebgp-requires-policy'],
    };
  }

  /** Cancels the max-prefix restart timers. */
  stop(): void {
    for (const t of this.restartTimers) t.cancel();
    this.restartTimers.clear();
  }

  private onEstablished(peer: PeerSession, params: SessionParams): void {
    const { routing, subnets } = this.host;
    const config = this.host.config();
    const address = peer.endpoint.address;
    const settings = this.host.sessions().settingsOf(address);
    const zoned = peer.connection?.localAddress ?? '';
    const iface = subnets.interfaceOf(zoned);
    const local = zoned.replace(/%.*$/, ''); // a link-local address's zone is `iface`
    const directlyConnected = subnets.shareSubnet(address, address);
    // RFC 4760 §3: routes of the other IP family on this session (IPv6 over an IPv4 session, or
    // the reverse) need a next hop self of that family: like FRR, our global address of that
    // family on the session's interface.
    const otherFamily = ipFamily(local) === 4 ? 6 : 4;
    const other = iface === undefined ? undefined : subnets.globalOf(iface, otherFamily);
    const local4 = ipFamily(local) === 4 ? local : other;
    const local6 = ipFamily(local) === 6 ? local : other;
    // RFC 2545 §3: our link-local address goes beside a global next hop self to a peer on the link.
    const linkLocal =
      local6 !== undefined && directlyConnected && iface !== undefined && !/^fe80:/i.test(local6)
        ? subnets.linkLocalOf(iface)
        : undefined;
    const info: PeerInfo = {
      id: this.nextPeerId++,
      address,
      asn: params.peerAsn,
      routerId: params.peerRouterId,
      routerIdNum: parseIPv4(params.peerRouterId),
      ibgp: params.peerAsn === config.asn,
      rrClient: settings['route-reflector-client'] ?? false,
      ...(local4 !== undefined && { localAddress4: local4 }),
      ...(local6 !== undefined && { localAddress6: local6 }),
      directlyConnected,
      ...(directlyConnected && subnets.pointToPoint(address) && { pointToPoint: true }),
      ...(iface !== undefined && { interface: iface }),
      ...(linkLocal !== undefined && { localLinkLocal6: linkLocal }),
      ...(params.extendedNextHop.some((e) => e.family === IPV4_UNICAST && e.nextHopAfi === Afi.IPV6) && {
        extendedNextHop4: true,
      }),
    };
    this.infos.set(peer, info);
    this.params.set(peer, params);
    this.host.gracefulRestart.sessionUp(address, params);
    this.host.restarting()?.established(address, params);
    routing.peerUp(
      info,
      params,
      {
        sendUpdates: (messages) => peer.connection?.sendUpdates(messages),
        sendEndOfRib: (f) => this.sendEndOfRib(peer, f),
      },
      {
        export: {
          nextHopSelf: settings['next-hop-self'] ?? false,
          nextHopKeep: settings['next-hop-keep'] ?? false,
        },
        import: { allowasIn: settings['allowas-in'] ?? 0 },
        addPathSend: settings['add-paths']?.send ?? 'all',
        advertisementInterval: settings['advertisement-interval'] ?? 0,
        softReconfigurationInbound: settings['soft-reconfiguration-inbound'] ?? false,
        ...this.policiesOf(address, settings),
        ...(settings['max-prefix'] && {
          maxPrefix: {
            limit: settings['max-prefix'].limit,
            exceeded: (f, limit) => this.maxPrefixExceeded(peer, f, limit),
          },
        }),
      },
    );
    this.host.emitEstablished({ neighbor: address, params });
  }

  private onDown(
    peer: PeerSession,
    reason: string,
    byNotification: boolean,
    notification: NotificationMessage | null = null,
  ): void {
    const info = this.infos.get(peer);
    const params = this.params.get(peer);
    if (!info || !params) return;
    this.infos.delete(peer);
    this.params.delete(peer);
    this.host.refreshIn.peerDown(info);
    this.host.gracefulRestart.sessionDown(peer.endpoint.address, info, params, {
      reason,
      byNotification,
      notification,
      // RFC 8538 §2 from this session's OPENs (the peer's session object has already let them go).
      notificationGr:
        !!params.peerGracefulRestart?.notification &&
        !!peer.config.localOpen.capabilities.some((c) => c.kind === 'graceful-restart' && c.notification),
    });
  }

  /** RFC 4724 §2: End-of-RIB, queued behind the UPDATEs before it; the one way it leaves. */
  private sendEndOfRib(peer: PeerSession, f: 4 | 6): void {
    if (!peer.connection) return;
    peer.connection.sendAfterUpdates(endOfRib(f === 4 ? IPV4_UNICAST : IPV6_UNICAST));
    this.host.emitEndOfRibSent({ neighbor: peer.endpoint.address, family: unicastName(f) });
  }

  /** RFC 4486 §4: Cease/Maximum Number of Prefixes Reached with AFI, SAFI and the limit; restart later if configured. */
  private maxPrefixExceeded(peer: PeerSession, family: 4 | 6, limit: number): void {
    const restartAfter = this.host.sessions().settingsOf(peer.endpoint.address)['max-prefix']?.[
      'restart-after'
    ];
    this.host.log.warn(
      { peer: peer.endpoint.address, family: unicastName(family), limit, restartAfter },
      'maximum prefixes exceeded',
    );
    peer.stopWith(maxPrefixNotification(family === 4 ? IPV4_UNICAST : IPV6_UNICAST, limit));
    if (restartAfter) {
      const t = this.host.clock.setTimer(restartAfter * 1000, () => {
        this.restartTimers.delete(t);
        peer.start();
      });
      this.restartTimers.add(t);
    }
  }

  private onUpdate(peer: PeerSession, m: UpdateMessage): void {
    const info = this.infos.get(peer);
    if (!info) return;
    const eor = endOfRibFamily(m);
    if (eor !== null) {
      const f = familyNumber(eor);
      if (f) this.host.gracefulRestart.endOfRib(peer.endpoint.address, f);
      if (f) this.host.restarting()?.endOfRib(peer.endpoint.address, f);
      this.host.log.info({ peer: peer.endpoint.address, family: familyName(eor) }, 'End-of-RIB received');
      this.host.emitEndOfRib({ neighbor: peer.endpoint.address, family: familyName(eor) });
      return;
    }
    this.host.routing.receiveUpdate(info, m);
  }
}
