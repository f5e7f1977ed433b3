/**
 * The route model the RIB and policy both read: who a route came from (PeerInfo) and its
 * attributes with the next hop of either family (RouteAttrs). Here, not in rib/, so that policy
 * depends on it without depending on the RIB. Types only; no behaviour.
 */
import type { PathAttributes } from '../wire/index.js';

/** The speaker's view of a neighbor, as the routing core needs it. */
export interface PeerInfo {
  /** Small integer, unique while the session exists; 0 is the speaker itself (local routes). */
  readonly id: number;
  readonly address: string;
  /** The neighbor's AS (negotiated). */
  readonly asn: number;
  /** The neighbor's BGP identifier, and as a number for comparisons. */
  readonly routerId: string;
  readonly routerIdNum: number;
  readonly ibgp: boolean;
  /** RFC 4456 route-reflector client of ours. */
  readonly rrClient: boolean;
  /** Our address on this session (next hop self), per family. */
  readonly localAddress4?: string;
  readonly localAddress6?: string;
  /** Our link-local address on the session's interface, sent beside next hop self to a peer on a
   * shared subnet (RFC 2545 §3: 32-octet next hop). */
  readonly localLinkLocal6?: string;
  /**
   * RFC 8950 negotiated for IPv4 unicast with IPv6 next hops: without an IPv4 address on the
   * session (unnumbered), IPv4 routes go out with our IPv6 next hop.
   */
  readonly extendedNextHop4?: boolean;
  /** That shared subnet is point-to-point (/30, /31; /126, /127): no third party is on it. */
  readonly pointToPoint?: boolean;
  /** The peer's address is on a subnet we share (RFC 4271 §5.1.3 third-party next hop). */
  readonly directlyConnected: boolean;
  /** The interface the session runs over (the one holding our address on it): IPv6 link-local
   * next hops from this peer are reached through it (RFC 2545 §3). */
  readonly interface?: string;
}

/** Path attributes plus the next hop of any family (IPv6 global and link-local from MP_REACH). */
export interface RouteAttrs extends PathAttributes {
  readonly nextHop?: string;
  readonly linkLocalNextHop?: string;
}
