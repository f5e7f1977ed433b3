/**
 * BMP message encoders (RFC 7854 §4): common header, per-peer header (with the RFC 8671 O flag for
 * Adj-RIB-Out and the RFC 9069 Loc-RIB peer type), initiation, termination, peer up/down, route
 * monitoring and statistics reports. Pure: plain data in, bytes out; no sockets, no timers.
 */
import { ipFamily, ipv4ToBytes, ipv6ToBytes, parseIPv4 } from '../util/ip.js';
import { Writer } from '../wire/writer.js';

export const BMP_VERSION = 3;

/** RFC 7854 §4.1 message types. */
export const BmpType = {
  ROUTE_MONITORING: 0,
  STATISTICS_REPORT: 1,
  PEER_DOWN: 2,
  PEER_UP: 3,
  INITIATION: 4,
  TERMINATION: 5,
} as const;

/** RFC 7854 §4.2 peer types; RFC 9069 §4.1 Loc-RIB instance. */
export const BmpPeerType = { GLOBAL: 0, LOC_RIB: 3 } as const;

/** RFC 7854 §4.2 flags V, L, A and RFC 8671 §4 O (Adj-RIB-Out). */
export const PeerFlag = { V: 0x80, L: 0x40, A: 0x20, O: 0x10 } as const;

/** RFC 7854 §4.9 peer down reasons. */
export const PeerDownReason = {
  LOCAL_NOTIFICATION: 1,
  LOCAL_NO_NOTIFICATION: 2,
  REMOTE_NOTIFICATION: 3,
  REMOTE_NO_NOTIFICATION: 4,
  PEER_DECONFIGURED: 5,
} as const;

/** RFC 7854 §4.8 statistics types used here, with RFC 8671 §5 Adj-RIB-Out post-policy. */
export const StatType = {
  REJECTED_BY_POLICY: 0,
  TREAT_AS_WITHDRAW: 11,
  ADJ_RIB_IN_ROUTES: 7,
  LOC_RIB_ROUTES: 8,
  ADJ_RIB_OUT_POST_ROUTES: 15,
} as const;

/** Per-peer header fields (RFC 7854 §4.2). */
export interface BmpPeer {
  readonly type?: number;
  readonly flags: number;
  readonly address: string;
  readonly asn: number;
  readonly routerId: string;
  /** Seconds and microseconds of the event. */
  readonly seconds: number;
  readonly microseconds?: number;
}

export const PER_PEER_HEADER_LENGTH = 42;

/** Common header (version, length, type) around `body`. */
function message(type: number, body: Uint8Array): Uint8Array {
  const w = new Writer(6 + body.length);
  w.u8(BMP_VERSION)
    .u32(6 + body.length)
    .u8(type)
    .bytes(body);
  return w.buf.slice(0, w.pos);
}

/** A 16-octet address: IPv4 in the last four octets (RFC 7854 §4.2). */
function address16(a: string): Uint8Array {
  const out = new Uint8Array(16);
  if (!a) return out;
  if (ipFamily(a) === 6) out.set(ipv6ToBytes(a));
  else out.set(ipv4ToBytes(a), 12);
  return out;
}

function writePeer(w: Writer, p: BmpPeer): void {
  const v6 = p.address !== '' && ipFamily(p.address) === 6;
  w.u8(p.type ?? BmpPeerType.GLOBAL)
    .u8(p.flags | (v6 ? PeerFlag.V : 0))
    .u32(0)
    .u32(0) // peer distinguisher: the global instance
    .bytes(address16(p.address))
    .u32(p.asn >>> 0)
    .u32(parseIPv4(p.routerId) >>> 0)
    .u32(p.seconds >>> 0)
    .u32((p.microseconds ?? 0) >>> 0);
}

function tlvs(w: Writer, items: readonly { type: number; value: Uint8Array }[]): void {
  for (const t of items) w.u16(t.type).u16(t.value.length).bytes(t.value);
}

const text = (s: string) => new TextEncoder().encode(s);

/** RFC 7854 §4.3: sysDescr (1) and sysName (2). */
export function initiation(sysDescr: string, sysName: string): Uint8Array {
  const w = new Writer(64);
  tlvs(w, [
    { type: 1, value: text(sysDescr) },
    { type: 2, value: text(sysName) },
  ]);
  return message(BmpType.INITIATION, w.buf.slice(0, w.pos));
}

/** RFC 7854 §4.5: a string (0) and the reason (1): 0 administratively closed. */
export function termination(why: string, reason = 0): Uint8Array {
  const w = new Writer(64);
  tlvs(w, [
    { type: 0, value: text(why) },
    { type: 1, value: Uint8Array.of(reason >> 8, reason & 255) },
  ]);
  return message(BmpType.TERMINATION, w.buf.slice(0, w.pos));
}

export interface PeerUpInfo {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remotePort: number;
  /** Whole BGP OPEN messages, header included. */
  readonly sentOpen: Uint8Array;
  readonly receivedOpen: Uint8Array;
  /** RFC 9069 §5.3: the table name of a Loc-RIB peer up (information TLV 3). */
  readonly tableName?: string;
}

/** RFC 7854 §4.10 peer up notification. */
export function peerUp(peer: BmpPeer, u: PeerUpInfo): Uint8Array {
  const w = new Writer(PER_PEER_HEADER_LENGTH + 20 + u.sentOpen.length + u.receivedOpen.length + 32);
  writePeer(w, peer);
  w.bytes(address16(u.localAddress))
    .u16(u.localPort)
    .u16(u.remotePort)
    .bytes(u.sentOpen)
    .bytes(u.receivedOpen);
  if (u.tableName !== undefined) tlvs(w, [{ type: 3, value: text(u.tableName) }]);
  return message(BmpType.PEER_UP, w.buf.slice(0, w.pos));
}

/** RFC 7854 §4.9 peer down: a NOTIFICATION (reasons 1, 3), an FSM event code (2) or nothing. */
export function peerDown(peer: BmpPeer, reason: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const w = new Writer(PER_PEER_HEADER_LENGTH + 1 + data.length);
  writePeer(w, peer);
  w.u8(reason).bytes(data);
  return message(BmpType.PEER_DOWN, w.buf.slice(0, w.pos));
}

/** RFC 7854 §4.6 route monitoring: one whole BGP UPDATE. */
export function routeMonitoring(peer: BmpPeer, update: Uint8Array): Uint8Array {
  const w = new Writer(PER_PEER_HEADER_LENGTH + update.length);
  writePeer(w, peer);
  w.bytes(update);
  return message(BmpType.ROUTE_MONITORING, w.buf.slice(0, w.pos));
}

/** RFC 7854 §4.8: counters (32-bit) and gauges (64-bit) by stat type. */
export function statisticsReport(
  peer: BmpPeer,
  stats: readonly { type: number; value: number; gauge: boolean }[],
): Uint8Array {
  const w = new Writer(PER_PEER_HEADER_LENGTH + 4 + stats.length * 12);
  writePeer(w, peer);
  w.u32(stats.length);
  for (const s of stats) {
    w.u16(s.type).u16(s.gauge ? 8 : 4);
    if (s.gauge) w.u32(Math.floor(s.value / 2 ** 32)).u32(s.value >>> 0);
    else w.u32(s.value >>> 0);
  }
  return message(BmpType.STATISTICS_REPORT, w.buf.slice(0, w.pos));
}
