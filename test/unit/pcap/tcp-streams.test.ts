/**
 * TCP reassembly: out-of-order, duplicate, overlapping and conflicting segments, gaps, sequence
 * wrap-around, captures that start mid-stream, port filtering and port reuse; plus the synthetic
 * framing of the pcap writer (checksums, handshake, MSS split) read back through the reader.
 */
import { describe, expect, it } from 'vitest';
import { isSegment, parseFrame, TcpFlag } from '../../../src/pcap/packet.js';
import type { CapturedPacket } from '../../../src/pcap/pcap-reader.js';
import { readCapture } from '../../../src/pcap/pcap-reader.js';
import {
  ethernetTcpFrame,
  sessionFrames,
  writePcapFile,
  writeSessionPcap,
} from '../../../src/pcap/pcap-writer.js';
import { contiguousRuns, reassemble, type TcpDirection } from '../../../src/pcap/tcp-streams.js';

const A = { address: '10.0.0.1', port: 40000 };
const B = { address: '10.0.0.2', port: 179 };
const { SYN, ACK, PSH, FIN } = TcpFlag;

let n = 0;
function pkt(src: typeof A, dst: typeof A, seq: number, flags: number, payload = ''): CapturedPacket {
  const data = ethernetTcpFrame({ src, dst, seq, ack: 0, flags, payload: Buffer.from(payload) });
  n++;
  return { number: n, linkType: 1, time: { sec: 100, nsec: n }, data, originalLength: data.length };
}

const text = (d: TcpDirection) => Buffer.concat(d.chunks.map((c) => c.data)).toString();
const one = (packets: CapturedPacket[]) => {
  const r = reassemble(packets);
  expect(r.issues).toEqual([]);
  expect(r.connections).toHaveLength(1);
  return r.connections[0].directions[0];
};

describe('reassembly of one direction', () => {
  it('orders segments by sequence number, after the SYN', () => {
    n = 0;
    const d = one([
      pkt(A, B, 999, SYN),
      pkt(A, B, 1006, ACK, 'world'),
      pkt(A, B, 1000, ACK, 'hello '),
      pkt(A, B, 1011, ACK, '!'),
    ]);
    expect(text(d)).toBe('hello world!');
    expect(d.synSeen).toBe(true);
    expect(d.chunks.map((c) => [c.offset, c.frame])).toEqual([
      [0, 3],
      [6, 2],
      [11, 4],
    ]);
    expect(d.label).toBe('10.0.0.1:40000>10.0.0.2:179');
    expect([d.gaps, d.duplicates, d.overlaps, d.conflicts]).toEqual([[], 0, 0, 0]);
  });

  it('drops retransmissions, trims overlaps and counts octets that differ', () => {
    const d = one([
      pkt(A, B, 999, SYN),
      pkt(A, B, 1000, ACK, 'abcdef'),
      pkt(A, B, 1000, ACK, 'abcdef'), // retransmission
      pkt(A, B, 1003, ACK, 'deFGH'), // overlaps "def" (F differs) and adds "GH"
      pkt(A, B, 1002, ACK, 'cX'), // fully seen, one octet differs
    ]);
    expect(text(d)).toBe('abcdefGH');
    expect([d.duplicates, d.overlaps, d.conflicts]).toEqual([2, 1, 2]);
  });

  it('reports holes as gaps and splits the stream into runs', () => {
    const d = one([pkt(A, B, 999, SYN), pkt(A, B, 1003, ACK, 'def'), pkt(A, B, 1010, ACK, 'xyz')]);
    expect(d.gaps).toEqual([
      { offset: 0, length: 3 },
      { offset: 6, length: 4 },
    ]);
    expect(contiguousRuns(d).map((r) => [r.offset, r.chunks.length])).toEqual([
      [3, 1],
      [10, 1],
    ]);
  });

  it('follows sequence numbers across the 2^32 wrap', () => {
    const isn = 0xfffffffa;
    const d = one([pkt(A, B, 0xffffffff, ACK, 'wrap'), pkt(A, B, isn, SYN), pkt(A, B, isn + 1, ACK, 'pre-')]);
    expect(text(d)).toBe('pre-wrap');
  });

  it('without the SYN, starts at the lowest sequence number seen', () => {
    const d = one([pkt(A, B, 5005, ACK, 'tail'), pkt(A, B, 5000, ACK, 'head-')]);
    expect(d.synSeen).toBe(false);
    expect(text(d)).toBe('head-tail');
    expect(d.chunks[0].offset).toBe(0);
  });

  it('takes data carried on the SYN as starting after it', () => {
    expect(text(one([pkt(A, B, 10, SYN, 'fast'), pkt(A, B, 15, ACK, 'open')]))).toBe('fastopen');
  });
});

