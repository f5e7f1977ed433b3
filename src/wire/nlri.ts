/**
 * NLRI lists kept in wire form (RFC 4271 §4.3 length + prefix, RFC 7911 §3 path id first).
 * A full table is one Uint8Array per UPDATE, not one object per prefix: decoding validates,
 * canonicalises host bits and counts; callers walk entries with forEach() or read them out.
 */

import { formatPrefix, parsePrefix } from '../util/ip.js';
import { Afi } from './constants.js';

export interface Prefix {
  /** "10.0.0.0/24" or "fd00::/64" */
  readonly prefix: string;
  /** RFC 7911 path identifier, present only when ADD-PATH applies to this list. */
  readonly pathId?: number;
}

export type NlriVisitor = (bytes: Uint8Array, offset: number, length: number, pathId: number) => void;

const maxBits = (afi: number): number => (afi === Afi.IPV6 ? 128 : 32);

export class NlriList {
  private constructor(
    /** Afi.IPV4 or Afi.IPV6 */
    readonly afi: number,
    readonly addPath: boolean,
    /** Canonical wire bytes of all entries. */
    readonly bytes: Uint8Array,
    readonly count: number,
  ) {}

  static empty(afi: number, addPath = false): NlriList {
    return new NlriList(afi, addPath, new Uint8Array(0), 0);
  }

  /**
   * Validates and copies buf[start, end). Returns null when an entry's length is impossible
   * for the family or runs past the end (the caller picks the RFC 7606 consequence).
   */
  static decode(buf: Uint8Array, start: number, end: number, afi: number, addPath: boolean): NlriList | null {
    const limit = maxBits(afi);
    const bytes = buf.slice(start, end);
    const n = bytes.length;
    let p = 0;
    let count = 0;
    while (p < n) {
      if (addPath) p += 4;
      if (p >= n) return null;
      const len = bytes[p++];
      if (len > limit) return null;
      const octets = (len + 7) >> 3;
      if (p + octets > n) return null;
      // Host bits past the length are ignored (RFC 4271 §4.3 "trailing bits"): clear them.
      if (len & 7) bytes[p + octets - 1] &= (0xff00 >> (len & 7)) & 0xff;
      p += octets;
      count++;
    }
    return new NlriList(afi, addPath, bytes, count);
  }

  /** Builds a list from text prefixes; throws RangeError on a malformed prefix (programmer input). */
  static from(afi: number, entries: ReadonlyArray<string | Prefix>, addPath = false): NlriList {
    const parts: number[] = [];
    for (const e of entries) {
      const text = typeof e === 'string' ? e : e.prefix;
      const p = parsePrefix(text);
      if (!p || (p.family === 4) !== (afi === Afi.IPV4))
        throw new RangeError(`bad prefix for afi ${afi}: ${text}`);
      if (addPath) {
        const id = (typeof e === 'string' ? 0 : (e.pathId ?? 0)) >>> 0;
        parts.push(id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255);
      }
      parts.push(p.length);
      for (let i = 0; i < (p.length + 7) >> 3; i++) parts.push(p.bytes[i]);
    }
    return new NlriList(afi, addPath, Uint8Array.from(parts), entries.length);
  }

  /** Wraps already-canonical wire bytes holding `count` entries (used by the packer). */
  static fromCanonical(afi: number, addPath: boolean, bytes: Uint8Array, count: number): NlriList {
    return new NlriList(afi, addPath, bytes, count);
  }

  get byteLength(): number {
    return this.bytes.length;
  }

  /** Calls visit(bytes, offsetOfFirstPrefixOctet, prefixLength, pathId) for each entry. */
  forEach(visit: NlriVisitor): void {
    const b = this.bytes;
    let p = 0;
    while (p < b.length) {
      let id = 0;
      if (this.addPath) {
        id = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
        p += 4;
      }
      const len = b[p++];
      visit(b, p, len, id);
      p += (len + 7) >> 3;
    }
  }

  toArray(): Prefix[] {
    const out: Prefix[] = [];
    const size = this.afi === Afi.IPV6 ? 16 : 4;
    const scratch = new Uint8Array(size);
    this.forEach((b, off, len, id) => {
      scratch.fill(0);
      scratch.set(b.subarray(off, off + ((len + 7) >> 3)));
      const prefix = formatPrefix(size === 4 ? 4 : 6, scratch, len);
      out.push(this.addPath ? { prefix, pathId: id } : { prefix });
    });
    return out;
  }

  /** The same prefixes encoded with or without path ids (RFC 7911), using `pathId` when adding them. */
  withAddPath(addPath: boolean, pathId = 0): NlriList {
    if (addPath === this.addPath) return this;
    const out = new Uint8Array(this.bytes.length + (addPath ? 4 : -4) * this.count);
    let q = 0;
    this.forEach((b, off, len) => {
      if (addPath) {
        out[q++] = pathId >>> 24;
        out[q++] = (pathId >>> 16) & 255;
        out[q++] = (pathId >>> 8) & 255;
        out[q++] = pathId & 255;
      }
      out[q++] = len;
      const n = (len + 7) >> 3;
      out.set(b.subarray(off, off + n), q);
      q += n;
    });
    return new NlriList(this.afi, addPath, out, this.count);
  }
}
