/**
 * Link layer → IPv4 (RFC 791) / IPv6 (RFC 8200) → TCP (RFC 9293) for captured frames. Link types:
 * Ethernet (1, with 802.1Q/802.1ad tags), Linux cooked SLL (113) and SLL2 (276), raw IP (101, 228,
 * 229), BSD loopback null (0) and loop (108). Pure; never throws: says why instead.
 */
import { formatIPv4, formatIPv6 } from '../util/ip.js';

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const EtherType = { IPV4: 0x0800, IPV6: 0x86dd, VLAN: 0x8100, QINQ: 0x88a8, VLAN_OLD: 0x9100 } as const;
const IpProto = { TCP: 6, HOP_BY_HOP: 0, ROUTING: 43, FRAGMENT: 44, DEST_OPTS: 60 } as const;

/** TCP header flag bits (RFC 9293 §3.1). */
export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface TcpSegment {
  readonly ipVersion: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly flags: number;
  readonly payload: Uint8Array;
}

/** Why a frame yields no TCP segment: other traffic ('other'), or a frame we cannot read ('bad'). */
export interface NotTcp {
  readonly kind: 'other' | 'bad';
  readonly reason: string;
}

const other = (reason: string): NotTcp => ({ kind: 'other', reason });
const bad = (reason: string): NotTcp => ({ kind: 'bad', reason });

/** Parses one captured frame down to its TCP segment, or says why it is not one. */
export function parseFrame(linkType: number, data: Uint8Array): TcpSegment | NotTcp {
  const ip = ipPayload(linkType, data);
  if ('kind' in ip) return ip;
  return ip.version === 4 ? parseIPv4(ip.bytes) : parseIPv6(ip.bytes);
}

export const isSegment = (r: TcpSegment | NotTcp): r is TcpSegment => !('kind' in r);

type IpBytes = { version: 4 | 6; bytes: Uint8Array };

const u16 = (b: Uint8Array, p: number) => (b[p] << 8) | b[p + 1];
const u32 = (b: Uint8Array, p: number) =>
  ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;

function byEtherType(type: number, bytes: Uint8Array): IpBytes | NotTcp {
  if (type === EtherType.IPV4) return { version: 4, bytes };
  if (type === EtherType.IPV6) return { version: 6, bytes };
  return other(`ethertype 0x${type.toString(16).padStart(4, '0')} is not IP`);
}

function byVersionNibble(bytes: Uint8Array): IpBytes | NotTcp {
  const v = bytes.length ? bytes[0] >> 4 : 0;
  if (v === 4 || v === 6) return { version: v, bytes };
  return other(`IP version ${v}`);
}

function ipPayload(linkType: number, d: Uint8Array): IpBytes | NotTcp {
  switch (linkType) {
    case LinkType.ETHERNET: {
      let p = 12;
      if (d.length < 14) return bad('Ethernet header truncated');
      let type = u16(d, p);
      while (type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.VLAN_OLD) {
        p += 4;
        if (d.length < p + 2) return bad('VLAN tag truncated');
        type = u16(d, p);
      }
      return byEtherType(type, d.subarray(p + 2));
    }
    case LinkType.LINUX_SLL:
      if (d.length < 16) return bad('Linux cooked header truncated');
      return byEtherType(u16(d, 14), d.subarray(16));
    case LinkType.LINUX_SLL2:
      if (d.length < 20) return bad('Linux cooked v2 header truncated');
      return byEtherType(u16(d, 0), d.subarray(20));
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return byVersionNibble(d);
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (d.length < 4) return bad('loopback header truncated');
      // NULL stores the address family in the capturing host's byte order, LOOP in network order;
      // the version nibble is the reliable signal either way.
      return byVersionNibble(d.subarray(4));
    }
    default:
      return other(`link type ${linkType} is not supported`);
  }
}

function parseIPv4(b: Uint8Array): TcpSegment | NotTcp {
  if (b.length < 20) return bad('IPv4 header truncated');
  const ihl = (b[0] & 0x0f) * 4;
  const total = u16(b, 2);
  if (ihl < 20 || b.length < ihl) return bad(`IPv4 header length ${ihl}`);
  if (b[9] !== IpProto.TCP) return other(`IP protocol ${b[9]} is not TCP`);
  // RFC 791: more-fragments flag or a fragment offset means this is not a whole datagram.
  if (u16(b, 6) & 0x3fff) return bad('IPv4 fragment (not reassembled)');
  // Trim link-layer padding (Ethernet pads short frames to 60 octets); keep what was captured.
  const end = total >= ihl && total <= b.length ? total : b.length;
  return parseTcp(4, formatIPv4(u32(b, 12)), formatIPv4(u32(b, 16)), b.subarray(ihl, end));
}

function parseIPv6(b: Uint8Array): TcpSegment | NotTcp {
  if (b.length < 40) return bad('IPv6 header truncated');
  const payloadLen = u16(b, 4);
  const end = payloadLen > 0 && 40 + payloadLen <= b.length ? 40 + payloadLen : b.length;
  let next = b[6];
  let p = 40;
  // RFC 8200 §4: walk the extension headers that may precede TCP.
  while (next !== IpProto.TCP) {
    if (next === IpProto.FRAGMENT) return bad('IPv6 fragment (not reassembled)');
    if (next !== IpProto.HOP_BY_HOP && next !== IpProto.ROUTING && next !== IpProto.DEST_OPTS)
      return other(`IPv6 next header ${next} is not TCP`);
    if (p + 2 > end) return bad('IPv6 extension header truncated');
    next = b[p];
    p += (b[p + 1] + 1) * 8;
    if (p > end) return bad('IPv6 extension header truncated');
  }
  return parseTcp(6, formatIPv6(b, 8), formatIPv6(b, 24), b.subarray(p, end));
}

function parseTcp(ipVersion: 4 | 6, src: string, dst: string, t: Uint8Array): TcpSegment | NotTcp {
  if (t.length < 20) return bad('TCP header truncated');
  const off = (t[12] >> 4) * 4;
  if (off < 20 || off > t.length) return bad(`TCP data offset ${off}`);
  return {
    ipVersion,
    src,
    dst,
    srcPort: u16(t, 0),
    dstPort: u16(t, 2),
    seq: u32(t, 4),
    flags: t[13],
    payload: t.subarray(off),
  };
}
