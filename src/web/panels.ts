/**
 * The panel sections a rackbgp switch shows, for any source: `show summary` (its neighbors) and its
 * Loc-RIB with the ECMP set of each prefix (best and multipath paths), from the API's JSON shapes.
 * `device` maps a neighbor or next-hop address to the device the page highlights.
 */
import type { PanelSection } from './serve.js';

export interface SummaryNeighbor {
  readonly address: string;
  readonly peerAs: number | string;
  readonly state: string;
  readonly prefixesReceived: number;
  readonly prefixesSent: number;
  readonly description?: string;
}

export interface RibRoute {
  readonly prefix: string;
  readonly reason: string;
  readonly paths: readonly {
    readonly peer: string;
    readonly nextHop?: string;
    readonly best: boolean;
    readonly multipath: boolean;
  }[];
}

type DeviceOf = (address: string) => string | undefined;

export function summarySection(neighbors: readonly SummaryNeighbor[], device: DeviceOf): PanelSection {
  return {
    title: 'show summary',
    columns: ['neighbor', 'AS', 'state', 'pfx rcvd', 'pfx sent', 'description'],
    rows: neighbors.map((n) => ({
      cells: [
        n.address,
        String(n.peerAs),
        n.state,
        String(n.prefixesReceived),
        String(n.prefixesSent),
        n.description ?? '',
      ],
      ecmp: [device(n.address) ?? []].flat(),
    })),
  };
}

/** The paths a prefix forwards over: the best and those multipath with it. */
export const ecmpSet = <P extends RibRoute['paths'][number]>(paths: readonly P[]): P[] =>
  paths.filter((p) => p.best || p.multipath);

export function routesSection(title: string, routes: readonly RibRoute[], device: DeviceOf): PanelSection {
  return {
    title,
    columns: ['prefix', 'best (ECMP set)', 'paths', 'reason'],
    rows: routes.map((r) => {
      const set = ecmpSet(r.paths);
      return {
        cells: [r.prefix, set.map((p) => p.nextHop ?? p.peer).join(' + '), String(r.paths.length), r.reason],
        ecmp: [...new Set(set.flatMap((p) => device(p.nextHop ?? p.peer) ?? device(p.peer) ?? []))],
      };
    }),
  };
}
