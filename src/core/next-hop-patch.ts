/**
 * Next hop self for update groups: a group packs its UPDATEs once with placeholder next hops
 * (0.0.0.0 in NEXT_HOP, :: in MP_REACH_NLRI, both martians no route is learned with) and each
 * member gets a copy with its own session address written over them. Members with the same
 * addresses share one copy; an UPDATE without a placeholder is shared as it is.
 */
import { ipv4ToBytes, ipv6ToBytes } from '../util/ip.js';
import { AttrCode } from '../wire/index.js';

export const SELF4 = '0.0.0.0';
export const SELF6 = '::';

/** Our addresses on one session, as written into its UPDATEs. */
export class SelfAddresses {
  readonly v4: Uint8Array | null;
  readonly v6: Uint8Array | null;
  /** Members with equal keys get byte-identical UPDATEs. */
  readonly key: string;

  constructor(localAddress4: string | undefined, localAddress6: string | undefined) {
    this.v4 = localAddress4 === undefined ? null : ipv4ToBytes(localAddress4);
    this.v6 = localAddress6 === undefined ? null : ipv6ToBytes(localAddress6);
    this.key = `${localAddress4 ?? ''}|${localAddress6 ?? ''}`;
  }
}

const zero = (b: Uint8Array, off: number, len: number): boolean => {
  for (let i = off; i < off + len; i++) if (b[i] !== 0) return false;
  return true;
};

/**
 * Offsets of the placeholder next hops in an UPDATE (RFC 4271 §4.3: NEXT_HOP; RFC 4760 §3:
 * MP_REACH_NLRI's first next hop), -1 where there is none.
 */
export function placeholderOffsets(m: Uint8Array): { v4: number; v6: number } {
  const r = { v4: -1, v6: -1 };
  if (m.length < 23 || m[18] !== 2) return r;
  let off = 21 + ((m[19] << 8) | m[20]);
  const end = off + 2 + ((m[off] << 8) | m[off + 1]);
  off += 2;
  while (off + 3 <= end) {
    const flags = m[off];
    const type = m[off + 1];
    const ext = (flags & 0x10) !== 0;
    const len = ext ? (m[off + 2] << 8) | m[off + 3] : m[off + 2];
    const v = off + (ext ? 4 : 3);
    if (type === AttrCode.NEXT_HOP && len === 4 && zero(m, v, 4)) r.v4 = v;
    else if (type === AttrCode.MP_REACH_NLRI && len >= 20) {
      const nhLen = m[v + 3];
      if ((nhLen === 16 || nhLen === 32) && zero(m, v + 4, 16)) r.v6 = v + 4;
    }
    off = v + len;
  }
  return r;
}

/** Hands UPDATEs packed for a group to its members, patched per distinct set of addresses. */
export class Patcher {
  private readonly offsets: { v4: number; v6: number }[];
  private readonly copies = new Map<string, Uint8Array[]>();

  constructor(private readonly messages: readonly Uint8Array[]) {
    this.offsets = messages.map(placeholderOffsets);
  }

  get needsPatching(): boolean {
    return this.offsets.some((o) => o.v4 >= 0 || o.v6 >= 0);
  }

  for(self: SelfAddresses): readonly Uint8Array[] {
    if (!this.needsPatching) return this.messages;
    let out = this.copies.get(self.key);
    if (!out) {
      out = this.messages.map((m, i) => {
        const o = this.offsets[i];
        if (o.v4 < 0 && o.v6 < 0) return m;
        const c = new Uint8Array(m);
        if (o.v4 >= 0 && self.v4) c.set(self.v4, o.v4);
        if (o.v6 >= 0 && self.v6) c.set(self.v6, o.v6);
        return c;
      });
      this.copies.set(self.key, out);
    }
    return out;
  }
}
