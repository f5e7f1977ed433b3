/**
 * rtnetlink messages by hand (pure, no I/O): RTM_NEWROUTE / RTM_DELROUTE requests for IPv4 and IPv6
 * (one gateway, ECMP as RTA_MULTIPATH, link-local gateways with an output interface, an IPv4 route
 * via an IPv6 gateway as RTA_VIA for RFC 8950), dump requests, and the decoding of what the kernel
 * answers: NLMSG_ERROR ACKs (with extended-ACK text), routes and links. Layouts: linux/netlink.h,
 * linux/rtnetlink.h, linux/if_link.h; all fields in host (little-endian) order.
 */
import { formatIPv4, formatIPv6, formatPrefix } from '../util/ip.js';

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const RTM_NEWLINK = 16;
export const RTM_GETLINK = 18;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
/** NEWROUTE modifiers. */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
/** NLMSG_ERROR flags: the request was not echoed (NETLINK_CAP_ACK); TLVs follow (NETLINK_EXT_ACK). */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const RT_TABLE_MAIN = 254;
const RTN_UNICAST = 1;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_NOWHERE = 255;

const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_MULTIPATH = 9;
const RTA_TABLE = 15;
const RTA_VIA = 18;
const IFLA_IFNAME = 3;

const NLMSG_HDRLEN = 16;
const RTMSG_LEN = 12;
const IFINFOMSG_LEN = 16;
const RTNH_LEN = 8;

const align = (n: number) => (n + 3) & ~3;

/** One next hop of a request: gateway octets (4 or 16) and the output interface index (0: any). */
export interface NlNextHop {
  readonly gateway: Uint8Array;
  readonly oif: number;
}

/** A route request: family, destination octets and length, next hops (none for a delete). */
export interface NlRoute {
  readonly family: 4 | 6;
  readonly dst: Uint8Array;
  readonly dstLen: number;
  readonly hops: readonly NlNextHop[];
}

export interface NlRouteOptions {
  readonly protocol: number;
  readonly metric: number;
}

/** Octets of one next hop's attributes: RTA_GATEWAY, or RTA_VIA when its family differs (RFC 8950). */
function gatewaySize(family: 4 | 6, h: NlNextHop): number {
  const fam = h.gateway.length === 4 ? 4 : 6;
  return fam === family ? align(4 + h.gateway.length) : align(4 + 2 + h.gateway.length);
}

/** The octets encodeRoute() will write for `r`. */
export function routeSize(r: NlRoute): number {
  let n = NLMSG_HDRLEN + RTMSG_LEN + align(4 + r.dst.length) + 8;
  if (r.hops.length === 1) {
    n += gatewaySize(r.family, r.hops[0]) + (r.hops[0].oif ? 8 : 0);
  } else if (r.hops.length > 1) {
    n += 4;
    for (const h of r.hops) n += RTNH_LEN + gatewaySize(r.family, h);
  }
  return n;
}

function attr(b: Buffer, at: number, type: number, payloadLen: number): number {
  b.writeUInt16LE(4 + payloadLen, at);
  b.writeUInt16LE(type, at + 2);
  return at + 4;
}

function writeGateway(b: Buffer, at: number, family: 4 | 6, h: NlNextHop): number {
  const g = h.gateway;
  const len = gatewaySize(family, h);
  b.fill(0, at, at + len);
  if ((g.length === 4 ? 4 : 6) === family) {
    b.set(g, attr(b, at, RTA_GATEWAY, g.length));
  } else {
    const p = attr(b, at, RTA_VIA, 2 + g.length);
    b.writeUInt16LE(g.length === 4 ? AF_INET : AF_INET6, p);
    b.set(g, p + 2);
  }
  return at + len;
}

/**
 * Writes an RTM_NEWROUTE (flags e.g. NLM_F_CREATE | NLM_F_EXCL) or RTM_DELROUTE request into `b` at
 * `at` (routeSize(r) octets must fit) in table main with our protocol and metric; returns the end.
 * A delete names protocol and metric, so the kernel removes only a route of ours (scope NOWHERE and
 * type 0 match any, as `ip route del` sends).
 */
