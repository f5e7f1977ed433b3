/**
 * UPDATEs for BMP route monitoring built from RIB entries (RFC 7854 §4.6): one prefix, one path,
 * 4-octet AS numbers (the A flag stays clear), the path identifier when the session uses ADD-PATH
 * in that direction (RFC 7911), IPv6 (and IPv4 over an IPv6 next hop) in MP_REACH/MP_UNREACH_NLRI.
 */
import type { RouteAttrs } from '../rib/types.js';
import { ipFamily } from '../util/ip.js';
import {
  Afi,
  IPV4_UNICAST,
  IPV6_UNICAST,
  MAX_EXTENDED_MESSAGE_LENGTH,
  NlriList,
  packAnnouncements,
  packWithdrawals,
  type UpdateContext,
} from '../wire/index.js';

function list(family: 4 | 6, nlri: Uint8Array, pathId: number, addPath: boolean): NlriList {
  const plain = NlriList.fromCanonical(family === 4 ? Afi.IPV4 : Afi.IPV6, false, nlri, 1);
  return addPath ? plain.withAddPath(true, pathId) : plain;
}

function context(family: 4 | 6, addPath: boolean): UpdateContext {
  const set = new Set(addPath ? [family === 4 ? IPV4_UNICAST : IPV6_UNICAST] : []);
  return { fourOctetAs: true, addPathRx: set, addPathTx: set };
}

export function announceUpdate(
  family: 4 | 6,
  nlri: Uint8Array,
  pathId: number,
  attrs: RouteAttrs,
  addPath: boolean,
): Uint8Array[] {
  const f = family === 4 ? IPV4_UNICAST : IPV6_UNICAST;
  const nh = attrs.nextHop;
  const classic = family === 4 && (nh === undefined || ipFamily(nh) === 4);
  const ctx = context(family, addPath);
  const l = list(family, nlri, pathId, addPath);
  if (classic) return packAnnouncements(attrs, l, f, ctx, MAX_EXTENDED_MESSAGE_LENGTH).messages;
  const { nextHop: _, linkLocalNextHop, ...rest } = attrs;
  return packAnnouncements(rest, l, f, ctx, MAX_EXTENDED_MESSAGE_LENGTH, {
    nextHop: nh ?? '',
    ...(linkLocalNextHop !== undefined && { linkLocalNextHop }),
  }).messages;
}

export function withdrawUpdate(
  family: 4 | 6,
  nlri: Uint8Array,
  pathId: number,
  addPath: boolean,
): Uint8Array[] {
  const f = family === 4 ? IPV4_UNICAST : IPV6_UNICAST;
  return packWithdrawals(
    list(family, nlri, pathId, addPath),
    f,
    context(family, addPath),
    MAX_EXTENDED_MESSAGE_LENGTH,
  );
}
