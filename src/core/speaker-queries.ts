/**
 * The speaker's read side as plain data for the api and metrics (which never see the sessions or
 * the RIB themselves): a neighbor's session and settings, the RIB's counts per family, operator
 * actions on a session. Built from the parts the Speaker composes; nothing here is kept.
 */
import type { SessionSettings } from '../config/schema.js';
import { keepaliveSeconds } from '../session/fsm.js';
import { SESSION_DEFAULTS } from '../session/neighbor-config.js';
import type { PeerSession } from '../session/peer-session.js';
import type { OpenMessage, SessionParams } from '../wire/index.js';
import type { RoutingEngine } from './routing.js';

/** A configured neighbor's session as the api shows it. */
export interface NeighborSessionView {
  readonly settings: SessionSettings;
  /** Not administratively down. */
  readonly enabled: boolean;
  /** Configured or default hold time and connect-retry time (seconds). */
  readonly holdTime: number;
  readonly connectRetryTime: number;
  readonly localOpen: OpenMessage;
  /** While Established: the negotiated parameters, the neighbor's OPEN and the keepalive in use. */
  readonly params?: SessionParams;
  readonly remoteOpen?: OpenMessage;
  readonly keepaliveTime?: number;
}

export function neighborSessionView(peer: PeerSession, settings: SessionSettings): NeighborSessionView {
  const params = peer.params;
  const remoteOpen = peer.remoteOpen;
  return {
    settings,
    enabled: peer.enabled,
    holdTime: settings['hold-time'] ?? SESSION_DEFAULTS.holdTime,
    connectRetryTime: settings['connect-retry-time'] ?? SESSION_DEFAULTS.connectRetryTime,
    localOpen: peer.config.localOpen,
    ...(params && { params, keepaliveTime: keepaliveSeconds(peer.config, params.holdTime) }),
    ...(remoteOpen && { remoteOpen }),
  };
}

/** Operator actions on a neighbor's session (RFC 4486 §4 Cease subcodes, RFC 8203 messages). */
export type NeighborAction =
  | { readonly kind: 'reset'; readonly message?: string }
  | { readonly kind: 'shutdown'; readonly message?: string }
  | { readonly kind: 'enable' }
  | { readonly kind: 'trace'; readonly on: boolean };

export function applyNeighborAction(peer: PeerSession, a: NeighborAction): void {
  switch (a.kind) {
    case 'reset':
      peer.reset(a.message ?? '');
      return;
    case 'shutdown':
      peer.stop(a.message ?? '');
      return;
    case 'enable':
      peer.start();
      return;
    case 'trace':
      peer.trace = a.on;
      return;
  }
}

/** Counts of one family of the Loc-RIB. */
export interface FamilyCounts {
  readonly prefixes: number;
  readonly paths: number;
  /** Prefixes with a best path (what the FIB could install). */
  readonly best: number;
  /** Prefixes with more than one path in the multipath set. */
  readonly multipath: number;
}

export interface RibCounts {
  readonly families: Readonly<Record<4 | 6, FamilyCounts>>;
  /** Interned attribute sets: in the Loc-RIB, and in the Adj-RIBs-Out. */
  readonly attributeSets: number;
  readonly exportedAttributeSets: number;
  /** Update groups, as the number of peers in each (largest first). */
  readonly updateGroups: readonly number[];
  /** UPDATEs handed to a peer as packed for its group (not packed again for it). */
  readonly sharedUpdates: number;
}

export function ribCounts(routing: RoutingEngine): RibCounts {
  const family = (f: 4 | 6): FamilyCounts => {
    let paths = 0;
    let best = 0;
    let multipath = 0;
    const table = routing.rib.tables[f];
    for (const d of table.values()) {
      paths += d.paths.length;
      if (d.best) best++;
      if (d.multipath.length > 1) multipath++;
    }
    return { prefixes: table.size, paths, best, multipath };
  };
  return {
    families: { 4: family(4), 6: family(6) },
    attributeSets: routing.rib.store.size,
    exportedAttributeSets: routing.exportedAttributeSets,
    updateGroups: routing.groupSizes,
    sharedUpdates: routing.sharedUpdates,
  };
}
