/**
 * Prefix keys: round trips between NLRI wire bytes (RFC 4271 §4.3 length + prefix octets), text
 * and keys for every IPv4 (/0 … /32) and IPv6 (/0 … /128) length. Expected wire bytes are built
 * here by masking by hand, not by the module; trailing bits on the wire do not matter (§4.3).
 */
import { describe, expect, test } from 'vitest';
import { keyFromText, keyFromWire, keyLength, keyToText, writeKey } from '../../../src/rib/prefix-key.js';

/** [length, ...ceil(length/8) octets of `addr` with the bits past `length` cleared]. */
function nlri(addr: readonly number[], length: number): number[] {
  const out = [length];
  for (let i = 0; i < (length + 7) >> 3; i++) {
    const bits = Math.min(8, length - 8 * i);
    out.push(addr[i] & ((0xff << (8 - bits)) & 0xff));
  }
  return out;
}

const V4 = [203, 0, 113, 255];
const V6 = [0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0xff, 0xff];

const v4Text = (b: readonly number[]) => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;

describe.each([
  { family: 4 as const, addr: V4, max: 32 },
  { family: 6 as const, addr: V6, max: 128 },
])('IPv$family', ({ family, addr, max }) => {
  const lengths = Array.from({ length: max + 1 }, (_, i) => i);

  test.each(lengths)('/%i: text → key → wire → key → text', (len) => {
    const wire = nlri(addr, len);
    const padded = [...wire.slice(1), ...new Array(addr.length).fill(0)].slice(0, addr.length);
    const text =
      family === 4
        ? `${v4Text(padded)}/${len}`
        : `${Buffer.from(padded)
            .toString('hex')
            .replace(/(.{4})(?!$)/g, '$1:')}/${len}`;
    const parsed = keyFromText(text)!;
    expect(parsed.family).toBe(family);
    const key = parsed.key;
    expect(typeof key).toBe(family === 4 ? 'number' : 'string');
    expect(keyLength(key)).toBe(len);

    const out = new Uint8Array(20).fill(0xee);
    expect(writeKey(key, out, 2)).toBe(2 + wire.length);
    expect([...out.subarray(2, 2 + wire.length)]).toEqual(wire);
    expect(out[2 + wire.length]).toBe(0xee);

    expect(keyFromWire(family, Uint8Array.from(wire), 1, len)).toBe(key);
    expect(keyFromText(keyToText(family, key))?.key).toBe(key);
    if (family === 4) expect(keyToText(family, key)).toBe(text);
  });

  test('host bits in text are cleared; each length is its own key', () => {
    const full =
      family === 4
        ? `${v4Text(addr)}`
        : Buffer.from(addr)
            .toString('hex')
            .replace(/(.{4})(?!$)/g, '$1:');
    const keys = lengths.map((len) => keyFromText(`${full}/${len}`)!.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const [len, key] of keys.entries())
      expect(keyFromWire(family, Uint8Array.from(nlri(addr, len)), 1, len)).toBe(key);
  });

  test('trailing bits after the prefix on the wire are irrelevant (RFC 4271 §4.3)', () => {
    for (const len of lengths.filter((l) => l % 8 !== 0)) {
      const n = (len + 7) >> 3;
      const dirty = Uint8Array.from([len, ...addr.slice(0, n)]);
      const clean = Uint8Array.from(nlri(addr, len));
      expect(keyFromWire(family, dirty, 1, len)).toBe(keyFromWire(family, clean, 1, len));
    }
  });
});

describe('IPv4 key range', () => {
  test('prefixes up to /24 are small integers (V8 Smis, < 2^29); longer ones never collide with them', () => {
    const top = keyFromText('255.255.255.0/24')!.key as number;
    expect(Number.isInteger(top) && top < 2 ** 29).toBe(true);
    const long = ['0.0.0.0/25', '255.255.255.255/32', '10.1.2.128/25'].map(
      (t) => keyFromText(t)!.key as number,
    );
    for (const k of long) expect(k).toBeGreaterThanOrEqual(2 ** 29);
    expect(keyToText(4, long[1])).toBe('255.255.255.255/32');
  });
});

describe('text', () => {
  test('IPv6 keys print in RFC 5952 form', () => {
    expect(keyToText(6, keyFromText('2001:DB8:0:0::/64')!.key)).toBe('2001:db8::/64');
    expect(keyToText(6, keyFromText('::/0')!.key)).toBe('::/0');
    expect(keyToText(4, keyFromText('0.0.0.0/0')!.key)).toBe('0.0.0.0/0');
  });

  test.each(['10.0.0.0', '10.0.0.0/33', '2001:db8::/129', 'x/8', '10.0.0/8', ''])(
    '%j is not a prefix',
    (t) => {
      expect(keyFromText(t)).toBeNull();
    },
  );
});