describe('connections', () => {
  it('keeps both directions of a connection, the first packet’s direction first', () => {
    const r = reassemble([
      pkt(B, A, 70, SYN | ACK),
      pkt(A, B, 9, SYN),
      pkt(A, B, 10, ACK, 'x'),
      pkt(B, A, 71, ACK, 'y'),
    ]);
    expect(r.connections).toHaveLength(1);
    expect(r.connections[0].directions.map((d) => [d.label, text(d)])).toEqual([
      ['10.0.0.2:179>10.0.0.1:40000', 'y'],
      ['10.0.0.1:40000>10.0.0.2:179', 'x'],
    ]);
  });

  it('keeps only connections on the BGP port unless told otherwise', () => {
    const C = { address: '10.0.0.3', port: 8080 };
    const packets = [pkt(A, C, 1, ACK, 'http'), pkt(A, B, 1, ACK, 'bgp')];
    expect(reassemble(packets).connections.map((c) => text(c.directions[0]))).toEqual(['bgp']);
    expect(reassemble(packets, { port: 8080 }).connections.map((c) => text(c.directions[0]))).toEqual([
      'http',
    ]);
    expect(reassemble(packets, { port: null }).connections).toHaveLength(2);
  });

  it('starts a new connection when the 4-tuple is reused after FIN', () => {
    const r = reassemble([
      pkt(A, B, 100, SYN),
      pkt(A, B, 101, ACK, 'first'),
      pkt(A, B, 106, FIN | ACK),
      pkt(A, B, 5000, SYN),
      pkt(A, B, 5001, ACK | PSH, 'second'),
    ]);
    expect(r.connections.map((c) => [c.id, text(c.directions[0])])).toEqual([
      [0, 'first'],
      [1, 'second'],
    ]);
  });

  it('reports frames it cannot read', () => {
    const bad: CapturedPacket = { number: 7, linkType: 1, data: Uint8Array.of(1, 2, 3), originalLength: 3 };
    expect(reassemble([bad]).issues).toEqual(['packet 7: Ethernet header truncated']);
  });
});

describe('pcap writer', () => {
  it('writes frames with valid IPv4 and TCP checksums', () => {
    const f = ethernetTcpFrame({
      src: A,
      dst: B,
      seq: 1,
      ack: 2,
      flags: ACK | PSH,
      payload: Uint8Array.of(1, 2, 3),
    });
    const sum = (b: Uint8Array, init = 0) => {
      let s = init;
      for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      return s;
    };
    expect(sum(f.subarray(14, 34))).toBe(0xffff);
    // Pseudo-header: 10.0.0.1 + 10.0.0.2 + protocol 6 + TCP length 23.
    expect(sum(f.subarray(34), 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 23)).toBe(0xffff);
  });

  it('splits sends at the MSS and reads back through reader and reassembly, IPv4 and IPv6', () => {
    const big = Uint8Array.from({ length: 3000 }, (_, i) => i & 255);
    const conns = [
      {
        client: A,
        server: B,
        sends: [
          { from: 'client' as const, data: big },
          { from: 'server' as const, data: Uint8Array.of(9) },
        ],
      },
      {
        client: { address: 'fd00::1', port: 40001 },
        server: { address: 'fd00::2', port: 179 },
        sends: [{ from: 'server' as const, data: Uint8Array.of(7, 7) }],
      },
    ];
    const frames = sessionFrames(conns, { mss: 1000 });
    // 3 handshake + 3 data segments with ACKs + 1 with ACK + 3 closing; second connection 3 + 2 + 3.
    expect(frames).toHaveLength(3 + 6 + 2 + 3 + 3 + 2 + 3);
    const capture = readCapture(writePcapFile(frames));
    expect(capture.packets).toHaveLength(frames.length);
    expect(capture.packets.every((p) => isSegment(parseFrame(p.linkType, p.data)))).toBe(true);
    const r = reassemble(readCapture(writeSessionPcap(conns, { mss: 1000 })).packets);
    expect(r.connections).toHaveLength(2);
    const [c1, c2] = r.connections;
    expect(Buffer.concat(c1.directions[0].chunks.map((c) => c.data))).toEqual(Buffer.from(big));
    expect(c1.directions[0].chunks).toHaveLength(3);
    expect(c1.directions[0].synSeen).toBe(true);
    expect(c2.directions.map((d) => [d.label, d.chunks.length])).toEqual([
      ['[fd00::1]:40001>[fd00::2]:179', 0],
      ['[fd00::2]:179>[fd00::1]:40001', 1],
    ]);
  });
});
