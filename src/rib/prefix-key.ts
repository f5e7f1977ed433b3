/**
 * Cheap prefix identities for RIB tables: an IPv4 prefix is one number (address × 64 + length,
 * exact in a double); an IPv6 prefix a short string. Both convert to NLRI wire bytes for packing.
 */
import { formatPrefix, parsePrefix } from '../util/ip.js';

export type PrefixKey = number | string;

/** Key from NLRI wire bytes (`off` at the first address octet); trailing bits ignored (RFC 4271 §4.3). */
export function keyFromWire(family: 4 | 6, b: Uint8Array, off: number, len: number): PrefixKey {
  const n = (len + 7) >> 3;
  const mask = (0xff00 >> (len - 8 * (n - 1))) & 0xff; // the last octet's prefix bits
  if (family === 4) {
    let v = 0;
    for (let i = 0; i < 4; i++) v = v * 256 + (i < n - 1 ? b[off + i] : i === n - 1 ? b[off + i] & mask : 0);
    return v * 64 + len;
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
  return typeof key === 'number' ? key % 64 : Number(key.slice(key.indexOf('/') + 1));
}

/** Writes the NLRI entry (length octet + prefix octets) at `out[pos]`; returns the new position. */
export function writeKey(key: PrefixKey, out: Uint8Array, pos: number): number {
  const len = keyLength(key);
  const n = (len + 7) >> 3;
  out[pos++] = len;
  if (typeof key === 'number') {
    const addr = Math.floor(key / 64);
    for (let i = 0; i < n; i++) out[pos++] = Math.floor(addr / 2 ** (24 - 8 * i)) & 255;
    return pos;
  }
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
