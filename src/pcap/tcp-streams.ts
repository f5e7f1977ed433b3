/**
 * TCP reassembly (RFC 9293 §3.4 sequence numbers) for captured segments: per connection and
 * direction, segments ordered by sequence number with wrap-around, retransmissions and overlaps
 * deduplicated (the first copy wins; differing copies are counted), holes reported as gaps.
 * Pure: takes packets, returns byte streams. Only connections with an endpoint on the given port.
 */

import { isSegment, parseFrame, TcpFlag, type TcpSegment } from './packet.js';
import type { CapturedPacket, CaptureTime } from './pcap-reader.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** Contiguous stream octets taken from one captured packet. */
export interface StreamChunk {
  /** Offset of data[0] in the direction's byte stream (0 = first octet after the SYN). */
  readonly offset: number;
  readonly data: Uint8Array;
  /** Packet number (1-based) and time of the packet that carried these octets. */
  readonly frame: number;
  readonly time?: CaptureTime;
}

export interface StreamGap {
  readonly offset: number;
  readonly length: number;
}

export interface TcpDirection {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  /** "10.0.0.1:179>10.0.0.2:40000", IPv6 addresses in brackets. */
  readonly label: string;
  /** Non-overlapping, in offset order. */
  readonly chunks: StreamChunk[];
  /** Octets never captured, in offset order. */
  readonly gaps: StreamGap[];
  /** Whether the SYN was captured, so offset 0 is known to be the stream start. */
  readonly synSeen: boolean;
  /** Segments that carried only octets already seen (retransmissions). */
  readonly duplicates: number;
  /** Segments that partly overlapped octets already seen. */
  readonly overlaps: number;
  /** Overlapping octets whose value differed from the first copy (which was kept). */
  readonly conflicts: number;
}

export interface TcpConnection {
  /** 0-based, in order of the connection's first packet (like tshark's tcp.stream). */
  readonly id: number;
  /** One or two directions, the direction of the connection's first packet first. */
  readonly directions: TcpDirection[];
}

export interface Reassembly {
  readonly connections: TcpConnection[];
  /** Frames that looked like IP but could not be read (truncated headers, fragments). */
  readonly issues: string[];
}

export interface ReassemblyOptions {
  /** Keep connections with this port on either side (default 179, BGP); null keeps all TCP. */
  readonly port?: number | null;
}

interface Pending {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly frame: number;
  readonly time?: CaptureTime;
}

interface DirectionState {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  isn: number | null;
  readonly segments: Pending[];
}

interface ConnectionState {
  readonly id: number;
  readonly dirs: Map<string, DirectionState>;
  closed: boolean;
}

export const endpointLabel = (e: Endpoint): string =>
  e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;

export function reassemble(packets: Iterable<CapturedPacket>, opts: ReassemblyOptions = {}): Reassembly {
  const port = opts.port === undefined ? 179 : opts.port;
  const issues: string[] = [];
  const open = new Map<string, ConnectionState>();
  const all: ConnectionState[] = [];
  for (const pkt of packets) {
    const seg = parseFrame(pkt.linkType, pkt.data);
    if (!isSegment(seg)) {
      if (seg.kind === 'bad') issues.push(`packet ${pkt.number}: ${seg.reason}`);
      continue;
    }
    if (port !== null && seg.srcPort !== port && seg.dstPort !== port) continue;
    const src = { address: seg.src, port: seg.srcPort };
    const dst = { address: seg.dst, port: seg.dstPort };
    const from = endpointLabel(src);
    const to = endpointLabel(dst);
    const key = from < to ? `${from}|${to}` : `${to}|${from}`;
    let conn = open.get(key);
    // A new SYN on a closed 4-tuple, or with another ISN, starts a new connection (port reuse).
    if (conn && isSyn(seg)) {
      const known = conn.dirs.get(from)?.isn;
      if (conn.closed || (known !== null && known !== undefined && known !== seg.seq)) conn = undefined;
    }
    if (!conn) {
      conn = { id: all.length, dirs: new Map(), closed: false };
      open.set(key, conn);
      all.push(conn);
    }
    let dir = conn.dirs.get(from);
    if (!dir) {
      dir = { src, dst, isn: null, segments: [] };
      conn.dirs.set(from, dir);
    }
    if (seg.flags & TcpFlag.SYN) dir.isn = seg.seq;
    if (seg.flags & (TcpFlag.FIN | TcpFlag.RST)) conn.closed = true;
    if (seg.payload.length) {
      // The SYN itself occupies one sequence number (RFC 9293 §3.4): data on it starts after.
      const seq = seg.flags & TcpFlag.SYN ? (seg.seq + 1) >>> 0 : seg.seq;
      dir.segments.push({ seq, payload: seg.payload, frame: pkt.number, time: pkt.time });
    }
  }
  const connections = all.map((c) => ({
    id: c.id,
    directions: [...c.dirs.values()].map(assemble),
  }));
  return { connections, issues };
}