export function encodeRoute(
  b: Buffer,
  at: number,
  type: typeof RTM_NEWROUTE | typeof RTM_DELROUTE,
  flags: number,
  seq: number,
  r: NlRoute,
  o: NlRouteOptions,
): number {
  const start = at;
  const isNew = type === RTM_NEWROUTE;
  // nlmsghdr; the length is written at the end.
  b.writeUInt16LE(type, at + 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK | flags, at + 6);
  b.writeUInt32LE(seq >>> 0, at + 8);
  b.writeUInt32LE(0, at + 12);
  at += NLMSG_HDRLEN;
  // rtmsg
  b[at] = r.family === 4 ? AF_INET : AF_INET6;
  b[at + 1] = r.dstLen;
  b[at + 2] = 0;
  b[at + 3] = 0;
  b[at + 4] = RT_TABLE_MAIN;
  b[at + 5] = o.protocol;
  b[at + 6] = isNew ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
  b[at + 7] = isNew ? RTN_UNICAST : 0;
  b.writeUInt32LE(0, at + 8);
  at += RTMSG_LEN;
  const dstLen = align(4 + r.dst.length);
  b.fill(0, at, at + dstLen);
  b.set(r.dst, attr(b, at, RTA_DST, r.dst.length));
  at += dstLen;
  b.writeUInt32LE(o.metric >>> 0, attr(b, at, RTA_PRIORITY, 4));
  at += 8;
  if (r.hops.length === 1) {
    const h = r.hops[0];
    at = writeGateway(b, at, r.family, h);
    if (h.oif) {
      b.writeUInt32LE(h.oif, attr(b, at, RTA_OIF, 4));
      at += 8;
    }
  } else if (r.hops.length > 1) {
    const mp = at;
    at += 4;
    for (const h of r.hops) {
      const len = RTNH_LEN + gatewaySize(r.family, h);
      // rtnexthop: len, flags, hops (weight - 1), ifindex
      b.writeUInt16LE(len, at);
      b[at + 2] = 0;
      b[at + 3] = 0;
      b.writeInt32LE(h.oif, at + 4);
      at = writeGateway(b, at + RTNH_LEN, r.family, h);
    }
    attr(b, mp, RTA_MULTIPATH, at - mp - 4);
  }
  b.writeUInt32LE(at - start, start);
  return at;
}

/** A dump request (NLM_F_DUMP) for routes (rtmsg of `family`, 0: all) or links (ifinfomsg). */
export function encodeDump(
  type: typeof RTM_GETROUTE | typeof RTM_GETLINK,
  family: number,
  seq: number,
): Buffer {
  const body = type === RTM_GETROUTE ? RTMSG_LEN : IFINFOMSG_LEN;
  const b = Buffer.alloc(NLMSG_HDRLEN + body);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  b.writeUInt32LE(seq >>> 0, 8);
  b[NLMSG_HDRLEN] = family;
  return b;
}

/** One netlink message of a received datagram: header fields and where its payload lies. */
export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly start: number;
  readonly end: number;
}

/** Walks the messages of `len` received octets; stops at a truncated one. */
export function* messages(b: Buffer, len: number): Generator<NlMessage> {
  let at = 0;
  while (at + NLMSG_HDRLEN <= len) {
    const size = b.readUInt32LE(at);
    if (size < NLMSG_HDRLEN || at + size > len) return;
    yield {
      type: b.readUInt16LE(at + 4),
      flags: b.readUInt16LE(at + 6),
      seq: b.readUInt32LE(at + 8),
      start: at + NLMSG_HDRLEN,
      end: at + size,
    };
    at += align(size);
  }
}

/** An NLMSG_ERROR: `errno` 0 is an ACK; `seq` is the request's; `message` the extended ACK text. */
export interface NlAck {
  readonly errno: number;
  readonly seq: number;
  readonly message?: string;
}

/** Decodes an NLMSG_ERROR payload (struct nlmsgerr, the request if not capped, then TLVs). */
export function decodeAck(b: Buffer, m: NlMessage): NlAck {
  const errno = -b.readInt32LE(m.start) || 0;
  const seq = b.readUInt32LE(m.start + 4 + 8);
  if (!(m.flags & NLM_F_ACK_TLVS)) return { errno, seq };
  let at = m.start + 4 + (m.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align(b.readUInt32LE(m.start + 4)));
  while (at + 4 <= m.end) {
    const len = b.readUInt16LE(at);
    if (len < 4) break;
    if (b.readUInt16LE(at + 2) === NLMSGERR_ATTR_MSG) {
      const text = b.toString('utf8', at + 4, Math.min(at + len, m.end)).replace(/\0+$/, '');
      return { errno, seq, message: text };
    }
    at += align(len);
  }
  return { errno, seq };
}

