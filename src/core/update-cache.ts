/**
 * Packing a peer's export into UPDATEs, and sharing the serialized UPDATEs between peers within one flush: peers with the same outbound treatment
 * end up with the same exported attribute set (one interned object) and the same NLRI, so the
 * messages packed for the first are handed to the others as they are (one encoding, one buffer).
 * Keyed by what the encoding depends on: the attribute set (or none, for withdrawals), the family,
 * the session's AS width, path-id families and message size, and the NLRI octets.
 */
import type { NlriBuilder } from '../rib/nlri-builder.js';
import type { AttrSet } from '../rib/types.js';
import {
  IPV4_UNICAST,
  IPV6_UNICAST,
  type NlriList,
  packAnnouncements,
  packWithdrawals,
  type SessionParams,
} from '../wire/index.js';

interface Entry {
  readonly context: string;
  readonly nlri: NlriList;
  readonly messages: readonly Uint8Array[];
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

export class UpdateCache {
  private readonly entries = new Map<AttrSet | number, Entry[]>();
  /** Messages handed out again instead of encoded (for tests and benchmarks). */
  shared = 0;

  /** The messages for (set or withdrawal, family, context, NLRI); `pack` runs on a miss. */
  get(
    set: AttrSet | null,
    family: 4 | 6,
    params: SessionParams,
    max: number,
    nlri: NlriList,
    pack: () => Uint8Array[],
  ): readonly Uint8Array[] {
    const key = set ?? family;
    const context = `${family}|${params.fourOctetAs}|${max}|${[...params.addPathTx].join(',')}`;
    let list = this.entries.get(key);
    const hit = list?.find((e) => e.context === context && sameBytes(e.nlri.bytes, nlri.bytes));
    if (hit) {
      this.shared += hit.messages.length;
      return hit.messages;
    }
    const messages = pack();
    if (!list) {
      list = [];
      this.entries.set(key, list);
    }
    list.push({ context, nlri, messages });
    return messages;
  }
}

const familyCode = (f: 4 | 6) => (f === 4 ? IPV4_UNICAST : IPV6_UNICAST);

/** A peer's withdrawals and announcements (per attribute set) of one export as UPDATEs, through `cache`. */
export function packUpdates(
  announce: Record<4 | 6, Map<AttrSet, NlriBuilder>>,
  withdraw: Record<4 | 6, NlriBuilder | null>,
  p: SessionParams,
  cache: UpdateCache,
): Uint8Array[] {
  const messages: Uint8Array[] = [];
  const max = p.maxMessageLength;
  for (const f of [4, 6] as const) {
    const w = withdraw[f];
    if (w) {
      const nlri = w.build();
      messages.push(...cache.get(null, f, p, max, nlri, () => packWithdrawals(nlri, familyCode(f), p, max)));
    }
    for (const [set, b] of announce[f]) {
      const nlri = b.build();
      messages.push(...cache.get(set, f, p, max, nlri, () => packFor(set, f, nlri, p, max)));
    }
  }
  return messages;
}

/** The UPDATEs announcing `nlri` with `set`: IPv4 with NEXT_HOP, anything else in MP_REACH_NLRI. */
function packFor(set: AttrSet, f: 4 | 6, nlri: NlriList, p: SessionParams, max: number): Uint8Array[] {
  const { nextHop, linkLocalNextHop, ...attrs } = set.attrs;
  if (f === 4 && nextHop !== undefined && !nextHop.includes(':'))
    return packAnnouncements({ ...attrs, nextHop }, nlri, IPV4_UNICAST, p, max);
  const mp = { nextHop: nextHop ?? '', ...(linkLocalNextHop !== undefined && { linkLocalNextHop }) };
  return packAnnouncements(attrs, nlri, familyCode(f), p, max, mp);
}
