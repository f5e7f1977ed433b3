/** Plain-data snapshots of sessions for the CLI, the API and metrics (no live objects leak out). */

import { STEP_NAMES } from '../rib/decision.js';
import type { Dest } from '../rib/loc-rib.js';
import { keyToText, type PrefixKey, writeKey } from '../rib/prefix-key.js';
import type { RouteAttrs } from '../rib/types.js';
import type { PeerCounters } from '../session/counters.js';
import type { SessionState } from '../session/fsm.js';
import type { PeerSession } from '../session/peer-session.js';
import { attributesToJson, familyName } from '../wire/index.js';

/** The last error of a session, as snapshots carry it (src/session/counters.ts). */
export type { LastError } from '../session/counters.js';

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
  readonly prefixesSent: number;
  /** RFC 4724 helper: families whose routes are kept stale, until when (wall-clock ms). */
  readonly gracefulRestart?: { readonly families: string[]; readonly until: number };
  readonly inQueue: number;
  readonly outQueue: number;
  readonly counters: PeerCounters;
}

export function neighborSnapshot(
  p: PeerSession,
  extra: {
    prefixesReceived: number;
    prefixesSent: number;
    dynamic: boolean;
    gracefulRestart?: { families: string[]; until: number };
  },
): NeighborSnapshot {
  const { prefixesReceived, prefixesSent, dynamic, gracefulRestart } = extra;
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
    prefixesSent,
    ...(gracefulRestart && { gracefulRestart }),
    inQueue: conn?.inQueue ?? 0,
    outQueue: conn?.outQueue ?? 0,
    counters: structuredClone(p.counters),
  };
}

export interface PathSnapshot {
  readonly peer: string;
  readonly pathId: number;
  readonly best: boolean;
  readonly multipath: boolean;
  readonly stale: boolean;
  readonly nextHop?: string;
  readonly linkLocalNextHop?: string;
  /** Attributes in the JSON form of `rackbgp decode` (docs/decode.md). */
  readonly attributes: Record<string, unknown>;
}

export interface RouteSnapshot {
  readonly family: 4 | 6;
  readonly prefix: string;
  /** Why the best path won (STEP_NAMES of the decision process). */
  readonly reason: string;
  readonly paths: readonly PathSnapshot[];
}

export function routeSnapshot(d: Dest): RouteSnapshot {
  return {
    family: d.family,
    prefix: keyToText(d.family, d.key),
    reason: d.best ? STEP_NAMES[d.reason] : 'no usable path',
    paths: d.paths.map((p) => {
      const { nextHop, linkLocalNextHop, ...attrs } = p.attrs.attrs;
      return {
        peer: p.peer.id === 0 ? 'local' : p.peer.address,
        pathId: p.pathId,
        best: p === d.best,
        multipath: d.multipath.length > 1 && d.multipath.includes(p),
        stale: p.stale,
        ...(nextHop !== undefined && { nextHop }),
        ...(linkLocalNextHop !== undefined && { linkLocalNextHop }),
        attributes: attributesToJson(attrs),
      };
    }),
  };
}

/** One path of an Adj-RIB (as sent to, or received from, one neighbor). */
export interface AdjRibRouteSnapshot {
  readonly family: 4 | 6;
  readonly prefix: string;
  /** RFC 7911 path identifier (0 without ADD-PATH). */
  readonly pathId: number;
  readonly nextHop?: string;
  readonly linkLocalNextHop?: string;
  /** Attributes in the JSON form of `rackbgp decode` (docs/decode.md). */
  readonly attributes: Record<string, unknown>;
}

/** Adj-RIB entries as snapshots, sorted by prefix (address, then length) and path id. */
export function adjRibSnapshot(
  family: 4 | 6,
  entries: readonly { key: PrefixKey; pathId: number; attrs: RouteAttrs }[],
): AdjRibRouteSnapshot[] {
  const rows = entries.map((e) => {
    const { nextHop, linkLocalNextHop, ...attrs } = e.attrs;
    const bytes = new Uint8Array(17);
    writeKey(e.key, bytes, 0);
    return {
      order: bytes,
      route: {
        family,
        prefix: keyToText(family, e.key),
        pathId: e.pathId,
        ...(nextHop !== undefined && { nextHop }),
        ...(linkLocalNextHop !== undefined && { linkLocalNextHop }),
        attributes: attributesToJson(attrs),
      },
    };
  });
  rows.sort((a, b) => compareKeyBytes(a.order, b.order) || a.route.pathId - b.route.pathId);
  return rows.map((r) => r.route);
}

/** Wire form (length octet, then the address octets) compared as address first, then length. */
function compareKeyBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 1; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a[0] - b[0];
}