/** A route of a dump: what FibRoute needs plus the fields that tell whose it is. */
export interface NlRouteInfo {
  readonly family: 4 | 6;
  /** Canonical "10.0.0.0/24". */
  readonly prefix: string;
  readonly table: number;
  readonly protocol: number;
  readonly type: number;
  readonly metric: number;
  readonly hops: readonly { readonly via?: string; readonly oif: number }[];
}

function addressText(b: Buffer, at: number, len: number): string | undefined {
  if (len === 4) return formatIPv4(b.readUInt32BE(at));
  if (len === 16) return formatIPv6(b, at);
  return undefined;
}

/** RTA_GATEWAY / RTA_VIA of a next hop, as text. */
function gatewayAt(b: Buffer, type: number, at: number, len: number): string | undefined {
  if (type === RTA_GATEWAY) return addressText(b, at, len);
  if (type === RTA_VIA && len >= 2) return addressText(b, at + 2, len - 2);
  return undefined;
}

/** Decodes an RTM_NEWROUTE of a dump; null for families other than IPv4 and IPv6. */
export function decodeRoute(b: Buffer, m: NlMessage): NlRouteInfo | null {
  const fam = b[m.start];
  if (fam !== AF_INET && fam !== AF_INET6) return null;
  const family = fam === AF_INET ? 4 : 6;
  const dstLen = b[m.start + 1];
  let table = b[m.start + 4];
  const protocol = b[m.start + 5];
  const type = b[m.start + 7];
  let metric = 0;
  let dst = new Uint8Array(family === 4 ? 4 : 16);
  let gateway: string | undefined;
  let oif = 0;
  let hops: { via?: string; oif: number }[] | null = null;
  let at = m.start + RTMSG_LEN;
  while (at + 4 <= m.end) {
    const len = b.readUInt16LE(at);
    if (len < 4 || at + len > m.end) break;
    const t = b.readUInt16LE(at + 2) & 0x3fff;
    const p = at + 4;
    const plen = len - 4;
    if (t === RTA_DST) dst = Uint8Array.from(b.subarray(p, p + plen));
    else if (t === RTA_PRIORITY) metric = b.readUInt32LE(p);
    else if (t === RTA_TABLE) table = b.readUInt32LE(p);
    else if (t === RTA_OIF) oif = b.readUInt32LE(p);
    else if (t === RTA_GATEWAY || t === RTA_VIA) gateway = gatewayAt(b, t, p, plen);
    else if (t === RTA_MULTIPATH) hops = decodeMultipath(b, p, p + plen);
    at += align(len);
  }
  return {
    family,
    prefix: formatPrefix(family, dst, dstLen),
    table,
    protocol,
    type,
    metric,
    hops: hops ?? [gateway === undefined ? { oif } : { via: gateway, oif }],
  };
}

function decodeMultipath(b: Buffer, at: number, end: number): { via?: string; oif: number }[] {
  const out: { via?: string; oif: number }[] = [];
  while (at + RTNH_LEN <= end) {
    const len = b.readUInt16LE(at);
    if (len < RTNH_LEN || at + len > end) break;
    const oif = b.readInt32LE(at + 4);
    let via: string | undefined;
    for (let a = at + RTNH_LEN; a + 4 <= at + len; ) {
      const alen = b.readUInt16LE(a);
      if (alen < 4) break;
      via ??= gatewayAt(b, b.readUInt16LE(a + 2) & 0x3fff, a + 4, alen - 4);
      a += align(alen);
    }
    out.push(via === undefined ? { oif } : { via, oif });
    at += align(len);
  }
  return out;
}

/** Index and name of an RTM_NEWLINK (ifinfomsg, IFLA_IFNAME). */
export function decodeLink(b: Buffer, m: NlMessage): { index: number; name: string } | null {
  const index = b.readInt32LE(m.start + 4);
  let at = m.start + IFINFOMSG_LEN;
  while (at + 4 <= m.end) {
    const len = b.readUInt16LE(at);
    if (len < 4 || at + len > m.end) break;
    if ((b.readUInt16LE(at + 2) & 0x3fff) === IFLA_IFNAME)
      return { index, name: b.toString('utf8', at + 4, at + len).replace(/\0+$/, '') };
    at += align(len);
  }
  return null;
}
