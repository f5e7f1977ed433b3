/**
 * What may be advertised to whom and how it is rewritten: iBGP split horizon and RFC 4456 §6
 * reflection, well-known communities (RFC 1997), eBGP rewrites (RFC 4271 §5.1: AS prepend, next
 * hop self unless third-party, LOCAL_PREF and MED not passed on), reflection stamps (RFC 4456 §8),
 * the Partial bit on passed-on unknown attributes (RFC 4271 §5), and non-transitive extended
 * communities kept inside the AS (RFC 4360 §6). Pure.
 */

import type { AsPathSegment } from '../wire/index.js';
import { AsPathSegmentType, AttrFlag } from '../wire/index.js';
import type { Path, PeerInfo, RouteAttrs } from './types.js';

export const WellKnownCommunity = {
  NO_EXPORT: 0xffffff01,
  NO_ADVERTISE: 0xffffff02,
  NO_EXPORT_SUBCONFED: 0xffffff03,
  BLACKHOLE: 0xffff029a,
} as const;

export interface LocalInfo {
  readonly asn: number;
  readonly routerId: string;
  /** RFC 4456 cluster id (router id by default). */
  readonly clusterId: string;
}

export interface ExportOptions {
  /** Per-neighbor `next-hop-self` (also towards iBGP). */
  readonly nextHopSelf: boolean;
  /** Per-neighbor `next-hop-keep` (next-hop-unchanged towards eBGP). */
  readonly nextHopKeep: boolean;
  /** True when `nextHop` is on a subnet shared with the receiving peer (RFC 4271 §5.1.3 (2)). */
  readonly onSharedSubnet: (nextHop: string, to: PeerInfo) => boolean;
}

/** RFC 4271 §9.2 and RFC 4456 §6: may `path` be advertised to `to`? */
export function mayExport(path: Path, to: PeerInfo): boolean {
  const from = path.peer;
  if (from === to) return false;
  const communities = path.attrs.attrs.communities;
  if (communities?.length) {
    if (communities.includes(WellKnownCommunity.NO_ADVERTISE)) return false;
    if (
      !to.ibgp &&
      (communities.includes(WellKnownCommunity.NO_EXPORT) ||
        communities.includes(WellKnownCommunity.NO_EXPORT_SUBCONFED))
    ) {
      return false;
    }
  }
  if (from.id === 0 || !from.ibgp || !to.ibgp) return true;
  // iBGP to iBGP only when reflecting: from a client to everyone, from a non-client to clients.
  return from.rrClient || to.rrClient;
}

function prepend(path: readonly AsPathSegment[] | undefined, asn: number): AsPathSegment[] {
  const segs = path ?? [];
  const first = segs[0];
  if (first && first.type === AsPathSegmentType.AS_SEQUENCE && first.asns.length < 255) {
    // concat() sizes its result; a spread into a literal grows it (the path lives with its set).
    const own: AsPathSegment[] = [{ type: first.type, asns: [asn].concat(first.asns) }];
    return own.concat(segs.slice(1));
  }
  const own: AsPathSegment[] = [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [asn] }];
  return own.concat(segs);
}

