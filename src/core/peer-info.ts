/**
 * An Established session as the routing engine sees it (PeerInfo): iBGP or eBGP, our addresses on
 * it per family (next hop self of the other family, RFC 4760 §3), our link-local address beside a
 * global next hop self to a peer on the link (RFC 2545 §3), whether the peer shares a subnet with
 * us (RFC 4271 §5.1.3) and RFC 8950 IPv4-over-IPv6 next hops. Pure: the subnets are handed in.
 */
import type { PeerInfo } from '../rib/types.js';
import { ipFamily, parseIPv4 } from '../util/ip.js';
import { Afi, IPV4_UNICAST, type SessionParams } from '../wire/index.js';
import type { LocalSubnets } from './subnets.js';

export interface PeerInfoInput {
  readonly localAs: number;
  /** Our end of the TCP connection (a link-local one with its `%zone`). */
  readonly localAddress: string;
  readonly routeReflectorClient: boolean;
  readonly subnets: Pick<
    LocalSubnets,
    'interfaceOf' | 'shareSubnet' | 'globalOf' | 'linkLocalOf' | 'pointToPoint'
  >;
}

export function buildPeerInfo(
  id: number,
  address: string,
  params: SessionParams,
  i: PeerInfoInput,
): PeerInfo {
  const { subnets } = i;
  const zoned = i.localAddress;
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
  return {
    id,
    address,
    asn: params.peerAsn,
    routerId: params.peerRouterId,
    routerIdNum: parseIPv4(params.peerRouterId),
    ibgp: params.peerAsn === i.localAs,
    rrClient: i.routeReflectorClient,
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
}
