/**
 * The sessions' hooks into the routing engine: an Established session becomes a PeerInfo
 * (peer-info.ts) and joins the engine; UPDATEs, End-of-RIB, ROUTE-REFRESH (answered by
 * refresh-answer.ts, RFC 2918 / RFC 7313) and max-prefix (max-prefix.ts, RFC 4486 §4) go where
 * they belong; End-of-RIB leaves by one path (sendEndOfRib); a session going down leaves. It does not own the sessions, the engine, the
 * graceful-restart helpers or the policies: the Speaker composes them and hands them over.
 */
import type { Config, SessionSettings } from '../config/schema.js';
import { type CompiledPolicy, policyChain } from '../policy/index.js';
import type { PeerInfo } from '../rib/types.js';
import type { SessionManager } from '../session/manager.js';
import type { Logger, PeerHooks, PeerSession } from '../session/peer-session.js';
import type { Clock } from '../util/clock.js';
import {
  endOfRib,
  endOfRibFamily,
  familyName,
  IPV4_UNICAST,
  IPV6_UNICAST,
  type NotificationMessage,
  RefreshSubtype,
  type SessionParams,
  type UpdateMessage,
} from '../wire/index.js';
import type { EnhancedRefreshReceiver } from './enhanced-refresh.js';
import { type FaultRegistry, WITHDRAW_ALL_POLICY } from './faults.js';
import type { GracefulRestartHelper } from './graceful-restart.js';
import { MaxPrefixGuard } from './max-prefix.js';
import { buildPeerInfo } from './peer-info.js';
import { answerRouteRefresh } from './refresh-answer.js';
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
  /** RFC 4486 §4: Cease over the limit, and the restart after `restart-after`. */
  private readonly maxPrefix: MaxPrefixGuard;

  constructor(private readonly host: SessionBridgeHost) {
    this.maxPrefix = new MaxPrefixGuard({
      clock: host.clock,
      log: host.log,
      restartAfter: (address) => host.sessions().settingsOf(address)['max-prefix']?.['restart-after'],
    });
  }

  /** The hooks a SessionManager calls, but for stateChange (the Speaker's own). */
  hooks(): Omit<PeerHooks, 'stateChange'> {
    return {
      established: (peer, params) => this.onEstablished(peer, params),
      down: (peer, reason, byNotification, notification) =>
        this.onDown(peer, reason, byNotification, notification),
      update: (peer, m) => this.onUpdate(peer, m),
      routeRefresh: (peer, m) =>
        answerRouteRefresh(peer, m, {
          info: this.infos.get(peer),
          refreshIn: this.host.refreshIn,
          routing: this.host.routing,
          sendEndOfRib: (f) => this.sendEndOfRib(peer, f),
        }),
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
    this.maxPrefix.stop();
  }

  private onEstablished(peer: PeerSession, params: SessionParams): void {
    const { routing, subnets } = this.host;
    const config = this.host.config();
    const address = peer.endpoint.address;
    const settings = this.host.sessions().settingsOf(address);
    const info = buildPeerInfo(this.nextPeerId++, address, params, {
      localAs: config.asn,
      localAddress: peer.connection?.localAddress ?? '',
      routeReflectorClient: settings['route-reflector-client'] ?? false,
      subnets,
    });
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
            exceeded: (f, limit) => this.maxPrefix.exceeded(peer, f, limit),
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
