/**
 * Eligibility of a received route before policy: AS loop with allowas-in (RFC 4271 §9.1.2),
 * reflection loops (RFC 4456 §8), attributes an eBGP peer must not set (RFC 7606 §7.5, §7.9,
 * §7.10), and unusable next hops. Returns the attributes to store or the reason for rejection.
 */
import { parseIPv4, parseIPv6 } from '../util/ip.js';
import type { LocalInfo } from './export-rules.js';
import type { PeerInfo, RouteAttrs } from './types.js';

export interface ImportOptions {
  /** Accept routes with our own AS this many times (allowas-in). */
  readonly allowasIn: number;
}

export type ImportResult = { readonly attrs: RouteAttrs } | { readonly reject: string };

function countAsn(a: RouteAttrs, asn: number): number {
  let n = 0;
  for (const s of a.asPath ?? []) for (const x of s.asns) if (x === asn) n++;
  return n;
}

/**
 * Unusable next hops: 0.0.0.0, 127/8, multicast and class E; IPv6 unspecified, loopback and
 * multicast (RFC 4291 §2.5.2, §2.5.3, §2.7). Unparseable text is unusable too.
 */
function martian(nextHop: string): boolean {
  const v = parseIPv4(nextHop);
  if (v < 0) {
    const b = parseIPv6(nextHop);
    if (!b) return true;
    if (b[0] === 0xff) return true;
    for (let i = 0; i < 15; i++) if (b[i] !== 0) return false;
    return b[15] <= 1;
  }
  const first = v >>> 24;
  return v === 0 || first === 127 || first >= 224;
}

const unspecified = (nextHop: string): boolean => parseIPv6(nextHop)?.every((b) => b === 0) ?? false;

export function checkImport(
  attrs: RouteAttrs,
  from: PeerInfo,
  local: LocalInfo,
  o: ImportOptions,
): ImportResult {
  if (countAsn(attrs, local.asn) > o.allowasIn) return { reject: 'AS loop (own AS in AS_PATH)' };
  // Only from iBGP: from eBGP these attributes are discarded below, so they cannot signal a loop.
  if (from.ibgp && attrs.originatorId === local.routerId)
    return { reject: 'ORIGINATOR_ID is our router id (RFC 4456 §8)' };
  if (from.ibgp && attrs.clusterList?.includes(local.clusterId))
    return { reject: 'our cluster id in CLUSTER_LIST (RFC 4456 §8)' };
  if (attrs.nextHop !== undefined && attrs.linkLocalNextHop !== undefined && unspecified(attrs.nextHop)) {
    // RFC 2545 §3: a peer with only a link-local address may send it beside `::`: it is the next hop.
    const { linkLocalNextHop, ...rest } = attrs;
    attrs = { ...rest, nextHop: linkLocalNextHop };
  }
  if (attrs.nextHop !== undefined) {
    if (martian(attrs.nextHop)) return { reject: `martian next hop ${attrs.nextHop}` };
    if (attrs.nextHop === from.localAddress4 || attrs.nextHop === from.localAddress6)
      return { reject: 'next hop is our own address' };
  }
  if (from.ibgp) return { attrs };
  // From eBGP: LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST are discarded (RFC 7606 §7.5, §7.9, §7.10).
  if (attrs.localPref === undefined && attrs.originatorId === undefined && attrs.clusterList === undefined)
    return { attrs };
  const { localPref: _lp, originatorId: _o, clusterList: _c, ...rest } = attrs;
  return { attrs: rest };
}
