/**
 * pcap and pcapng files built by hand (both byte orders, micro/nano, if_tsresol, SPB, several
 * sections), the link types the frame parser knows, and garbage that must be reported, not thrown.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSegment, parseFrame } from '../../../src/pcap/packet.js';
import { formatCaptureTime, isCapture, readCapture } from '../../../src/pcap/pcap-reader.js';
import { reassemble } from '../../../src/pcap/tcp-streams.js';

/** A little builder for binary test files: explicit byte order, nothing shared with the reader. */
class Bin {
  private parts: number[] = [];
  constructor(private le: boolean) {}
  u8(...v: number[]) {
    this.parts.push(...v);
    return this;
  }
  u16(v: number) {
    return this.le ? this.u8(v & 255, v >> 8) : this.u8(v >> 8, v & 255);
  }
  u32(v: number) {
    const b = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    return this.u8(...(this.le ? b.reverse() : b));
  }
  bytes(b: Uint8Array | number[]) {
    return this.u8(...b);
  }
  get length() {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** IPv4 + TCP by hand: 10.0.0.1:40000 → 10.0.0.2:179, seq 1000, PSH|ACK, with `payload`. */
function ipv4Tcp(payload: number[], seq = 1000): number[] {
  const total = 40 + payload.length;
  return [
    0x45,
    0,
    total >> 8,
    total & 255,
    0,
    1,
    0x40,
    0,
    64,
    6,
    0,
    0,
    10,
    0,
    0,
    1,
    10,
    0,
    0,
    2,
    0x9c,
    0x40,
    0,
    179,
    seq >>> 24,
    (seq >>> 16) & 255,
    (seq >>> 8) & 255,
    seq & 255,
    0,
    0,
    0,
    0,
    0x50,
    0x18,
    0xff,
    0xff,
    0,
    0,
    0,
    0,
    ...payload,
  ];
}

/** IPv6 + hop-by-hop options + TCP by hand: [fd00::1]:179 → [fd00::2]:50000. */
function ipv6Tcp(payload: number[]): number[] {
  const addr = (last: number) => [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last];
  const len = 8 + 20 + payload.length;
  return [
    0x60,
    0,
    0,
    0,
    len >> 8,
    len & 255,
    0 /* hop-by-hop */,
    64,
    ...addr(1),
    ...addr(2),
    6,
    0,
    1,
    4,
    0,
    0,
    0,
    0, // hop-by-hop header: next TCP, length 0 (8 octets), PadN
    0,
    179,
    0xc3,
    0x50,
    0,
    0,
    0,
    7,
    0,
    0,
    0,
    0,
    0x50,
    0x18,
    0xff,
    0xff,
    0,
    0,
    0,
    0,
    ...payload,
  ];
}

const ETH = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];

function classicPcap(
  le: boolean,
  nano: boolean,
  linkType: number,
  packets: { sec: number; frac: number; data: number[] }[],
) {
  const b = new Bin(le)
    .u32(nano ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(65535)
    .u32(linkType);
  for (const p of packets) b.u32(p.sec).u32(p.frac).u32(p.data.length).u32(p.data.length).bytes(p.data);
  return b.done();
}

describe('classic pcap', () => {
  const frame = [...ETH, 0x08, 0x00, ...ipv4Tcp([1, 2, 3])];
  it.each([
    [true, false],
    [false, false],
    [true, true],
    [false, true],
  ])('little-endian %s, nanoseconds %s', (le, nano) => {
    const file = classicPcap(le, nano, 1, [
      { sec: 1700000000, frac: nano ? 123456789 : 123456, data: frame },
      { sec: 1700000001, frac: 5, data: [0xde, 0xad] },
    ]);
    expect(isCapture(file)).toBe(true);
    const c = readCapture(file);
    expect(c.format).toBe('pcap');
    expect(c.issues).toEqual([]);
    expect(c.packets.map((p) => [p.number, p.linkType, p.data.length, p.originalLength])).toEqual([
      [1, 1, frame.length, frame.length],
      [2, 1, 2, 2],
    ]);
    expect(c.packets[0].time).toEqual({ sec: 1700000000, nsec: nano ? 123456789 : 123456000 });
    expect(c.packets[1].time).toEqual({ sec: 1700000001, nsec: nano ? 5 : 5000 });
    expect(formatCaptureTime(c.packets[0].time!)).toBe(
      nano ? '2023-11-14T22:13:20.123456789Z' : '2023-11-14T22:13:20.123456000Z',
    );
  });

  it('reports a truncated record and keeps the packets before it', () => {
    const file = classicPcap(true, false, 1, [{ sec: 1, frac: 0, data: frame }]);
    const cut = new Bin(true).bytes(file).u32(2).u32(0).u32(100).u32(100).bytes([1, 2, 3]).done();
    const c = readCapture(cut);
    expect(c.packets).toHaveLength(1);
    expect(c.issues).toEqual(['packet 2: 100 captured octets run past the end of the file']);
  });

  it('reports a file that is not a capture', () => {
    expect(isCapture(Uint8Array.of(1, 2, 3, 4, 5))).toBe(false);
    expect(readCapture(Uint8Array.of(1, 2, 3, 4, 5)).issues[0]).toMatch(/not a pcap or pcapng file/);
    expect(readCapture(new Uint8Array(0)).issues).toEqual(['file shorter than 4 octets']);
  });
});

function pcapng(le: boolean, build: (b: Bin, block: (type: number, body: Bin) => void) => void): Uint8Array {
  const b = new Bin(le);
  const block = (type: number, body: Bin) => {
    const data = body.done();
    const pad = (4 - (data.length % 4)) % 4;
    const len = 12 + data.length + pad;
    b.u32(type).u32(len).bytes(data).bytes(new Array(pad).fill(0)).u32(len);
  };
  build(b, block);
  return b.done();
}

const shb = (le: boolean) => new Bin(le).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff);

describe('pcapng', () => {
  const frame = [...ETH, 0x08, 0x00, ...ipv4Tcp([9, 9])];
  it.each([true, false])('little-endian %s: SHB, IDBs with if_tsresol, EPB, SPB, skipped blocks', (le) => {
    const file = pcapng(le, (_b, block) => {
      block(0x0a0d0d0a, shb(le));
      // Interface 0: Ethernet, nanosecond resolution (if_tsresol 9); interface 1: raw IP, default µs.
      block(1, new Bin(le).u16(1).u16(0).u32(0).u16(9).u16(1).u8(9, 0, 0, 0).u16(0).u16(0));
      block(1, new Bin(le).u16(101).u16(0).u32(0));
      const ts = 1700000000n * 1_000_000_000n + 42n;
      block(
        6,
        new Bin(le)
          .u32(0)
          .u32(Number(ts >> 32n))
          .u32(Number(ts & 0xffffffffn))
          .u32(frame.length)
          .u32(frame.length)
          .bytes(frame),
      );
      block(4, new Bin(le).u16(0).u16(0)); // name resolution block: no packets
      const us = 1700000000n * 1_000_000n + 7n;
      const raw = ipv4Tcp([]);
      block(
        6,
        new Bin(le)
          .u32(1)
          .u32(Number(us >> 32n))
          .u32(Number(us & 0xffffffffn))
          .u32(raw.length)
          .u32(raw.length + 10)
          .bytes(raw),
      );
      block(3, new Bin(le).u32(frame.length).bytes(frame));
    });
    const c = readCapture(file);
    expect(c.format).toBe('pcapng');
    expect(c.issues).toEqual([]);
    expect(c.packets.map((p) => [p.number, p.linkType, p.data.length, p.originalLength])).toEqual([
      [1, 1, frame.length, frame.length],
      [2, 101, 40, 50],
      [3, 1, frame.length, frame.length],
    ]);
    expect(c.packets[0].time).toEqual({ sec: 1700000000, nsec: 42 });
    expect(c.packets[1].time).toEqual({ sec: 1700000000, nsec: 7000 });
    expect(c.packets[2].time).toBeUndefined();
    expect(c.packets.map((p) => isSegment(parseFrame(p.linkType, p.data)))).toEqual([true, true, true]);
  });

  it('a new section forgets the interfaces of the previous one', () => {
    const file = pcapng(true, (_b, block) => {
      block(0x0a0d0d0a, shb(true));
      block(1, new Bin(true).u16(1).u16(0).u32(0));
      block(0x0a0d0d0a, shb(true));
      block(6, new Bin(true).u32(0).u32(0).u32(0).u32(2).u32(2).bytes([1, 2]));
    });
    const c = readCapture(file);
    expect(c.packets).toEqual([]);
    expect(c.issues[0]).toMatch(/unknown interface 0/);
  });

  it('reports an impossible block length', () => {
    const file = pcapng(true, (b, block) => {
      block(0x0a0d0d0a, shb(true));
      b.u32(1).u32(7).u32(0).u32(0);
    });
    expect(readCapture(file).issues[0]).toMatch(/impossible length 7/);
  });
});

describe('link layers down to TCP', () => {
  const v4 = ipv4Tcp([0xaa, 0xbb]);
  const v6 = ipv6Tcp([0xcc]);
  const cases: [string, number, number[], 4 | 6][] = [
    ['Ethernet', 1, [...ETH, 0x08, 0x00, ...v4, 0, 0, 0, 0], 4], // trailing Ethernet padding trimmed
    [
      'Ethernet with 802.1Q and 802.1ad tags',
      1,
      [...ETH, 0x88, 0xa8, 0, 5, 0x81, 0x00, 0, 7, 0x86, 0xdd, ...v6],
      6,
    ],
    ['Linux cooked (SLL)', 113, [0, 0, 0, 1, 0, 6, ...ETH.slice(0, 6), 0, 0, 0x08, 0x00, ...v4], 4],
    [
      'Linux cooked v2 (SLL2)',
      276,
      [0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, ...ETH.slice(0, 6), 0, 0, ...v6],
      6,
    ],
    ['raw IP (101)', 101, v6, 6],
    ['raw IPv4 (228)', 228, v4, 4],
    ['raw IPv6 (229)', 229, v6, 6],
    ['BSD null, little-endian AF_INET', 0, [2, 0, 0, 0, ...v4], 4],
    ['BSD null, AF_INET6 = 30', 0, [30, 0, 0, 0, ...v6], 6],
    ['OpenBSD loop, network order', 108, [0, 0, 0, 24, ...v6], 6],
  ];
  it.each(cases)('%s', (_name, linkType, data, version) => {
    const s = parseFrame(linkType, Uint8Array.from(data));
    if (!isSegment(s)) throw new Error(s.reason);
    expect(s.ipVersion).toBe(version);
    if (version === 4) {
      expect([s.src, s.srcPort, s.dst, s.dstPort, s.seq, s.flags]).toEqual([
        '10.0.0.1',
        40000,
        '10.0.0.2',
        179,
        1000,
        0x18,
      ]);
      expect([...s.payload]).toEqual([0xaa, 0xbb]);
    } else {
      expect([s.src, s.srcPort, s.dst, s.dstPort, s.seq]).toEqual(['fd00::1', 179, 'fd00::2', 50000, 7]);
      expect([...s.payload]).toEqual([0xcc]);
    }
  });

  it('tells other traffic from frames it cannot read', () => {
    expect(parseFrame(1, Uint8Array.from([...ETH, 0x08, 0x06, 0, 1]))).toMatchObject({ kind: 'other' }); // ARP
    const udp = ipv4Tcp([]);
    udp[9] = 17;
    expect(parseFrame(228, Uint8Array.from(udp))).toMatchObject({ kind: 'other' });
    expect(parseFrame(147, Uint8Array.of(1))).toMatchObject({
      kind: 'other',
      reason: 'link type 147 is not supported',
    });
    expect(parseFrame(228, Uint8Array.from(v4.slice(0, 30)))).toMatchObject({
      kind: 'bad',
      reason: 'TCP header truncated',
    });
    const frag = ipv4Tcp([]);
    frag[6] = 0x20; // more fragments
    expect(parseFrame(228, Uint8Array.from(frag))).toMatchObject({
      kind: 'bad',
      reason: 'IPv4 fragment (not reassembled)',
    });
  });
});

describe('garbage never throws', () => {
  it('random bytes, with or without a valid file header', () => {
    const headers = [
      [],
      [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0],
      [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...headers), fc.uint8Array({ maxLength: 400 }), (h, tail) => {
        const c = readCapture(Uint8Array.from([...h, ...tail]));
        reassemble(c.packets, { port: null });
        for (const lt of [0, 1, 101, 113, 276]) parseFrame(lt, tail);
      }),
      { numRuns: 2000 },
    );
  });
});