const isSyn = (s: TcpSegment) => (s.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;

function assemble(d: DirectionState): TcpDirection {
  const chunks: StreamChunk[] = [];
  const gaps: StreamGap[] = [];
  let duplicates = 0;
  let overlaps = 0;
  let conflicts = 0;
  const synSeen = d.isn !== null;
  const base = synSeen ? ((d.isn as number) + 1) >>> 0 : (d.segments[0]?.seq ?? 0);
  // Offsets relative to the base as signed 32-bit differences, so wrap-around sorts correctly.
  const rel = d.segments.map((s, i) => ({ s, i, at: (s.seq - base) | 0 }));
  const min = rel.reduce((m, r) => Math.min(m, r.at), 0);
  // Without the SYN the earliest captured octet is offset 0; with it, octets before it are stale.
  const shift = synSeen ? 0 : -min;
  rel.sort((a, b) => a.at - b.at || a.i - b.i);
  let cursor = 0;
  for (const { s, at } of rel) {
    let start = at + shift;
    let data = s.payload;
    if (start < 0) {
      if (start + data.length <= 0) continue;
      data = data.subarray(-start);
      start = 0;
    }
    const end = start + data.length;
    if (end <= cursor) {
      duplicates++;
      conflicts += differing(chunks, start, data);
      continue;
    }
    if (start < cursor) {
      overlaps++;
      conflicts += differing(chunks, start, data.subarray(0, cursor - start));
      data = data.subarray(cursor - start);
      start = cursor;
    } else if (start > cursor) {
      gaps.push({ offset: cursor, length: start - cursor });
    }
    chunks.push({ offset: start, data, frame: s.frame, ...(s.time && { time: s.time }) });
    cursor = end;
  }
  return {
    src: d.src,
    dst: d.dst,
    label: `${endpointLabel(d.src)}>${endpointLabel(d.dst)}`,
    chunks,
    gaps,
    synSeen,
    duplicates,
    overlaps,
    conflicts,
  };
}

/** Counts octets of `data` (at stream offset `start`) that differ from the chunks already kept. */
function differing(chunks: readonly StreamChunk[], start: number, data: Uint8Array): number {
  let n = 0;
  const end = start + data.length;
  for (let i = chunks.length - 1; i >= 0; i--) {
    const c = chunks[i];
    const cEnd = c.offset + c.data.length;
    if (cEnd <= start) break;
    const from = Math.max(start, c.offset);
    const to = Math.min(end, cEnd);
    for (let p = from; p < to; p++) if (c.data[p - c.offset] !== data[p - start]) n++;
  }
  return n;
}

/** The direction's chunks grouped into runs with no gap inside a run. */
export function contiguousRuns(d: TcpDirection): { offset: number; chunks: StreamChunk[] }[] {
  const runs: { offset: number; chunks: StreamChunk[] }[] = [];
  let end = -1;
  for (const c of d.chunks) {
    if (c.offset !== end) runs.push({ offset: c.offset, chunks: [] });
    runs[runs.length - 1].chunks.push(c);
    end = c.offset + c.data.length;
  }
  return runs;
}
