/**
 * A set of prefix ranges (prefix + ge..le) per family as a binary trie over the prefix bits; each
 * node keeps a bitset of the route lengths it admits. A lookup walks at most `length` bits, so a
 * 100- or 10,000-entry prefix list costs the same ≤ 32 (IPv4) or ≤ 128 (IPv6) steps.
 */
import { parsePrefix } from '../util/ip.js';
import type { PrefixRange } from './values.js';

interface TrieNode {
  zero: TrieNode | null;
  one: TrieNode | null;
  /** Bit n set = a route of length n under this node's prefix is in the set. */
  lengths: Uint32Array | null;
}

const node = (): TrieNode => ({ zero: null, one: null, lengths: null });
const bitAt = (bytes: Uint8Array, i: number) => (bytes[i >> 3] >> (7 - (i & 7))) & 1;

export class PrefixSet {
  private readonly v4: TrieNode = node();
  private readonly v6: TrieNode = node();
  private count = 0;

  /** Ranges are validated (schema.ts); an unparsable one throws. */
  static from(ranges: Iterable<PrefixRange>): PrefixSet {
    const set = new PrefixSet();
    for (const r of ranges) set.add(r);
    return set;
  }

  get size(): number {
    return this.count;
  }

  private add(r: PrefixRange): void {
    const p = parsePrefix(r.prefix);
    if (!p) throw new RangeError(`not a prefix: ${r.prefix}`);
    let n = p.family === 4 ? this.v4 : this.v6;
    for (let i = 0; i < p.length; i++) {
      if (bitAt(p.bytes, i)) n = n.one ??= node();
      else n = n.zero ??= node();
    }
    n.lengths ??= new Uint32Array(p.family === 4 ? 2 : 5);
    for (let len = r.ge; len <= r.le; len++) n.lengths[len >>> 5] |= 1 << (len & 31);
    this.count++;
  }

  /**
   * True when the route `bytes`/`length` falls in a range. `bytes` may be the wire form
   * (ceil(length/8) bytes): only the first `length` bits are read.
   */
  has(family: 4 | 6, bytes: Uint8Array, length: number): boolean {
    let n: TrieNode | null = family === 4 ? this.v4 : this.v6;
    const word = length >>> 5;
    const bit = 1 << (length & 31);
    for (let depth = 0; n !== null; depth++) {
      if (n.lengths !== null && (n.lengths[word] & bit) !== 0) return true;
      if (depth === length) return false;
      n = bitAt(bytes, depth) ? n.one : n.zero;
    }
    return false;
  }
}
