import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PrefixRange, PrefixSet, parsePrefixRange } from '../../../src/policy/index.js';
import { formatPrefix, maskBytes, parsePrefix } from '../../../src/util/ip.js';

const range = (text: string): PrefixRange => {
  const r = parsePrefixRange(text);
  if (typeof r === 'string') throw new Error(r);
  return r;
};
const setOf = (...texts: string[]) => PrefixSet.from(texts.map(range));
const has = (set: PrefixSet, prefix: string) => {
  const p = parsePrefix(prefix)!;
  return set.has(p.family, p.bytes, p.length);
};

describe('prefix-list ge/le edges', () => {
  it('IPv4 exact: only the prefix itself', () => {
    const s = setOf('10.0.0.0/8');
    expect(has(s, '10.0.0.0/8')).toBe(true);
    expect(has(s, '10.0.0.0/9')).toBe(false);
    expect(has(s, '10.0.0.0/7')).toBe(false);
    expect(has(s, '11.0.0.0/8')).toBe(false);
  });

  it('IPv4 ge/le bounds are inclusive', () => {
    const s = setOf('10.0.0.0/8 ge 16 le 24');
    expect(has(s, '10.0.0.0/8')).toBe(false);
    expect(has(s, '10.0.0.0/15')).toBe(false);
    expect(has(s, '10.0.0.0/16')).toBe(true);
    expect(has(s, '10.255.255.0/24')).toBe(true);
    expect(has(s, '10.255.255.0/25')).toBe(false);
    expect(has(s, '11.0.0.0/16')).toBe(false);
  });

  it('IPv4 le 32 reaches host routes; 0.0.0.0/0 alone is only the default route', () => {
    const s = setOf('10.0.0.0/8 le 32');
    expect(has(s, '10.1.2.3/32')).toBe(true);
    expect(has(s, '11.1.2.3/32')).toBe(false);
    const def = setOf('0.0.0.0/0');
    expect(has(def, '0.0.0.0/0')).toBe(true);
    expect(has(def, '10.0.0.0/8')).toBe(false);
    const any = setOf('0.0.0.0/0 le 32');
    expect(has(any, '255.255.255.255/32')).toBe(true);
    expect(has(any, '0.0.0.0/0')).toBe(true);
    expect(has(any, '::/0')).toBe(false);
    const hosts = setOf('0.0.0.0/0 ge 32');
    expect(has(hosts, '1.2.3.4/32')).toBe(true);
    expect(has(hosts, '1.2.3.0/31')).toBe(false);
  });

  it('IPv6: ge/le bounds, /128 and ::/0', () => {
    const s = setOf('fd00::/8 ge 48 le 64');
    expect(has(s, 'fd12:3456::/48')).toBe(true);
    expect(has(s, 'fd12:3456:789a:1::/64')).toBe(true);
    expect(has(s, 'fd12:3456::/47')).toBe(false);
    expect(has(s, 'fd12:3456:789a:1::/65')).toBe(false);
    expect(has(s, 'fc12:3456::/48')).toBe(false);
    const host = setOf('2001:db8::1/128');
    expect(has(host, '2001:db8::1/128')).toBe(true);
    expect(has(host, '2001:db8::2/128')).toBe(false);
    expect(has(host, '2001:db8::/127')).toBe(false);
    const all = setOf('::/0 le 128');
    expect(has(all, '2001:db8::1/128')).toBe(true);
    expect(has(all, '10.0.0.0/8')).toBe(false);
    const v6Default = setOf('::/0');
    expect(has(v6Default, '::/0')).toBe(true);
    expect(has(v6Default, '::/1')).toBe(false);
  });

  it('lengths 31/32 and 127/128 straddle the bitset words', () => {
    const v4 = setOf('10.0.0.0/30 ge 31 le 31');
    expect(has(v4, '10.0.0.2/31')).toBe(true);
    expect(has(v4, '10.0.0.2/32')).toBe(false);
    const v6 = setOf('fd00::/64 ge 96 le 96', 'fd00::/64 ge 127 le 127');
    expect(has(v6, 'fd00::/96')).toBe(true);
    expect(has(v6, 'fd00::/95')).toBe(false);
    expect(has(v6, 'fd00::/97')).toBe(false);
    expect(has(v6, 'fd00::/127')).toBe(true);
    expect(has(v6, 'fd00::/128')).toBe(false);
  });

  it('overlapping entries combine; a shorter entry does not hide a longer one', () => {
    const s = setOf('10.0.0.0/8', '10.1.0.0/16 le 24');
    expect(has(s, '10.0.0.0/8')).toBe(true);
    expect(has(s, '10.1.2.0/24')).toBe(true);
    expect(has(s, '10.2.0.0/16')).toBe(false);
    expect(s.size).toBe(2);
  });

  it('accepts the wire form (ceil(length/8) bytes)', () => {
    const s = setOf('10.0.0.0/8 le 24');
    expect(s.has(4, Uint8Array.of(10, 1, 2), 24)).toBe(true);
    expect(s.has(4, Uint8Array.of(10), 8)).toBe(true);
    expect(s.has(4, new Uint8Array(0), 0)).toBe(false);
    expect(setOf('0.0.0.0/0').has(4, new Uint8Array(0), 0)).toBe(true);
  });

  it('matches a brute-force check on random lists and routes (IPv4 and IPv6)', () => {
    // Bytes from a small alphabet so random routes often fall inside random entries.
    const prefixArb = (family: 4 | 6) =>
      fc
        .tuple(
          fc.array(fc.constantFrom(0, 0x0f, 0x80, 0xff), {
            minLength: family === 4 ? 4 : 16,
            maxLength: family === 4 ? 4 : 16,
          }),
          fc.integer({ min: 0, max: family === 4 ? 32 : 128 }),
        )
        .map(([raw, length]) => ({ family, bytes: maskBytes(Uint8Array.from(raw), length), length }));
    const entryArb = (family: 4 | 6) =>
      fc
        .tuple(prefixArb(family), fc.nat(family === 4 ? 32 : 128), fc.nat(family === 4 ? 32 : 128))
        .map(([p, a, b]) => {
          const max = family === 4 ? 32 : 128;
          const ge = p.length + (a % (max - p.length + 1));
          const le = ge + (b % (max - ge + 1));
          return { prefix: formatPrefix(family, p.bytes, p.length), ge, le };
        });
    const covers = (e: PrefixRange, fam: 4 | 6, bytes: Uint8Array, length: number) => {
      const p = parsePrefix(e.prefix)!;
      if (p.family !== fam || length < e.ge || length > e.le) return false;
      const a = maskBytes(bytes, p.length);
      return a.every((x, i) => x === p.bytes[i]);
    };
    const seen = { hit: 0, miss: 0 };
    for (const family of [4, 6] as const) {
      fc.assert(
        fc.property(
          fc.array(entryArb(family), { maxLength: 30 }),
          fc.array(prefixArb(family), { maxLength: 30 }),
          (entries, routes) => {
            const set = PrefixSet.from(entries);
            for (const r of routes) {
              const expected = entries.some((e) => covers(e, family, r.bytes, r.length));
              seen[expected ? 'hit' : 'miss']++;
              if (set.has(family, r.bytes, r.length) !== expected) return false;
            }
            return true;
          },
        ),
        { numRuns: 300 },
      );
    }
    expect(seen.hit).toBeGreaterThan(100);
    expect(seen.miss).toBeGreaterThan(100);
  });
});
