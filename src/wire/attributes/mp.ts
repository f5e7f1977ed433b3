/**
 * MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3-4): next hop forms for IPv4/IPv6 unicast
 * (IPv6 global + link-local, RFC 2545 §3; IPv6 next hop for IPv4 NLRI, RFC 8950), NLRI via NlriList.
 * Families other than IPv4/IPv6 unicast and multicast are kept raw.
 */
import { formatIPv4, formatIPv6, ipFamily, ipv4ToBytes, ipv6ToBytes } from '../../util/ip.js';
import { Afi, type Family, family, familyAfi, familySafi, Safi } from '../constants.js';
import { NlriList } from '../nlri.js';
import type { Writer } from '../writer.js';

export interface MpReach {
  readonly family: Family;
  /** IPv4 or IPv6 global next hop; "" for an undecoded family. */
  readonly nextHop: string;
  /** RFC 2545 §3 link-local next hop, when 32 octets were sent. */
  readonly linkLocalNextHop?: string;
  /** Decoded NLRI for IPv4/IPv6 unicast and multicast. */
  readonly nlri: NlriList;
  /** Next hop and NLRI octets of a family this codec does not decode. */
  readonly raw?: { readonly nextHop: Uint8Array; readonly nlri: Uint8Array };
}

export interface MpUnreach {
  readonly family: Family;
  readonly withdrawn: NlriList;
  readonly raw?: Uint8Array;
}

const decodable = (f: Family) =>
  (familyAfi(f) === Afi.IPV4 || familyAfi(f) === Afi.IPV6) &&
  (familySafi(f) === Safi.UNICAST || familySafi(f) === Safi.MULTICAST);

/** Returns the decoded attribute, or a reason string when malformed (RFC 7606 §7.11). */
export function decodeMpReach(v: Uint8Array, addPathRx: ReadonlySet<Family>): MpReach | string {
  if (v.length < 5) return `length ${v.length}`;
  const f = family((v[0] << 8) | v[1], v[2]);
  const nhLen = v[3];
  const nlriStart = 4 + nhLen + 1; // one reserved octet (formerly SNPA count) follows the next hop
  if (nlriStart > v.length) return `next hop length ${nhLen} overruns the attribute`;
  if (!decodable(f)) {
    return {
      family: f,
      nextHop: '',
      nlri: NlriList.empty(familyAfi(f)),
      raw: { nextHop: v.slice(4, 4 + nhLen), nlri: v.slice(nlriStart) },
    };
  }
  let nextHop: string;
  let linkLocalNextHop: string | undefined;
  if (nhLen === 4) nextHop = formatIPv4(((v[4] << 24) | (v[5] << 16) | (v[6] << 8) | v[7]) >>> 0);
  else if (nhLen === 16 || nhLen === 32) {
    nextHop = formatIPv6(v, 4);
    if (nhLen === 32) linkLocalNextHop = formatIPv6(v, 20);
  } else return `next hop length ${nhLen}`;
  if (familyAfi(f) === Afi.IPV6 && nhLen === 4) return 'IPv4 next hop for IPv6 NLRI';
  const nlri = NlriList.decode(v, nlriStart, v.length, familyAfi(f), addPathRx.has(f));
  if (!nlri) return 'malformed NLRI';
  return linkLocalNextHop === undefined
    ? { family: f, nextHop, nlri }
    : { family: f, nextHop, linkLocalNextHop, nlri };
}

export function decodeMpUnreach(v: Uint8Array, addPathRx: ReadonlySet<Family>): MpUnreach | string {
  if (v.length < 3) return `length ${v.length}`;
  const f = family((v[0] << 8) | v[1], v[2]);
  if (!decodable(f)) return { family: f, withdrawn: NlriList.empty(familyAfi(f)), raw: v.slice(3) };
  const withdrawn = NlriList.decode(v, 3, v.length, familyAfi(f), addPathRx.has(f));
  if (!withdrawn) return 'malformed NLRI';
  return { family: f, withdrawn };
}

function nextHopBytes(mp: MpReach): Uint8Array {
  if (mp.raw) return mp.raw.nextHop;
  const global = ipFamily(mp.nextHop) === 4 ? ipv4ToBytes(mp.nextHop) : ipv6ToBytes(mp.nextHop);
  if (mp.linkLocalNextHop === undefined) return global;
  const out = new Uint8Array(32);
  out.set(global);
  out.set(ipv6ToBytes(mp.linkLocalNextHop), 16);
  return out;
}

/** Value length of MP_REACH_NLRI carrying `nlriBytes` octets of NLRI. */
export const mpReachLength = (mp: MpReach, nlriBytes: number) => 5 + nextHopBytes(mp).length + nlriBytes;

/** Writes the MP_REACH_NLRI value up to (not including) its NLRI. */
export function writeMpReachHead(w: Writer, mp: MpReach): void {
  const nh = nextHopBytes(mp);
  w.u16(familyAfi(mp.family)).u8(familySafi(mp.family)).u8(nh.length).bytes(nh).u8(0);
}

export const mpReachNlriBytes = (mp: MpReach): Uint8Array => mp.raw?.nlri ?? mp.nlri.bytes;
export const mpUnreachNlriBytes = (mp: MpUnreach): Uint8Array => mp.raw ?? mp.withdrawn.bytes;
