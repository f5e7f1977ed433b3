/** Plain-data snapshots of sessions for the CLI, the API and metrics (no live objects leak out). */
import type { PeerCounters } from '../session/counters.js';
import type { SessionState } from '../session/fsm.js';
import type { PeerSession } from '../session/peer-session.js';
import { familyName } from '../wire/index.js';

export interface NeighborSnapshot {
  readonly address: string;
  readonly dynamic: boolean;
  readonly state: SessionState;
  readonly enabled: boolean;
  readonly peerAs: number | string;
  readonly localAddress?: string;
  readonly remoteRouterId?: string;
  readonly negotiated?: {
    readonly holdTime: number;
    readonly fourOctetAs: boolean;
    readonly families: string[];
    readonly addPathRx: string[];
    readonly addPathTx: string[];
    readonly routeRefresh: boolean;
    readonly enhancedRouteRefresh: boolean;
    readonly extendedMessage: boolean;
    readonly peerGracefulRestart: boolean;
  };
  readonly prefixesReceived: number;
  readonly inQueue: number;
  readonly outQueue: number;
  readonly counters: PeerCounters;
}

export function neighborSnapshot(
  p: PeerSession,
  prefixesReceived: number,
  dynamic: boolean,
): NeighborSnapshot {
  const params = p.params;
  const conn = p.connection;
  return {
    address: p.endpoint.address,
    dynamic,
    state: p.sessionState,
    enabled: p.enabled,
    peerAs: params?.peerAsn ?? p.config.peerAs,
    ...(conn && { localAddress: conn.localAddress }),
    ...(params && {
      remoteRouterId: params.peerRouterId,
      negotiated: {
        holdTime: params.holdTime,
        fourOctetAs: params.fourOctetAs,
        families: params.families.map(familyName),
        addPathRx: [...params.addPathRx].map(familyName),
        addPathTx: [...params.addPathTx].map(familyName),
        routeRefresh: params.routeRefresh,
        enhancedRouteRefresh: params.enhancedRouteRefresh,
        extendedMessage: params.extendedMessage,
        peerGracefulRestart: params.peerGracefulRestart !== null,
      },
    }),
    prefixesReceived,
    inQueue: conn?.inQueue ?? 0,
    outQueue: conn?.outQueue ?? 0,
    counters: structuredClone(p.counters),
  };
}