/** The attributes to send `to` for `path` (before outbound policy). Never mutates its input. */
export function rewrite(
  path: Path,
  to: PeerInfo,
  local: LocalInfo,
  o: ExportOptions,
  family: 4 | 6,
): RouteAttrs {
  const a = path.attrs.attrs;
  const out: { -readonly [K in keyof RouteAttrs]: RouteAttrs[K] } = { ...a };
  const { self, linkLocal: selfLinkLocal } = selfNextHop(to, family);
  const isLocal = path.peer.id === 0;
  if (a.unknown?.length && !isLocal) {
    // RFC 4271 §5: unrecognized optional transitive attributes are passed on with the Partial bit;
    // unrecognized non-transitive ones are not passed along to other peers.
    out.unknown = a.unknown
      .filter((u) => u.flags & AttrFlag.TRANSITIVE)
      .map((u) => ({ ...u, flags: u.flags | AttrFlag.PARTIAL }));
  }
  if (!to.ibgp) {
    out.asPath = prepend(a.asPath, local.asn);
    delete out.localPref;
    delete out.originatorId;
    delete out.clusterList;
    if (!isLocal) delete out.med; // RFC 4271 §5.1.4: a received MED is not passed to other ASes
    if (a.extendedCommunities?.some(nonTransitive)) {
      // RFC 4360 §6: a non-transitive extended community SHOULD be removed before crossing the AS
      // boundary (outbound policy may still set one, e.g. link bandwidth toward this peer).
      const kept = a.extendedCommunities.filter((c) => !nonTransitive(c));
      if (kept.length) out.extendedCommunities = kept;
      else delete out.extendedCommunities;
    }
    // RFC 4271 §5.1.3: a third-party next hop only toward a peer one IP hop away, on the shared subnet.
    // A link-local next hop means something on its own link only (RFC 4291 §2.5.6).
    const thirdParty =
      a.nextHop !== undefined &&
      !isLocal &&
      to.directlyConnected &&
      !isLinkLocal(a.nextHop) &&
      o.onSharedSubnet(a.nextHop, to);
    const keep = o.nextHopKeep || thirdParty;
    if (!keep || isLocal || a.nextHop === undefined || !passable(a.nextHop, path.peer, to, family))
      setNextHop(out, self, selfLinkLocal);
    return out;
  }
  if (out.localPref === undefined) out.localPref = 100;
  // RFC 4456 §10: a reflector leaves the next hop as it is, but one the receiver cannot use.
  if (isLocal || o.nextHopSelf || a.nextHop === undefined || !passable(a.nextHop, path.peer, to, family))
    setNextHop(out, self, selfLinkLocal);
  if (!isLocal && path.peer.ibgp) {
    // RFC 4456 §8: stamp the originator once and prepend our cluster id on every reflection.
    if (out.originatorId === undefined) out.originatorId = path.peer.routerId;
    out.clusterList = [local.clusterId, ...(a.clusterList ?? [])];
  }
  return out;
}

/** RFC 4360 §2: the T bit (0x40 of the type octet, the first two hex digits) set = non-transitive. */
function nonTransitive(community: string): boolean {
  return (Number.parseInt(community.slice(0, 2), 16) & 0x40) !== 0;
}

const isLinkLocal = (a: string) => /^fe[89ab]/i.test(a);

/**
 * Can `to` use a next hop passed on unchanged? A link-local one only on the link it came from
 * (RFC 2545 §3); an IPv6 one for IPv4 NLRI only where RFC 8950 was negotiated (§4).
 */
function passable(nextHop: string, from: PeerInfo, to: PeerInfo, family: 4 | 6): boolean {
  if (isLinkLocal(nextHop) && (from.interface === undefined || from.interface !== to.interface)) return false;
  return family === 6 || !nextHop.includes(':') || to.extendedNextHop4 === true;
}

/**
 * Our next hop toward `to` in a family: the session's address of that family; for IPv4 on an
 * RFC 8950 session without an IPv4 address (unnumbered), our IPv6 one. Beside an IPv6 next hop our
 * link-local address where we have one (RFC 2545 §3, RFC 8950 §3).
 */
export function selfNextHop(to: PeerInfo, family: 4 | 6): { self?: string; linkLocal?: string } {
  const self =
    family === 6
      ? to.localAddress6
      : (to.localAddress4 ?? (to.extendedNextHop4 ? to.localAddress6 : undefined));
  const v6 = self?.includes(':') ?? false;
  return {
    ...(self !== undefined && { self }),
    ...(v6 && to.localLinkLocal6 !== undefined && { linkLocal: to.localLinkLocal6 }),
  };
}

/** Next hop self: our address, with our link-local one beside it where we have one (RFC 2545 §3). */
export function setNextHop(
  out: { nextHop?: string; linkLocalNextHop?: string },
  self: string | undefined,
  selfLinkLocal?: string,
): void {
  if (self === undefined) return;
  out.nextHop = self;
  if (selfLinkLocal === undefined) delete out.linkLocalNextHop;
  else out.linkLocalNextHop = selfLinkLocal;
}
