/**
 * MRT record encoders (RFC 6396): the common header (§2), TABLE_DUMP_V2 PEER_INDEX_TABLE and
 * RIB_IPV4/IPV6_UNICAST entries (§4.3, with the RFC 8050 §3 ADD-PATH subtypes), BGP4MP messages and
 * state changes (§4.4). Pure: plain data in, bytes out. Files, timers and the speaker are elsewhere.
 */

import { ipFamily, ipv4ToBytes, ipv6ToBytes, parseIPv4 } from '../util/ip.js';
import { encodeAttributes } from '../wire/attributes/encode.js';
import type { PathAttributes } from '../wire/attributes/types.js';
import { AS_TRANS, AttrCode, AttrFlag } from '../wire/constants.js';
import { Writer } from '../wire/writer.js';
import { Bgp4mp, bgp4mpMessageSubtype, MrtType, mrtStateNumber, TableDumpV2 } from './constants.js';

export const MRT_HEADER_LENGTH = 12;

/** One record: header (timestamp, type, subtype, length) then the body (RFC 6396 §2). */
export function mrtRecord(seconds: number, type: number, subtype: number, body: Uint8Array): Uint8Array {
  const w = new Writer(MRT_HEADER_LENGTH + body.length);
  w.u32(seconds >>> 0)
    .u16(type)
    .u16(subtype)
    .u32(body.length)
    .bytes(body);
  return w.buf.slice(0, w.pos);
}

export interface MrtPeer {
  readonly address: string;
  readonly asn: number;
  readonly routerId: string;
}

const addressBytes = (a: string): Uint8Array => (ipFamily(a) === 6 ? ipv6ToBytes(a) : ipv4ToBytes(a));

/** RFC 6396 §4.3.1: collector BGP ID, view name, then each peer (type bits: IPv6 address, 4-octet AS). */
export function peerIndexTable(
  seconds: number,
  collectorId: string,
  viewName: string,
  peers: readonly MrtPeer[],
): Uint8Array {
  const w = new Writer(64 + peers.length * 26);
  const name = new TextEncoder().encode(viewName);
  w.u32(parseIPv4(collectorId) >>> 0)
    .u16(name.length)
    .bytes(name)
    .u16(peers.length);
  for (const p of peers) {
    const v6 = ipFamily(p.address) === 6;
    // Always 4-octet AS fields: bgpdump and BIRD read either; one form keeps this simple.
    w.u8((v6 ? 1 : 0) | 2)
      .u32(parseIPv4(p.routerId) >>> 0)
      .bytes(addressBytes(p.address))
      .u32(p.asn >>> 0);
  }
  return mrtRecord(seconds, MrtType.TABLE_DUMP_V2, TableDumpV2.PEER_INDEX_TABLE, w.buf.slice(0, w.pos));
}

/** Attributes plus the next hop of any family, as the RIB keeps them. */
export interface RibAttrs extends PathAttributes {
  readonly nextHop?: string;
  readonly linkLocalNextHop?: string;
}

export interface RibEntry {
  /** Index into the PEER_INDEX_TABLE. */
  readonly peerIndex: number;
  /** When the path was learned, in seconds since the epoch. */
  readonly originated: number;
  /** RFC 7911 path identifier (written with the ADD-PATH subtypes only). */
  readonly pathId: number;
  readonly attrs: RibAttrs;
}

/**
 * RFC 6396 §4.3.4: attributes as in an UPDATE with 4-octet AS numbers; for IPv6 an MP_REACH_NLRI
 * holding only the next hop length and next hop.
 */
export function ribAttributes(family: 4 | 6, a: RibAttrs): Uint8Array {
  const v6 = family === 6;
  const nh = a.nextHop;
  const plain: PathAttributes =
    v6 || (nh !== undefined && ipFamily(nh) !== 4) ? { ...a, nextHop: undefined } : a;
  const enc = encodeAttributes(plain, { fourOctetAs: true });
  let mp: Uint8Array = new Uint8Array(0);
  if (nh !== undefined && (v6 || ipFamily(nh) !== 4)) {
    const global = addressBytes(nh);
    const hop = new Uint8Array(global.length + (a.linkLocalNextHop ? 16 : 0));
    hop.set(global);
    if (a.linkLocalNextHop) hop.set(ipv6ToBytes(a.linkLocalNextHop), 16);
    mp = Uint8Array.of(AttrFlag.OPTIONAL, AttrCode.MP_REACH_NLRI, hop.length + 1, hop.length, ...hop);
  }
  const out = new Uint8Array(enc.before.length + mp.length + enc.after.length);
  out.set(enc.before);
  out.set(mp, enc.before.length);
  out.set(enc.after, enc.before.length + mp.length);
  return out;
}

/**
 * A RIB_IPV4/IPV6_UNICAST record (§4.3.2) for one prefix, `nlri` being its length octet and prefix
 * octets; with `addPath` the RFC 8050 subtype and a path identifier in each entry.
 */
