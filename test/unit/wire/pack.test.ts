/**
 * packAnnouncements / packWithdrawals: the fewest UPDATEs within the size limit (budget computed
 * here from the RFC 4271 §4.3 / RFC 4760 layouts), every prefix back in order with its attributes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4ToBytes, ipv6ToBytes } from '../../../src/util/ip.js';
import {
  Afi,
  attributesToJson,
  decodeMessage,
  encodeAttributes,
  encodedOctets,
  type Family,
  IPV4_UNICAST,
  IPV6_UNICAST,
  NlriList,
  type PathAttributes,
  type Prefix,
  packAnnouncements,
  packEncoded,
  packWithdrawals,
  type UpdateMessage,
} from '../../../src/wire/index.js';
import { context } from '../../helpers.js';

const N = 10_000;
const v4 = (len: 24 | 32) =>
  Array.from({ length: N }, (_, i) =>
    len === 24 ? `10.${i >> 8}.${i & 255}.0/24` : `10.0.${i >> 8}.${i & 255}/32`,
  );
const v6 = Array.from({ length: N }, (_, i) => `fd00:${(i + 1).toString(16)}::/64`);
const withIds = (list: string[]): Prefix[] => list.map((prefix, i) => ({ prefix, pathId: i % 3 }));

/** 4 + 13 + 7 + 7 + 11 = 42 octets on a 4-octet AS session. */
const ATTRS: PathAttributes = {
  origin: 0, // ORIGIN: 3 + 1
  asPath: [{ type: 2, asns: [65001, 4200000000] }], // AS_PATH: 3 + 2 + 2 * 4
  nextHop: '10.0.0.1', // NEXT_HOP: 3 + 4
  med: 10, // MULTI_EXIT_DISC: 3 + 4
  communities: [(65000 << 16) | 1, (65000 << 16) | 2], // COMMUNITIES: 3 + 2 * 4
};
const ATTRS_LEN = 42;
const { nextHop: _, ...MP_ATTRS } = ATTRS;
const MP_ATTRS_LEN = ATTRS_LEN - 7;

/** Header 19, withdrawn length 2, total attribute length 2 (RFC 4271 §4.3). */
const UPDATE_FIXED = 19 + 2 + 2;
/** MP_REACH_NLRI with extended length: flags, code, 2-octet length; AFI 2, SAFI 1, NH length 1, NH, reserved 1. */
const mpReachFixed = (nextHopLen: number) => 4 + 2 + 1 + 1 + nextHopLen + 1;
/** Octets of one NLRI entry (RFC 4271 §4.3, RFC 7911 §3). */
const entrySize = (bits: number, addPath: boolean) => (addPath ? 4 : 0) + 1 + Math.ceil(bits / 8);

interface PackCase {
  name: string;
  family: Family;
  prefixes: (string | Prefix)[];
  bits: number;
  addPath: boolean;
  mp?: { nextHop: string; linkLocalNextHop?: string };
  /** Octets of each UPDATE that are not NLRI. */
  fixed: number;
}

const ANNOUNCE: PackCase[] = [
  {
    name: '/24s classic',
    family: IPV4_UNICAST,
    prefixes: v4(24),
    bits: 24,
    addPath: false,
    fixed: UPDATE_FIXED + ATTRS_LEN,
  },
  {
    name: '/32s classic',
    family: IPV4_UNICAST,
    prefixes: v4(32),
    bits: 32,
    addPath: false,
    fixed: UPDATE_FIXED + ATTRS_LEN,
  },
  {
    name: '/24s classic, ADD-PATH',
    family: IPV4_UNICAST,
    prefixes: withIds(v4(24)),
    bits: 24,
    addPath: true,
    fixed: UPDATE_FIXED + ATTRS_LEN,
  },
  {
    name: 'IPv6 /64s in MP_REACH, global + link-local',
    family: IPV6_UNICAST,
    prefixes: v6,
    bits: 64,
    addPath: false,
    mp: { nextHop: 'fd00::1', linkLocalNextHop: 'fe80::1' },
    fixed: UPDATE_FIXED + MP_ATTRS_LEN + mpReachFixed(32),
  },
  {
    name: 'IPv6 /64s in MP_REACH, ADD-PATH',
    family: IPV6_UNICAST,
    prefixes: withIds(v6),
    bits: 64,
    addPath: true,
    mp: { nextHop: 'fd00::1' },
    fixed: UPDATE_FIXED + MP_ATTRS_LEN + mpReachFixed(16),
  },
  {
    name: 'IPv4 /24s in MP_REACH with an IPv6 next hop (RFC 8950)',
    family: IPV4_UNICAST,
    prefixes: v4(24),
    bits: 24,
    addPath: false,
    mp: { nextHop: 'fd00::1' },
    fixed: UPDATE_FIXED + MP_ATTRS_LEN + mpReachFixed(16),
  },
];

