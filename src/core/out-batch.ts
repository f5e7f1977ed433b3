/**
 * One export pass of an update group: the changes all its receivers share (one item per set of
 * members left out, usually none) and any member's own, each packed once into the fewest UPDATEs
 * (prefixes sharing an attribute set go together) and handed to every member it is for, with the
 * member's next hop patched in.
 */
import { keyOctets } from '../rib/attr-store.js';
import { NlriBuilder } from '../rib/nlri-builder.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import type { AttrSet } from '../rib/types.js';
import {
  Afi,
  encodedOctets,
  IPV4_UNICAST,
  IPV6_UNICAST,
  type NlriList,
  packAnnouncements,
  packEncoded,
  packWithdrawals,
  type SessionParams,
} from '../wire/index.js';
import { type PackedRun, Patcher, SELF4, SELF6, type SelfAddresses } from './next-hop-patch.js';

export interface PeerSender {
  /** Queues pre-encoded UPDATEs on the peer's connection. */
  sendUpdates(messages: readonly Uint8Array[]): void;
  /** Queues End-of-RIB of a family (RFC 4724 §2) behind the UPDATEs queued before it. */
  sendEndOfRib(family: 4 | 6): void;
}

export interface BatchMember {
  readonly id: number;
  readonly self: SelfAddresses;
  readonly sender: PeerSender;
}

const familyCode = (f: 4 | 6) => (f === 4 ? IPV4_UNICAST : IPV6_UNICAST);

/** Withdrawals and announcements (per attribute set) of one pass for one audience. */
class Item {
  private readonly announce: Record<4 | 6, Map<AttrSet, NlriBuilder>> = { 4: new Map(), 6: new Map() };
  private readonly withdraw: Record<4 | 6, NlriBuilder | null> = { 4: null, 6: null };

  private lastSet: AttrSet | null = null;
  private lastFamily: 4 | 6 = 4;
  private lastBuilder: NlriBuilder | null = null;

  constructor(private readonly addPath: ReadonlySet<4 | 6>) {}

  add(f: 4 | 6, key: PrefixKey, pathId: number, set: AttrSet | null): void {
    if (set !== null && set === this.lastSet && f === this.lastFamily) {
      this.lastBuilder!.add(key, pathId); // runs of prefixes share a set
      return;
    }
    const afi = f === 4 ? Afi.IPV4 : Afi.IPV6;
    if (!set) {
      this.withdraw[f] ??= new NlriBuilder(afi, this.addPath.has(f));
      this.withdraw[f].add(key, pathId);
      return;
    }
    let b = this.announce[f].get(set);
    if (!b) {
      b = new NlriBuilder(afi, this.addPath.has(f));
      this.announce[f].set(set, b);
    }
    this.lastSet = set;
    this.lastFamily = f;
    this.lastBuilder = b;
    b.add(key, pathId);
  }

  /** Withdrawals first, then one run of UPDATEs per attribute set. */
  pack(p: SessionParams): PackedRun[] {
    const runs: PackedRun[] = [];
    const max = p.maxMessageLength;
    for (const f of [4, 6] as const) {
      const w = this.withdraw[f];
      if (w) runs.push({ messages: packWithdrawals(w.build(), familyCode(f), p, max), at: -1, self: f });
      for (const [set, b] of this.announce[f]) runs.push(packFor(set, f, b.build(), p, max));
    }
    return runs;
  }
}

/**
 * The UPDATEs announcing `nlri` with `set`: IPv4 with NEXT_HOP, anything else in MP_REACH_NLRI;
 * with where a placeholder next hop (next hop self of a shared group) is to be patched. Toward a
 * 4-octet-AS session an IPv4 set's key is already its path attributes (attr-store.ts): copied.
 */
function packFor(set: AttrSet, f: 4 | 6, nlri: NlriList, p: SessionParams, max: number): PackedRun {
  const nextHop = set.attrs.nextHop;
  if (f === 4 && nextHop !== undefined && !nextHop.includes(':')) {
    const octets = p.fourOctetAs ? keyOctets(set) : null;
    const r =
      octets !== null
        ? packEncoded(encodedOctets(Buffer.from(octets, 'latin1')), nlri, IPV4_UNICAST, p, max)
        : packAnnouncements(set.attrs, nlri, IPV4_UNICAST, p, max);
    return { messages: r.messages, at: nextHop === SELF4 ? r.nextHopOffset : -1, self: 4 };
  }
  const { nextHop: _nh, linkLocalNextHop, ...attrs } = set.attrs;
  const mp = { nextHop: nextHop ?? '', ...(linkLocalNextHop !== undefined && { linkLocalNextHop }) };
  const r = packAnnouncements(attrs, nlri, familyCode(f), p, max, mp);
  return { messages: r.messages, at: nextHop === SELF6 ? r.nextHopOffset : -1, self: 6 };
}

const NOBODY: readonly never[] = [];

export class OutBatch<M extends BatchMember> {
  /** Items for all receivers but some, keyed by the ids of those left out. */
  private readonly shared = new Map<string | number, { item: Item; without: readonly M[] }>();
  private readonly own = new Map<M, Item>();
  /** The item for all receivers (also in `shared`, under ''). */
  private everyone: { item: Item; without: readonly M[] } | null = null;

  constructor(
    private readonly receivers: readonly M[],
    private readonly addPath: ReadonlySet<4 | 6>,
    private readonly params: SessionParams,
    /** Next hops are placeholders to patch per member (shared groups). */
    private readonly patching: boolean,
  ) {}

  /** `set` (null: a withdrawal) for every receiver but `without`. */
  all(f: 4 | 6, key: PrefixKey, pathId: number, set: AttrSet | null, without: readonly M[] = NOBODY): void {
    if (without.length === 0) {
      if (!this.everyone) {
        this.everyone = { item: new Item(this.addPath), without };
        this.shared.set('', this.everyone);
      }
      this.everyone.item.add(f, key, pathId, set);
      return;
    }
    const id =
      without.length === 0 ? '' : without.length === 1 ? without[0].id : without.map((m) => m.id).join(',');
    let e = this.shared.get(id);
    if (!e) {
      e = { item: new Item(this.addPath), without };
      this.shared.set(id, e);
    }
    e.item.add(f, key, pathId, set);
  }

  /** `set` (null: a withdrawal) for `m` alone. */
  one(m: M, f: 4 | 6, key: PrefixKey, pathId: number, set: AttrSet | null): void {
    let item = this.own.get(m);
    if (!item) {
      item = new Item(this.addPath);
      this.own.set(m, item);
    }
    item.add(f, key, pathId, set);
  }

  /** Packs and sends everything; returns how many UPDATEs went to a member without being packed for it. */
  send(): number {
    const out = new Map<M, Uint8Array[]>();
    const deliver = (m: M, messages: readonly Uint8Array[]) => {
      const list = out.get(m);
      if (list) list.push(...messages);
      else out.set(m, [...messages]);
    };
    let shared = 0;
    for (const { item, without } of this.shared.values()) {
      const packed = new Patcher(item.pack(this.params));
      const messages = packed.messages;
      if (!messages.length) continue;
      let n = 0;
      for (const m of this.receivers) {
        if (without.length && without.includes(m)) continue;
        deliver(m, this.patching ? packed.for(m.self) : messages);
        n++;
      }
      if (n > 1) shared += messages.length * (n - 1);
    }
    for (const [m, item] of this.own) {
      const packed = new Patcher(item.pack(this.params));
      deliver(m, this.patching ? packed.for(m.self) : packed.messages);
    }
    for (const [m, messages] of out) if (messages.length) m.sender.sendUpdates(messages);
    return shared;
  }
}
