/**
 * Framer over a TCP byte stream (RFC 4271 §4.1, §6.1): every chunking gives the same frames; header
 * errors are reported as soon as 19 octets are buffered; the limit rises to 65535 (RFC 8654).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/util/ip.js';
import {
  Afi,
  BgpError,
  decodeMessage,
  Framer,
  IPV4_UNICAST,
  IPV6_UNICAST,
  NlriList,
  packAnnouncements,
} from '../../../src/wire/index.js';
import { GOLDEN } from '../../fixtures/wire/golden.js';
import { context, fromHex } from '../../helpers.js';

const M = 'ff'.repeat(16);
const ctx = context({ fourOctetAs: true });
const attrs = { origin: 0, asPath: [{ type: 2, asns: [65001, 4200000000] }], nextHop: '10.0.0.1' } as const;
const v4 = (n: number, base = 0) =>
  Array.from({ length: n }, (_, i) => `10.${(base + i) >> 8}.${(base + i) & 255}.0/24`);

/** ~15 varied valid messages: the golden fixtures and larger packed UPDATEs. */
const MESSAGES: Uint8Array[] = [
  ...GOLDEN.map((g) => fromHex(g.hex)),
  ...packAnnouncements(attrs, NlriList.from(Afi.IPV4, v4(1100)), IPV4_UNICAST, ctx, 4096).messages,
  ...packAnnouncements(
    { origin: 2, asPath: [] },
    NlriList.from(Afi.IPV6, ['fd00::/64', 'fd00:1::/48', '2001:db8::/32']),
    IPV6_UNICAST,
    ctx,
    4096,
    { nextHop: 'fd00::1', linkLocalNextHop: 'fe80::1' },
  ).messages,
];
const STREAM = concat(MESSAGES);
const EXPECTED = MESSAGES.map(toHex);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Frames as hex; frames are views valid only until the next push, so they are copied at once. */
function drain(f: Framer, out: string[]): BgpError | null {
  for (;;) {
    const m = f.next();
    if (m === null) return null;
    if (m instanceof BgpError) return m;
    out.push(toHex(m));
  }
}

function feed(chunks: Uint8Array[], framer = new Framer()): { frames: string[]; error: BgpError | null } {
  const frames: string[] = [];
  let error: BgpError | null = null;
  for (const c of chunks) {
    framer.push(c);
    error = drain(framer, frames) ?? error;
  }
  return { frames, error };
}

describe('framer: chunking never changes the frames', () => {
  it('the stream holds 15+ messages of several types and sizes', () => {
    expect(MESSAGES.length).toBeGreaterThanOrEqual(15);
    expect(new Set(MESSAGES.map((m) => m[18]))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(Math.max(...MESSAGES.map((m) => m.length))).toBeGreaterThan(4000);
  });

  it('fed whole: every message, in order, each decodable', () => {
    const r = feed([STREAM]);
    expect(r.error).toBeNull();
    expect(r.frames).toEqual(EXPECTED);
    for (const [i, m] of MESSAGES.entries()) {
      expect(decodeMessage(m, context(GOLDEN[i]?.ctx ?? { fourOctetAs: true })).ok).toBe(true);
    }
  });

  it('fed in two chunks split at every offset', () => {
    for (let k = 0; k <= STREAM.length; k++) {
      const r = feed([STREAM.subarray(0, k), STREAM.subarray(k)]);
      if (r.error || r.frames.length !== EXPECTED.length) throw new Error(`split at ${k}: ${r.error}`);
      expect(r.frames).toEqual(EXPECTED);
    }
  });

  it('fed one byte at a time', () => {
    const chunks = Array.from(STREAM, (b) => Uint8Array.of(b));
    const f = new Framer();
    const r = feed(chunks, f);
    expect(r.error).toBeNull();
    expect(r.frames).toEqual(EXPECTED);
    expect(f.buffered).toBe(0);
  });

  it('fed in random chunks', () => {
    const cuts = fc.uniqueArray(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 40 });
    fc.assert(
      fc.property(cuts, (points) => {
        const at = [0, ...points.sort((a, b) => a - b), STREAM.length];
        const chunks = at.slice(1).map((end, i) => STREAM.subarray(at[i], end));
        expect(feed(chunks).frames).toEqual(EXPECTED);
      }),
      { numRuns: 200 },
    );
  });

  it('a message larger than the initial buffer arrives whole, byte by byte', () => {
    const big = packAnnouncements(
      attrs,
      NlriList.from(Afi.IPV4, v4(8000)),
      IPV4_UNICAST,
      ctx,
      65535,
    ).messages;
    expect(big[0].length).toBeGreaterThan(20000);
    const f = new Framer(65535);
    const r = feed([...Array.from(big[0], (b) => Uint8Array.of(b)), fromHex(`${M} 0013 04`)], f);
    expect(r.frames).toEqual([toHex(big[0]), `${M}001304`]);
  });
});

