/**
 * The two-node interop topology (rackbgp on `leaf`, one peer daemon on `peer`, one veth with IPv4
 * and IPv6), the rackbgp config every interop test starts from, and checks shared by the interop
 * tests: rackbgp's API view of the two sessions and who opened each TCP connection.
 */
import { expect } from 'vitest';
import type { NeighborSnapshot } from '../../../src/core/snapshot.js';
import { type TestNet, waitFor } from './netns.js';
import type { RackbgpHandle } from './rackbgp.js';

export interface PairAddresses {
  readonly leaf4: string;
  readonly leaf6: string;
  readonly peer4: string;
  readonly peer6: string;
}

/** Nodes `leaf` and `peer` on 10.99.<subnet>.0/24 and fd99:<subnet>::/64 (.1 leaf, .2 peer). */
export async function pairNodes(net: TestNet, subnet: number): Promise<PairAddresses> {
  const addr = {
    leaf4: `10.99.${subnet}.1`,
    leaf6: `fd99:${subnet}::1`,
    peer4: `10.99.${subnet}.2`,
    peer6: `fd99:${subnet}::2`,
  };
  await net.addNode('leaf');
  await net.addNode('peer');
  await net.link('leaf', 'peer', {
    a: [`${addr.leaf4}/24`, `${addr.leaf6}/64`],
    b: [`${addr.peer4}/24`, `${addr.peer6}/64`],
  });
  return addr;
}

export const LEAF_ASN = 65001;

/** rackbgp on the leaf: AS 65001, one IPv4 and one IPv6 neighbor, ADD-PATH both ways offered. */
export function leafYaml(addr: PairAddresses, peerAsn: number, passive: boolean, extra = ''): string {
  return `router-id: ${addr.leaf4}
asn: ${LEAF_ASN}
listen: { address: ["${addr.leaf4}", "${addr.leaf6}"], port: 179 }
fib: false
defaults: { passive: ${passive}, add-path: both, connect-retry-time: 1${extra} }
neighbors:
  - { address: ${addr.peer4}, asn: ${peerAsn} }
  - { address: "${addr.peer6}", asn: ${peerAsn} }
`;
}

/**
 * BIRD 2 as the leaf's pair peer: one IPv4 and one IPv6 session with ADD-PATH both ways, quick
 * timers, the given static routes (BIRD `route …;` statements per family) and protocol options.
 */
export function bird2PairConfig(
  addr: PairAddresses,
  peerAsn: number,
  statics: { v4: string; v6: string },
  options = '',
): string {
  const proto = (name: string, local: string, peer: string, channel: string) => `
protocol bgp ${name} {
  local ${local} as ${peerAsn};
  neighbor ${peer} as ${LEAF_ASN};
  connect delay time 1; connect retry time 2; error wait time 1,2;${options}
  ${channel} { import all; export all; add paths on; };
}`;
  return `log stderr all;
router id ${addr.peer4};
protocol device { scan time 2; }
protocol static static4 { ipv4; ${statics.v4} }
protocol static static6 { ipv6; ${statics.v6} }
${proto('leaf4', addr.peer4, addr.leaf4, 'ipv4')}
${proto('leaf6', addr.peer6, addr.leaf6, 'ipv6')}
`;
}

/** What rackbgp must have negotiated with a peer that offered ADD-PATH both ways and GR. */
export interface ExpectedNegotiation {
  readonly addPath: boolean;
  readonly enhancedRouteRefresh: boolean;
  readonly extendedMessage: boolean;
  readonly holdTime?: number;
}

/** Waits for both sessions in rackbgp's API, checks what it negotiated, returns the snapshots. */
export async function expectLeafSessions(
  leaf: RackbgpHandle,
  addr: PairAddresses,
  peerAsn: number,
  want: ExpectedNegotiation,
): Promise<[NeighborSnapshot, NeighborSnapshot]> {
  const n4 = await leaf.waitState(addr.peer4, 'Established');
  const n6 = await leaf.waitState(addr.peer6, 'Established');
  for (const [n, family] of [
    [n4, 'ipv4-unicast'],
    [n6, 'ipv6-unicast'],
  ] as const) {
    expect(n.peerAs).toBe(peerAsn);
    expect(n.negotiated).toMatchObject({
      fourOctetAs: true,
      families: [family],
      addPathRx: want.addPath ? [family] : [],
      addPathTx: want.addPath ? [family] : [],
      routeRefresh: true,
      enhancedRouteRefresh: want.enhancedRouteRefresh,
      extendedMessage: want.extendedMessage,
      peerGracefulRestart: true,
      ...(want.holdTime !== undefined && { holdTime: want.holdTime }),
    });
    expect(n.counters.establishedTransitions).toBe(1);
  }
  return [n4, n6];
}

/** Waits until rackbgp counts exactly these numbers of prefixes from the two neighbors. */
export async function expectPrefixes(leaf: RackbgpHandle, addr: PairAddresses, v4: number, v6: number) {
  await waitFor(`prefixes received ${v4}/${v6}`, async () => {
    const [a, b] = [await leaf.neighbor(addr.peer4), await leaf.neighbor(addr.peer6)];
    return a?.prefixesReceived === v4 && b?.prefixesReceived === v6;
  });
}

/**
 * Established BGP connections in a node, as `ss` sees them, with which end dialled: `inbound`
 * when this node's end is port 179 (the other side connected to us).
 */
export async function bgpConnections(
  net: TestNet,
  node: string,
): Promise<{ local: string; remote: string; inbound: boolean }[]> {
  const out = await net.sh(node, "ss -Htn state established '( sport = :179 or dport = :179 )'");
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, , local, remote] = line.trim().split(/\s+/);
      return { local, remote, inbound: /:179$/.test(local) };
    });
}

/** Both sessions run over connections dialled by the expected side. */
export async function expectDialledBy(net: TestNet, leafActive: boolean): Promise<void> {
  const conns = await bgpConnections(net, 'leaf');
  expect(conns).toHaveLength(2);
  for (const c of conns) expect(c.inbound, `${c.local} ↔ ${c.remote}`).toBe(!leafActive);
}

/** Starts the listening side first, so the dialling side's first attempt finds a listener. */
export async function startListenerFirst<P>(
  rackbgpPassive: boolean,
  leaf: () => Promise<RackbgpHandle>,
  peer: () => Promise<P>,
): Promise<[RackbgpHandle, P]> {
  if (rackbgpPassive) {
    const l = await leaf();
    return [l, await peer()];
  }
  const p = await peer();
  return [await leaf(), p];
}
