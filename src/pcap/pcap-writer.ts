/**
 * Writes classic pcap files (little-endian, microseconds, LINKTYPE_ETHERNET) holding synthetic
 * Ethernet / IPv4 (RFC 791) or IPv6 (RFC 8200) / TCP (RFC 9293) framing around given byte streams:
 * handshake, data split at the MSS with ACKs, and FIN. Used to feed our messages to tshark.
 */
import { ipv4ToBytes, ipv6ToBytes } from '../util/ip.js';
import { TcpFlag } from './packet.js';
import type { CaptureTime } from './pcap-reader.js';
import type { Endpoint } from './tcp-streams.js';

export interface RawFrame {
  readonly time: CaptureTime;
  readonly data: Uint8Array;
}

/** A classic pcap file around Ethernet frames. */
export function writePcapFile(frames: readonly RawFrame[], linkType = 1): Uint8Array {
  let size = 24;
  for (const f of frames) size += 16 + f.data.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 262144, true); // snap length
  v.setUint32(20, linkType, true);
  let p = 24;
  for (const f of frames) {
    v.setUint32(p, f.time.sec, true);
    v.setUint32(p + 4, Math.floor(f.time.nsec / 1000), true);
    v.setUint32(p + 8, f.data.length, true);
    v.setUint32(p + 12, f.data.length, true);
    out.set(f.data, p + 16);
    p += 16 + f.data.length;
  }
  return out;
}

export interface TcpFrameSpec {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly payload?: Uint8Array;
}

/** One Ethernet frame carrying a TCP segment over IPv4 or IPv6 (by the address form), checksums set. */
export function ethernetTcpFrame(s: TcpFrameSpec): Uint8Array {
  const v6 = s.src.address.includes(':');
  const src = v6 ? ipv6ToBytes(s.src.address) : ipv4ToBytes(s.src.address);
  const dst = v6 ? ipv6ToBytes(s.dst.address) : ipv4ToBytes(s.dst.address);
  const payload = s.payload ?? new Uint8Array(0);
  const ipHeader = v6 ? 40 : 20;
  const tcpLen = 20 + payload.length;
  const frame = new Uint8Array(14 + ipHeader + tcpLen);
  const v = new DataView(frame.buffer);
  // Locally administered MACs derived from nothing in particular: 02:00:00:00:00:01/02.
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
  v.setUint16(12, v6 ? 0x86dd : 0x0800);
  const ip = 14;
  if (v6) {
    v.setUint32(ip, 0x60000000);
    v.setUint16(ip + 4, tcpLen);
    frame[ip + 6] = 6; // next header TCP
    frame[ip + 7] = 64;
    frame.set(src, ip + 8);
    frame.set(dst, ip + 24);
  } else {
    frame[ip] = 0x45;
    v.setUint16(ip + 2, 20 + tcpLen);
    v.setUint16(ip + 6, 0x4000); // don't fragment
    frame[ip + 8] = 64;
    frame[ip + 9] = 6;
    frame.set(src, ip + 12);
    frame.set(dst, ip + 16);
    v.setUint16(ip + 10, checksum(frame.subarray(ip, ip + 20), 0));
  }
  const t = ip + ipHeader;
  v.setUint16(t, s.src.port);
  v.setUint16(t + 2, s.dst.port);
  v.setUint32(t + 4, s.seq >>> 0);
  v.setUint32(t + 8, s.ack >>> 0);
  frame[t + 12] = 5 << 4;
  frame[t + 13] = s.flags;
  v.setUint16(t + 14, 65535);
  frame.set(payload, t + 20);
  // RFC 9293 §3.1: the checksum covers a pseudo-header of addresses, protocol and TCP length.
  let pseudo = 6 + tcpLen;
  for (let i = 0; i < src.length; i += 2)
    pseudo += ((src[i] << 8) | src[i + 1]) + ((dst[i] << 8) | dst[i + 1]);
  v.setUint16(t + 16, checksum(frame.subarray(t), pseudo));
  return frame;
}

/** RFC 1071 one's complement sum, starting from `initial`. */
function checksum(b: Uint8Array, initial: number): number {
  let sum = initial;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface SyntheticConnection {
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** Application data in the order it is sent; each item is sent in one or more segments. */
  readonly sends: readonly { readonly from: 'client' | 'server'; readonly data: Uint8Array }[];
}

export interface SessionPcapOptions {
  /** Largest TCP payload per segment (default 1400): longer sends span several segments. */
  readonly mss?: number;
  /** Time of the first packet (default 2024-01-01T00:00:00Z); each packet is 1 ms later. */
  readonly start?: CaptureTime;
}

/** Frames for whole connections (SYN, SYN-ACK, ACK, data with ACKs, FIN both ways), one after another. */
export function sessionFrames(
  conns: readonly SyntheticConnection[],
  opts: SessionPcapOptions = {},
): RawFrame[] {
  const mss = opts.mss ?? 1400;
  const start = opts.start ?? { sec: 1704067200, nsec: 0 };
  const frames: RawFrame[] = [];
  const push = (spec: TcpFrameSpec) => {
    const n = frames.length;
    const ns = start.nsec + n * 1_000_000;
    frames.push({
      time: { sec: start.sec + Math.floor(ns / 1e9), nsec: ns % 1e9 },
      data: ethernetTcpFrame(spec),
    });
  };
  conns.forEach((c, i) => {
    // Fixed, distinct initial sequence numbers, high enough that some connections wrap around 2^32.
    const seq = { client: (0xfffff000 + i * 0x01000000) >>> 0, server: (0x10000000 + i * 7919) >>> 0 };
    const ends = { client: c.client, server: c.server };
    const other = (s: 'client' | 'server') => (s === 'client' ? 'server' : 'client');
    const ack = TcpFlag.ACK;
    push({ src: c.client, dst: c.server, seq: seq.client, ack: 0, flags: TcpFlag.SYN });
    push({ src: c.server, dst: c.client, seq: seq.server, ack: seq.client + 1, flags: TcpFlag.SYN | ack });
    seq.client = (seq.client + 1) >>> 0;
    seq.server = (seq.server + 1) >>> 0;
    push({ src: c.client, dst: c.server, seq: seq.client, ack: seq.server, flags: ack });
    for (const send of c.sends) {
      const from = send.from;
      const to = other(from);
      for (let p = 0; p < send.data.length; p += mss) {
        const payload = send.data.subarray(p, Math.min(p + mss, send.data.length));
        const flags = ack | TcpFlag.PSH;
        push({ src: ends[from], dst: ends[to], seq: seq[from], ack: seq[to], flags, payload });
        seq[from] = (seq[from] + payload.length) >>> 0;
        push({ src: ends[to], dst: ends[from], seq: seq[to], ack: seq[from], flags: ack });
      }
    }
    push({ src: c.client, dst: c.server, seq: seq.client, ack: seq.server, flags: TcpFlag.FIN | ack });
    push({ src: c.server, dst: c.client, seq: seq.server, ack: seq.client + 1, flags: TcpFlag.FIN | ack });
    push({ src: c.client, dst: c.server, seq: seq.client + 1, ack: seq.server + 1, flags: ack });
  });
  return frames;
}

/** A pcap file with whole synthetic TCP connections carrying the given byte streams. */
export function writeSessionPcap(
  conns: readonly SyntheticConnection[],
  opts: SessionPcapOptions = {},
): Uint8Array {
  return writePcapFile(sessionFrames(conns, opts));
}
