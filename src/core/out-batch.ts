/**
 * One export's announcements (per attribute set) and withdrawals, and the next-hop patch that
 * turns UPDATEs packed for an update group into a member's: the group packs with a placeholder
 * next hop (SELF4 / SELF6) where each member puts its own address on the session (RFC 4271 §5.1.3).
 */
import { NlriBuilder } from '../rib/nlri-builder.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import type { AttrSet, PeerInfo } from '../rib/types.js';
import { parseIPv4, parseIPv6 } from '../util/ip.js';
import { Afi, AttrCode, AttrFlag, type SessionParams } from '../wire/index.js';
import { packUpdates, type UpdateCache } from './update-cache.js';

/** Placeholders for "our address on the session": never a usable next hop (RFC 4271 §6.3). */
export const SELF4 = '0.0.0.0';
export const SELF6 = '::1';

/** An Adj-RIB-Out entry: the set sent, or with ADD-PATH path id → set. */
export type OutEntry = AttrSet | Map<number, AttrSet>;

export const entryCount = (e: OutEntry | undefined): number =>
  e === undefined ? 0 : e instanceof Map ? e.size : 1;

/** Releases every reference an entry holds. */
export function releaseEntry(e: OutEntry | undefined | null, release: (s: AttrSet) => void): void {
  if (!e) return;
  if (e instanceof Map) for (const s of e.values()) release(s);
  else release(e);
}

export class OutBatch {
  private readonly announce: Record<4 | 6, Map<AttrSet, NlriBuilder>> = { 4: new Map(), 6: new Map() };
  private readonly withdraw: Record<4 | 6, NlriBuilder | null> = { 4: null, 6: null };

  /** Adds what turns `from` into `to` for one prefix (ADD-PATH entries per path id). */
  diff(f: 4 | 6, key: PrefixKey, from: OutEntry | undefined, to: OutEntry | undefined): void {
    if (from === to) return;
    if (!(from instanceof Map) && !(to instanceof Map)) {
      if (to) this.add(f, to, key, 0, false);
      else if (from) this.remove(f, key, 0, false);
      return;
    }
    const a = from as Map<number, AttrSet> | undefined;
    const b = to as Map<number, AttrSet> | undefined;
    if (b) for (const [id, s] of b) if (a?.get(id) !== s) this.add(f, s, key, id, true);
    if (a) for (const id of a.keys()) if (!b?.has(id)) this.remove(f, key, id, true);
  }

  pack(params: SessionParams, cache: UpdateCache): Uint8Array[] {
    return packUpdates(this.announce, this.withdraw, params, cache);
  }

  private add(f: 4 | 6, set: AttrSet, key: PrefixKey, pathId: number, addPath: boolean): void {
    let b = this.announce[f].get(set);
    if (!b) {
      b = new NlriBuilder(f === 4 ? Afi.IPV4 : Afi.IPV6, addPath);
      this.announce[f].set(set, b);
    }
    b.add(key, pathId);
  }

  private remove(f: 4 | 6, key: PrefixKey, pathId: number, addPath: boolean): void {
    this.withdraw[f] ??= new NlriBuilder(f === 4 ? Afi.IPV4 : Afi.IPV6, addPath);
    this.withdraw[f].add(key, pathId);
  }
}

const SELF4_BYTES = Uint8Array.of(0, 0, 0, 0);
const SELF6_BYTES = parseIPv6(SELF6) as Uint8Array;
const equalAt = (m: Uint8Array, at: number, b: Uint8Array) => b.every((x, i) => m[at + i] === x);

/** Where the placeholder next hop sits in an UPDATE: NEXT_HOP or MP_REACH_NLRI's next hop. */
function placeholderAt(m: Uint8Array): { at: number; family: 4 | 6 } | null {
  let p = 19;
  p += 2 + ((m[p] << 8) | m[p + 1]);
  const end = p + 2 + ((m[p] << 8) | m[p + 1]);
  p += 2;
  while (p + 3 <= end) {
    const flags = m[p];
    const type = m[p + 1];
    const ext = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    const len = ext ? (m[p + 2] << 8) | m[p + 3] : m[p + 2];
    const v = p + (ext ? 4 : 3);
    if (type === AttrCode.NEXT_HOP && len === 4 && equalAt(m, v, SELF4_BYTES)) return { at: v, family: 4 };
    if (type === AttrCode.MP_REACH_NLRI && m[v + 3] === 16 && equalAt(m, v + 4, SELF6_BYTES))
      return { at: v + 4, family: 6 };
    p = v + len;
  }
  return null;
}

const ipv4Bytes = (a: string) => {
  const v = parseIPv4(a);
  return Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
};

/** Patches group UPDATEs with members' addresses; copies are shared by members with the same address. */
export class NextHopPatcher {
  private readonly where = new WeakMap<Uint8Array, { at: number; family: 4 | 6 } | null>();
  private readonly copies = new WeakMap<Uint8Array, Map<string, Uint8Array>>();

  patch(messages: readonly Uint8Array[], to: PeerInfo): readonly Uint8Array[] {
    let out: Uint8Array[] | null = null;
    for (const [i, m] of messages.entries()) {
      let w = this.where.get(m);
      if (w === undefined) {
        w = placeholderAt(m);
        this.where.set(m, w);
      }
      const self = w && (w.family === 4 ? to.localAddress4 : to.localAddress6);
      if (!w || !self) continue;
      let byAddress = this.copies.get(m);
      if (!byAddress) {
        byAddress = new Map();
        this.copies.set(m, byAddress);
      }
      let copy = byAddress.get(self);
      if (!copy) {
        copy = Uint8Array.from(m);
        copy.set(w.family === 4 ? ipv4Bytes(self) : (parseIPv6(self) as Uint8Array), w.at);
        byAddress.set(self, copy);
      }
      out ??= [...messages];
      out[i] = copy;
    }
    return out ?? messages;
  }
}
