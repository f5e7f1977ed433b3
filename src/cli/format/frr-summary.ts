/**
 * `rackbgp show summary --json --frr` (and `show bgp summary json`): the shape of FRR's
 * `show bgp summary json` (FRR 8.4 bgp_vty.c), so jq scripts written for FRR work unchanged: one
 * object per family with peers (ipv4Unicast, ipv6Unicast), each peer under its address with FRR's
 * keys and types. What rackbgp does not track (table versions, memory) is 0. Pure.
 */
import type { NeighborView, RibSummary, SpeakerStatus } from '../../api/service.js';
import { upDown } from './text.js';

const FAMILIES = [
  ['ipv4-unicast', 'ipv4Unicast'],
  ['ipv6-unicast', 'ipv6Unicast'],
] as const;

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** One peer as FRR's summary JSON prints it (prefix counts of the given family). */
export function frrPeer(
  n: NeighborView,
  family: 'ipv4-unicast' | 'ipv6-unicast',
  nowMs: number,
): Record<string, unknown> {
  const up = n.state === 'Established';
  const uptime = up ? (n.upDownSeconds ?? 0) : 0;
  const counts = n.prefixesByFamily[family];
  return {
    remoteAs: typeof n.peerAs === 'number' ? n.peerAs : 0,
    localAs: n.localAs,
    version: 4,
    msgRcvd: sum(n.counters.messagesIn),
    msgSent: sum(n.counters.messagesOut),
    tableVersion: 0,
    outq: n.outQueue,
    inq: n.inQueue,
    peerUptime: up ? upDown(uptime) : upDown(null),
    peerUptimeMsec: uptime * 1000,
    ...(up && { peerUptimeEstablishedEpoch: Math.floor(nowMs / 1000) - uptime }),
    pfxRcd: counts.accepted,
    pfxSnt: counts.advertised,
    // FRR's state is the FSM state (Idle for a shut-down peer, peerState "Admin").
    state: n.state,
    peerState: n.enabled ? 'OK' : 'Admin',
    connectionsEstablished: n.counters.establishedTransitions,
    connectionsDropped: Math.max(0, n.counters.establishedTransitions - (up ? 1 : 0)),
    ...(n.description !== undefined && { desc: n.description }),
    idType: n.address.includes(':') ? 'ipv6' : 'ipv4',
    ...(n.dynamic && { dynamicPeer: true }),
  };
}

export function frrSummaryJson(
  status: SpeakerStatus,
  neighbors: readonly NeighborView[],
  rib: RibSummary,
  nowMs = Date.now(),
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [family, key] of FAMILIES) {
    const members = neighbors.filter((n) => n.families.includes(family));
    if (!members.length) continue;
    const peers: Record<string, unknown> = {};
    for (const n of members) peers[n.address] = frrPeer(n, family, nowMs);
    out[key] = {
      routerId: status.routerId,
      as: status.asn,
      vrfId: 0,
      vrfName: 'default',
      tableVersion: 0,
      ribCount: rib.families.find((f) => f.family === family)?.prefixes ?? 0,
      ribMemory: 0,
      peerCount: members.length,
      peerMemory: 0,
      peers,
      failedPeers: members.filter((n) => n.state !== 'Established').length,
      displayedPeers: members.length,
      totalPeers: members.length,
      dynamicPeers: members.filter((n) => n.dynamic).length,
      bestPath: { multiPathRelax: String(status.multipathRelax) },
    };
  }
  return out;
}
