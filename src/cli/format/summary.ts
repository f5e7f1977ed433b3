/**
 * `rackbgp show summary`: FRR's `show bgp summary` table (Neighbor, V, AS, MsgRcvd, MsgSent, InQ,
 * OutQ, Up/Down, State/PfxRcd, PfxSnt, Desc) from the API's neighbor views. Pure.
 */
import type { NeighborView, SpeakerStatus } from '../../api/service.js';
import { table, upDown } from './text.js';

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** FRR shows the prefix count when Established, the state otherwise ("Idle (Admin)" when shut down). */
export function stateOrPrefixes(n: NeighborView): string {
  if (n.state === 'Established') return String(n.prefixesReceived);
  return n.enabled ? n.state : `${n.state} (Admin)`;
}

export function formatSummary(status: SpeakerStatus, neighbors: readonly NeighborView[]): string {
  const head = `BGP router identifier ${status.routerId}, local AS number ${status.asn}`;
  if (!neighbors.length) return `${head}\nNo neighbors configured.\n`;
  const rows = neighbors.map((n) => [
    n.dynamic ? `*${n.address}` : n.address,
    '4',
    String(n.peerAs),
    String(sum(n.counters.messagesIn)),
    String(sum(n.counters.messagesOut)),
    String(n.inQueue),
    String(n.outQueue),
    upDown(n.upDownSeconds),
    stateOrPrefixes(n),
    String(n.prefixesSent),
    n.description ?? 'N/A',
  ]);
  const body = table(
    ['Neighbor', 'V', 'AS', 'MsgRcvd', 'MsgSent', 'InQ', 'OutQ', 'Up/Down', 'State/PfxRcd', 'PfxSnt', 'Desc'],
    rows,
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
  const dynamic = neighbors.some((n) => n.dynamic) ? '\n* - dynamic neighbor (listen range)' : '';
  const up = neighbors.filter((n) => n.state === 'Established').length;
  return `${head}\n\n${body}\n\nTotal number of neighbors ${neighbors.length}, ${up} established${dynamic}\n`;
}