const ctxFor = (c: { family: Family; addPath: boolean }) =>
  context({
    fourOctetAs: true,
    addPath: c.addPath ? [c.family === IPV4_UNICAST ? 'ipv4-unicast' : 'ipv6-unicast'] : [],
  });
const afiOf = (f: Family) => (f === IPV4_UNICAST ? Afi.IPV4 : Afi.IPV6);
const asPrefix = (p: string | Prefix, addPath: boolean): Prefix | string =>
  addPath ? (typeof p === 'string' ? { prefix: p, pathId: 0 } : p) : typeof p === 'string' ? p : p.prefix;

function decodeAll(msgs: Uint8Array[], c: { family: Family; addPath: boolean }): UpdateMessage[] {
  return msgs.map((m) => {
    const r = decodeMessage(m, ctxFor(c));
    if (!r.ok) throw r.error;
    expect(r.issues).toEqual([]);
    if (r.message.type !== 'update') throw new Error(r.message.type);
    return r.message;
  });
}

const flat = (lists: NlriList[]) => lists.flatMap((l) => l.toArray());
const prefixesOut = (p: Prefix, addPath: boolean) => (addPath ? p : p.prefix);

describe.each([4096, 65535])('packAnnouncements at max %i', (max) => {
  describe.each(ANNOUNCE)('$name', (c) => {
    const list = NlriList.from(afiOf(c.family), c.prefixes, c.addPath);
    const packed = packAnnouncements(MP_OR_CLASSIC(c), list, c.family, ctxFor(c), max, c.mp);
    const msgs = packed.messages;

    it('reports where the next hop is in every UPDATE (RFC 4271 §5.1.3, RFC 4760 §3)', () => {
      // Classic: after ORIGIN (4) and AS_PATH (13), the NEXT_HOP header (3). MP: MP_REACH_NLRI goes
      // first (RFC 7606 §5.1), its next hop after the 4-octet header, AFI, SAFI and length.
      const at = c.mp ? UPDATE_FIXED + 4 + 2 + 1 + 1 : UPDATE_FIXED + 4 + 13 + 3;
      expect(packed.nextHopOffset).toBe(at);
      const nh = c.mp ? ipv6ToBytes(c.mp.nextHop) : ipv4ToBytes(ATTRS.nextHop!);
      for (const m of msgs) expect(m.subarray(at, at + nh.length)).toEqual(nh);
    });

    it('uses the fewest UPDATEs the budget allows, never one per prefix', () => {
      const budget = max - c.fixed;
      const e = entrySize(c.bits, c.addPath);
      expect(msgs.length).toBe(Math.ceil(N / Math.floor(budget / e)));
      expect(msgs.length).toBeGreaterThanOrEqual(Math.ceil((N * e) / budget));
      expect(msgs.length).toBeLessThan(N / 100);
      // Every UPDATE but the last is full: one more entry would pass the limit.
      for (const m of msgs.slice(0, -1)) expect(m.length + e).toBeGreaterThan(max);
      for (const m of msgs) expect(m.length).toBeLessThanOrEqual(max);
    });

    it('decodes to exactly the input prefixes, in order, with the same attributes', () => {
      const updates = decodeAll(msgs, c);
      const want = c.prefixes.map((p) => asPrefix(p, c.addPath));
      if (c.mp) {
        expect(flat(updates.map((u) => u.mpReach!.nlri)).map((p) => prefixesOut(p, c.addPath))).toEqual(want);
        for (const u of updates) {
          expect(u.nlri.count + u.withdrawn.count).toBe(0);
          expect(attributesToJson(u.attributes!)).toEqual(attributesToJson(MP_ATTRS));
          expect(u.mpReach).toMatchObject({ family: c.family, ...c.mp });
          expect(u.mpReach!.linkLocalNextHop).toBe(c.mp.linkLocalNextHop);
        }
      } else {
        expect(flat(updates.map((u) => u.nlri)).map((p) => prefixesOut(p, c.addPath))).toEqual(want);
        for (const u of updates) {
          expect(u.mpReach).toBeUndefined();
          expect(attributesToJson(u.attributes!)).toEqual(attributesToJson(ATTRS));
        }
      }
    });
  });
});

function MP_OR_CLASSIC(c: PackCase): PathAttributes {
  return c.mp ? MP_ATTRS : ATTRS;
}