describe('framer: header errors (RFC 4271 §6.1) as soon as 19 octets are buffered', () => {
  const expectError = (e: unknown, code: number, subcode: number, data: string) => {
    expect(e).toBeInstanceOf(BgpError);
    const b = e as BgpError;
    expect({ code: b.code, subcode: b.subcode, data: toHex(b.data) }).toEqual({ code, subcode, data });
  };

  it('bad marker: 1/1 at the 19th octet, though the body never arrives', () => {
    const header = fromHex(`${'ff'.repeat(15)}fe 1000 02`);
    const f = new Framer();
    f.push(header.subarray(0, 10));
    expect(f.next()).toBeNull();
    f.push(header.subarray(10, 18));
    expect(f.next()).toBeNull();
    f.push(header.subarray(18));
    expectError(f.next(), 1, 1, '');
  });

  it('bad marker after good messages: the good ones first, then 1/1', () => {
    const f = new Framer();
    f.push(fromHex(`${M} 0013 04 ${M} 0013 04`));
    f.push(fromHex(`${'ff'.repeat(15)}00 0013 04`));
    const frames: string[] = [];
    const e = drain(f, frames);
    expect(frames).toHaveLength(2);
    expectError(e, 1, 1, '');
  });

  it.each([
    ['0000', 4096],
    ['0012', 4096],
    ['1001', 4096],
    ['ffff', 4096],
    ['0012', 65535],
  ])('length %s with max %i: 1/2, data = the length field', (len, max) => {
    const f = new Framer(max);
    f.push(fromHex(`${M} ${len} 02`));
    expectError(f.next(), 1, 2, len);
  });

  it('length 4096 passes at max 4096', () => {
    const f = new Framer(4096);
    f.push(fromHex(`${M} 1000 02`));
    expect(f.next()).toBeNull(); // waits for the body: the length is valid
    expect(f.buffered).toBe(19);
  });

  it('after an error every call returns the same error, whatever arrives', () => {
    const f = new Framer();
    f.push(fromHex(`${M} 0005 04`));
    const e = f.next();
    expectError(e, 1, 2, '0005');
    f.push(fromHex(`${M} 0013 04`));
    expect(f.next()).toBe(e);
    expect(f.next()).toBe(e);
  });
});

describe('framer: extended messages (RFC 8654)', () => {
  /** An UPDATE of exactly 5000 octets: 1244 withdrawn /24s and one /0, built by hand. */
  function update5000(): Uint8Array {
    const withdrawn = new Uint8Array(4977);
    for (let i = 0; i < 1244; i++) withdrawn.set([24, 10, i >> 8, i & 255], 4 * i);
    const head = fromHex(`${M} 1388 02 1371`); // length 5000, withdrawn routes length 4977
    return concat([head, withdrawn, fromHex('0000')]);
  }
  const open = fromHex(GOLDEN.find((g) => g.name.startsWith('open, 4-octet'))!.hex);

  it('5000 octets after an OPEN: 1/2 at 4096, through once the limit is raised to 65535', () => {
    const big = update5000();
    expect(big.length).toBe(5000);
    const u = decodeMessage(big, context());
    expect(u.ok && u.message.type === 'update' && u.message.withdrawn.count).toBe(1245);

    const strict = new Framer();
    strict.push(concat([open, big]));
    expect(toHex(strict.next() as Uint8Array)).toBe(toHex(open));
    const e = strict.next() as BgpError;
    expect([e.code, e.subcode, toHex(e.data)]).toEqual([1, 2, '1388']);

    const f = new Framer();
    f.push(concat([open, big.subarray(0, 100)]));
    expect(toHex(f.next() as Uint8Array)).toBe(toHex(open));
    f.maxLength = 65535; // the OPENs negotiated extended messages
    expect(f.next()).toBeNull();
    f.push(big.subarray(100));
    expect(toHex(f.next() as Uint8Array)).toBe(toHex(big));
    expect(f.next()).toBeNull();
  });
});
