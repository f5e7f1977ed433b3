/**
 * Cheap prefix identities for RIB tables. An IPv4 prefix up to /24 is a small integer, V8's unboxed
 * Smi (the top 24 address bits × 32 + length < 2^29: no heap number per key, cheap hashing); /25 to
 * /32 are numbers from 2^29 up (address × 8 + length − 25). An IPv6 prefix is a short string. All
 * convert to NLRI wire bytes for packing.
 */
import { formatPrefix, parsePrefix } from '../util/ip.js';

export type PrefixKey = number | string;

/** First IPv4 key of a prefix longer than /24. */
const LONG = 2 ** 29;

/** Key from NLRI wire bytes (`off` at the first address octet); trailing bits ignored (RFC 4271 §4.3). */
export function keyFromWire(family: 4 | 6, b: Uint8Array, off: number, len: number): PrefixKey {
  const n = (len + 7) >> 3;
  const mask = (0xff00 >> (len - 8 * (n - 1))) & 0xff; // the last octet's prefix bits
  if (family === 4) {
    if (len <= 24) {
      let a = 0;
      for (let i = 0; i < 3; i++)
        a = (a << 8) | (i < n - 1 ? b[off + i] : i === n - 1 ? b[off + i] & mask : 0);
      return (a << 5) | len;
    }
    const a = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | (b[off + 3] & mask)) >>> 0;
    return LONG + a * 8 + (len - 25);
  }
  let s = '';
  for (let i = 0; i < n; i++) {
    const x = i < n - 1 ? b[off + i] : b[off + i] & mask;
    s += (x < 16 ? '0' : '') + x.toString(16);
  }
  return `${s}/${len}`;
}

export function keyFromText(text: string): { family: 4 | 6; key: PrefixKey } | null {
  const p = parsePrefix(text, true);
  if (!p) return null;
  return { family: p.family, key: keyFromWire(p.family, p.bytes, 0, p.length) };
}

export function keyLength(key: PrefixKey): number {
  if (typeof key === 'number') return key < LONG ? key & 31 : 25 + ((key - LONG) % 8);
  return Number(key.slice(key.indexOf('/') + 1));
}

/** Writes the NLRI entry (length octet + prefix octets) at `out[pos]`; returns the new position. */
export function writeKey(key: PrefixKey, out: Uint8Array, pos: number): number {
  if (typeof key === 'number') {
    if (key < LONG) {
      const len = key & 31;
      const a = key >>> 5;
      out[pos++] = len;
      if (len > 0) out[pos++] = a >>> 16;
      if (len > 8) out[pos++] = (a >>> 8) & 255;
      if (len > 16) out[pos++] = a & 255;
      return pos;
    }
    const v = key - LONG;
    const a = Math.floor(v / 8);
    out[pos++] = 25 + (v % 8);
    out[pos++] = a >>> 24;
    out[pos++] = (a >>> 16) & 255;
    out[pos++] = (a >>> 8) & 255;
    out[pos++] = a & 255;
    return pos;
  }
  const len = keyLength(key);
  const n = (len + 7) >> 3;
  out[pos++] = len;
  for (let i = 0; i < n; i++) out[pos++] = Number.parseInt(key.slice(2 * i, 2 * i + 2), 16);
  return pos;
}

export function keyToText(family: 4 | 6, key: PrefixKey): string {
  const bytes = new Uint8Array(17);
  writeKey(key, bytes, 0);
  const addr = new Uint8Array(family === 4 ? 4 : 16);
  addr.set(bytes.subarray(1, 1 + ((bytes[0] + 7) >> 3)));
  return formatPrefix(family, addr, bytes[0]);
}