describe.each([4096, 65535])('packWithdrawals at max %i', (max) => {
  const WITHDRAW: PackCase[] = [
    {
      name: '/24s classic',
      family: IPV4_UNICAST,
      prefixes: v4(24),
      bits: 24,
      addPath: false,
      fixed: UPDATE_FIXED,
    },
    {
      name: '/32s, ADD-PATH',
      family: IPV4_UNICAST,
      prefixes: withIds(v4(32)),
      bits: 32,
      addPath: true,
      fixed: UPDATE_FIXED,
    },
    // MP_UNREACH_NLRI with extended length: 4 octets of header, AFI 2, SAFI 1.
    {
      name: 'IPv6 /64s in MP_UNREACH',
      family: IPV6_UNICAST,
      prefixes: v6,
      bits: 64,
      addPath: false,
      fixed: UPDATE_FIXED + 4 + 3,
    },
    {
      name: 'IPv6 /64s in MP_UNREACH, ADD-PATH',
      family: IPV6_UNICAST,
      prefixes: withIds(v6),
      bits: 64,
      addPath: true,
      fixed: UPDATE_FIXED + 4 + 3,
    },
  ];

  it.each(WITHDRAW)('$name: fewest UPDATEs, all prefixes back in order', (c) => {
    const msgs = packWithdrawals(
      NlriList.from(afiOf(c.family), c.prefixes, c.addPath),
      c.family,
      ctxFor(c),
      max,
    );
    const e = entrySize(c.bits, c.addPath);
    expect(msgs.length).toBe(Math.ceil(N / Math.floor((max - c.fixed) / e)));
    expect(msgs.length).toBeLessThan(N / 100);
    for (const m of msgs.slice(0, -1)) expect(m.length + e).toBeGreaterThan(max);
    for (const m of msgs) expect(m.length).toBeLessThanOrEqual(max);
    const updates = decodeAll(msgs, c);
    const lists = updates.map((u) => (c.family === IPV4_UNICAST ? u.withdrawn : u.mpUnreach!.withdrawn));
    expect(flat(lists).map((p) => prefixesOut(p, c.addPath))).toEqual(
      c.prefixes.map((p) => asPrefix(p, c.addPath)),
    );
    for (const u of updates) expect(u.nlri.count + (u.mpReach ? 1 : 0)).toBe(0);
  });
});

describe('packing mixed prefix lengths', () => {
  const prefix = fc
    .tuple(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 0xffffffff }))
    .map(([len, addr]) => {
      const masked = len === 0 ? 0 : (addr & (~0 << (32 - len))) >>> 0;
      return `${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${len}`;
    });

  it('greedy fill: each UPDATE but the last is full, all prefixes back in order (small limits)', () => {
    fc.assert(
      fc.property(
        fc.array(prefix, { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 80, max: 600 }),
        (ps, max) => {
          const list = NlriList.from(Afi.IPV4, ps);
          const msgs = packAnnouncements(ATTRS, list, IPV4_UNICAST, context(), max).messages;
          const sizes = ps.map((p) => entrySize(Number(p.split('/')[1]), false));
          let i = 0;
          for (const [k, m] of msgs.entries()) {
            expect(m.length).toBeLessThanOrEqual(max);
            const u = decodeAll([m], { family: IPV4_UNICAST, addPath: false })[0];
            i += u.nlri.count;
            if (k < msgs.length - 1) expect(m.length + sizes[i]).toBeGreaterThan(max);
          }
          expect(i).toBe(ps.length);
          const back = decodeAll(msgs, { family: IPV4_UNICAST, addPath: false }).flatMap((u) =>
            u.nlri.toArray(),
          );
          expect(back.map((p) => p.prefix)).toEqual(ps);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('nothing to pack gives no UPDATE', () => {
    expect(
      packAnnouncements(ATTRS, NlriList.empty(Afi.IPV4), IPV4_UNICAST, context(), 4096).messages,
    ).toEqual([]);
    expect(packWithdrawals(NlriList.empty(Afi.IPV6), IPV6_UNICAST, context(), 4096)).toEqual([]);
  });
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('packEncoded: attributes encoded before (an attribute set keyed by its octets)', () => {
  const longPath = { type: 2, asns: Array.from({ length: 70 }, (_, i) => 64512 + i) }; // 283 octets: extended length
  it.each<[string, PathAttributes]>([
    ['the usual attributes', ATTRS],
    ['NEXT_HOP after an extended-length AS_PATH', { ...ATTRS, asPath: [longPath] }],
    ['no NEXT_HOP', { origin: 0, asPath: [] }],
  ])('%s: the same UPDATEs and next-hop offset as packAnnouncements', (_, attrs) => {
    const ctx = context();
    const nlri = NlriList.from(Afi.IPV4, v4(24).slice(0, 2000));
    const want = packAnnouncements(attrs, nlri, IPV4_UNICAST, ctx, 4096);
    const octets = encodeAttributes(attrs, ctx).after;
    const got = packEncoded(encodedOctets(octets), nlri, IPV4_UNICAST, ctx, 4096);
    expect(got.messages.length).toBeGreaterThan(1);
    expect(got.messages.map(hex)).toEqual(want.messages.map(hex));
    expect(got.nextHopOffset).toBe(want.nextHopOffset);
    if (attrs.nextHop)
      expect([...want.messages[0].subarray(want.nextHopOffset, want.nextHopOffset + 4)]).toEqual([
        10, 0, 0, 1,
      ]);
    else expect(got.nextHopOffset).toBe(-1);
  });
});
