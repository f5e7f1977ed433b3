/**
 * PrefixTable behaves as a Map of prefix keys: random sets and deletes (IPv4 keys short and long,
 * IPv6 strings) agree with a Map at every step, probes stay intact across backward-shift deletes and
 * index growth, freed slots are reused, and iteration survives changes made between its steps.
 */
import { describe, expect, test } from 'vitest';
import { keyFromText, type PrefixKey } from '../../../src/rib/prefix-key.js';
import { PrefixTable } from '../../../src/rib/prefix-table.js';

const k = (text: string): PrefixKey => keyFromText(text)!.key;

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('PrefixTable', () => {
  test('agrees with a Map over random sets and deletes', () => {
    const r = rng(7);
    const pool: PrefixKey[] = [];
    for (let i = 0; i < 300; i++) pool.push(k(`10.${i >> 8}.${i & 255}.0/24`));
    for (let i = 0; i < 100; i++) pool.push(k(`192.0.${i}.${i}/32`), k(`255.255.${i}.128/25`));
    for (let i = 0; i < 50; i++) pool.push(k(`2001:db8:${i.toString(16)}::/48`));
    pool.push(k('0.0.0.0/0'));
    const t = new PrefixTable<number>();
    const m = new Map<PrefixKey, number>();
    for (let step = 0; step < 20000; step++) {
      const key = pool[Math.floor(r() * pool.length)];
      if (r() < 0.55) {
        t.set(key, step);
        m.set(key, step);
      } else expect(t.delete(key)).toBe(m.delete(key));
      if (step % 500 === 0) {
        expect(t.size).toBe(m.size);
        for (const key of pool) {
          expect(t.get(key)).toBe(m.get(key));
          expect(t.has(key)).toBe(m.has(key));
        }
        expect(new Map(t)).toEqual(m);
      }
    }
    expect(new Map(t.entries())).toEqual(m);
    expect(new Set(t.keys())).toEqual(new Set(m.keys()));
    expect([...t.values()].sort()).toEqual([...m.values()].sort());
  });

  test('keys of one probe run stay reachable as the index grows and entries leave', () => {
    const t = new PrefixTable<string>();
    const keys = Array.from({ length: 5000 }, (_, i) => k(`16.${i >> 8}.${i & 255}.0/24`));
    for (const key of keys) t.set(key, String(key));
    for (let i = 0; i < keys.length; i += 3) t.delete(keys[i]);
    for (let i = 0; i < keys.length; i++)
      expect(t.get(keys[i])).toBe(i % 3 === 0 ? undefined : String(keys[i]));
    expect(t.size).toBe(keys.length - Math.ceil(keys.length / 3));
  });

  test('a freed slot is reused: iteration order follows the slots', () => {
    const t = new PrefixTable<string>();
    const [a, b, c, d] = ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'].map(k);
    t.set(a, 'a').set(b, 'b').set(c, 'c');
    t.delete(b);
    t.set(d, 'd');
    expect([...t.values()]).toEqual(['a', 'd', 'c']);
  });

  test('an iterator goes on over changes made between its steps', () => {
    const t = new PrefixTable<number>();
    const keys = Array.from({ length: 100 }, (_, i) => k(`10.1.${i}.0/24`));
    for (const [i, key] of keys.entries()) t.set(key, i);
    const it = t.values();
    const seen: number[] = [];
    for (let n = 0; n < 10; n++) seen.push(it.next().value as number);
    t.delete(keys[50]); // not yet visited: skipped
    t.delete(keys[5]); // visited
    t.set(k('10.2.0.0/24'), 1000); // takes a freed slot
    for (let r = it.next(); !r.done; r = it.next()) seen.push(r.value);
    expect(seen).not.toContain(50);
    expect(seen.filter((v) => v === 5)).toHaveLength(1);
    expect(seen).toHaveLength(99);
  });

  test('clear empties both kinds of keys', () => {
    const t = new PrefixTable<number>();
    t.set(k('10.0.0.0/8'), 1).set(k('2001:db8::/32'), 2);
    t.clear();
    expect(t.size).toBe(0);
    expect([...t]).toEqual([]);
    t.set(k('10.0.0.0/8'), 3);
    expect(t.get(k('10.0.0.0/8'))).toBe(3);
  });
});
