/**
 * Longest-prefix match over IPv4 and IPv6 (pure): one hash map per prefix length, probed from the
 * longest length present down. Kernel tables beside BGP are small (connected + static routes), so
 * this beats a trie on simplicity and is fast enough; keys are exact, so no false matches.
 */
import { maskBytes, parseIPv4, parseIPv6, parsePrefix } from '../util/ip.js';

export interface LpmMatch<T> {
  /** Matched prefix length. */
  readonly length: number;
  readonly value: T;
}

export class PrefixTable<T> {
  private readonly byLength4 = new Map<number, Map<number, T>>();
  private readonly byLength6 = new Map<number, Map<string, T>>();
  private lengths4: number[] = [];
  private lengths6: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Inserts or overwrites; returns false when the prefix is malformed (host bits are masked). */
  set(prefix: string, value: T): boolean {
    const p = parsePrefix(prefix, true);
    if (!p) return false;
    if (p.family === 4) {
      let m = this.byLength4.get(p.length);
      if (!m) {
        m = new Map();
        this.byLength4.set(p.length, m);
        this.lengths4 = [...this.byLength4.keys()].sort((a, b) => b - a);
      }
      const key = bytesToV4(p.bytes);
      if (!m.has(key)) this.count++;
      m.set(key, value);
    } else {
      let m = this.byLength6.get(p.length);
      if (!m) {
        m = new Map();
        this.byLength6.set(p.length, m);
        this.lengths6 = [...this.byLength6.keys()].sort((a, b) => b - a);
      }
      const key = v6Key(p.bytes, p.length);
      if (!m.has(key)) this.count++;
      m.set(key, value);
    }
    return true;
  }

  /** The exact entry for a prefix, if any. */
  get(prefix: string): T | undefined {
    const p = parsePrefix(prefix, true);
    if (!p) return undefined;
    if (p.family === 4) return this.byLength4.get(p.length)?.get(bytesToV4(p.bytes));
    return this.byLength6.get(p.length)?.get(v6Key(p.bytes, p.length));
  }

  /** Longest prefix containing `address` (IPv4 or IPv6 text), or undefined. */
  lookup(address: string): LpmMatch<T> | undefined {
    const v4 = parseIPv4(address);
    if (v4 >= 0) {
      for (const len of this.lengths4) {
        const key = len === 0 ? 0 : (v4 & (~0 << (32 - len))) >>> 0;
        const value = this.byLength4.get(len)?.get(key);
        if (value !== undefined) return { length: len, value };
      }
      return undefined;
    }
    const v6 = parseIPv6(address);
    if (!v6) return undefined;
    for (const len of this.lengths6) {
      const value = this.byLength6.get(len)?.get(v6Key(maskBytes(v6, len), len));
      if (value !== undefined) return { length: len, value };
    }
    return undefined;
  }
}

function bytesToV4(b: Uint8Array): number {
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

/** Hex of the bytes that hold the prefix bits (the rest are zero after masking). */
function v6Key(b: Uint8Array, length: number): string {
  return Buffer.from(b.buffer, b.byteOffset, Math.ceil(length / 8)).toString('hex');
}