export function ribRecord(
  seconds: number,
  sequence: number,
  family: 4 | 6,
  nlri: Uint8Array,
  entries: readonly RibEntry[],
  addPath: boolean,
): Uint8Array {
  const w = new Writer(64 + entries.length * 64);
  w.u32(sequence >>> 0)
    .bytes(nlri)
    .u16(entries.length);
  for (const e of entries) {
    w.u16(e.peerIndex).u32(e.originated >>> 0);
    if (addPath) w.u32(e.pathId >>> 0);
    const attrs = ribAttributes(family, e.attrs);
    w.u16(attrs.length).bytes(attrs);
  }
  const subtype =
    family === 4
      ? addPath
        ? TableDumpV2.RIB_IPV4_UNICAST_ADDPATH
        : TableDumpV2.RIB_IPV4_UNICAST
      : addPath
        ? TableDumpV2.RIB_IPV6_UNICAST_ADDPATH
        : TableDumpV2.RIB_IPV6_UNICAST;
  return mrtRecord(seconds, MrtType.TABLE_DUMP_V2, subtype, w.buf.slice(0, w.pos));
}

/** The two ends of a BGP session as BGP4MP records name them. */
export interface Bgp4mpEnds {
  readonly peerAs: number;
  readonly localAs: number;
  readonly peerAddress: string;
  /** Our address on the session; '' when unknown (written as the unspecified address). */
  readonly localAddress: string;
  readonly ifIndex?: number;
}

/** Peer AS, local AS, interface index, AFI, peer and local address (§4.4.1-§4.4.3). */
function writeEnds(w: Writer, e: Bgp4mpEnds, as4: boolean): void {
  const v6 = ipFamily(e.peerAddress) === 6;
  const as = (n: number) => (as4 ? w.u32(n >>> 0) : w.u16(n > 0xffff ? AS_TRANS : n));
  as(e.peerAs);
  as(e.localAs);
  w.u16(e.ifIndex ?? 0).u16(v6 ? 2 : 1);
  w.bytes(addressBytes(e.peerAddress));
  const local = e.localAddress && ipFamily(e.localAddress) === (v6 ? 6 : 4) ? e.localAddress : '';
  w.bytes(local ? addressBytes(local) : new Uint8Array(v6 ? 16 : 4));
}

/**
 * A BGP message as received (`local` false) or sent: BGP4MP_MESSAGE_AS4 when `as4` (the session's
 * AS_PATHs carry 4-octet AS numbers, §4.4.3), the _LOCAL subtypes for sent messages, the RFC 8050
 * _ADDPATH ones when its NLRI carry path identifiers.
 */
export function bgp4mpMessage(
  seconds: number,
  ends: Bgp4mpEnds,
  message: Uint8Array,
  o: { local: boolean; as4: boolean; addPath: boolean },
): Uint8Array {
  const w = new Writer(64 + message.length);
  writeEnds(w, ends, o.as4);
  w.bytes(message);
  return mrtRecord(
    seconds,
    MrtType.BGP4MP,
    bgp4mpMessageSubtype(o.as4, o.local, o.addPath),
    w.buf.slice(0, w.pos),
  );
}

/** BGP4MP_STATE_CHANGE_AS4 (§4.4.4): FSM states by their RFC 6396 numbers. */
export function bgp4mpStateChange(seconds: number, ends: Bgp4mpEnds, from: string, to: string): Uint8Array {
  const w = new Writer(64);
  writeEnds(w, ends, true);
  w.u16(mrtStateNumber(from)).u16(mrtStateNumber(to));
  return mrtRecord(seconds, MrtType.BGP4MP, Bgp4mp.STATE_CHANGE_AS4, w.buf.slice(0, w.pos));
}

/**
 * The NLRI families an UPDATE carries, read from its bytes without decoding it: the classic fields
 * (IPv4) and the AFI of MP_REACH/MP_UNREACH. Picks the ADD-PATH subtype per message (RFC 8050 §3).
 */
export function updateAfis(frame: Uint8Array): Set<number> {
  const out = new Set<number>();
  if (frame.length < 23 || frame[18] !== 2) return out;
  const wlen = (frame[19] << 8) | frame[20];
  const aStart = 23 + wlen;
  if (aStart > frame.length) return out;
  const alen = (frame[21 + wlen] << 8) | frame[22 + wlen];
  if (wlen > 0 || aStart + alen < frame.length) out.add(1);
  let p = aStart;
  const end = Math.min(frame.length, aStart + alen);
  while (p + 3 <= end) {
    const flags = frame[p];
    const code = frame[p + 1];
    const ext = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    const len = ext ? (frame[p + 2] << 8) | frame[p + 3] : frame[p + 2];
    const v = p + (ext ? 4 : 3);
    if ((code === AttrCode.MP_REACH_NLRI || code === AttrCode.MP_UNREACH_NLRI) && v + 2 <= end)
      out.add((frame[v] << 8) | frame[v + 1]);
    p = v + len;
  }
  return out;
}
