/**
 * Update groups (as FRR's): one Adj-RIB-Out for the peers that get the same outbound treatment.
 * The group computes each destination's export once, for a view of the peer whose address on the
 * session is a placeholder; the UPDATEs packed once are patched per member with its own address
 * (next hop self, RFC 4271 §5.1.3). Where a member must see something else — its own routes,
 * which are not sent back to it, or a third-party next hop on a subnet it shares (RFC 4271 §5.1.3
 * (2)) — the group keeps an exception for that member and prefix and sends it its own UPDATEs.
 */

import type { AttrStore } from '../rib/attr-store.js';
import { type ExportOptions, type LocalInfo, mayExport, rewrite } from '../rib/export-rules.js';
import type { Dest } from '../rib/loc-rib.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import type { AttrSet, Path, PeerInfo } from '../rib/types.js';
import type { SessionParams } from '../wire/index.js';
import type { AdvertisementTimer } from './advertisement-timer.js';
import type { ExportFilter } from './export-filter.js';
import { entryCount, type NextHopPatcher, OutBatch, type OutEntry, releaseEntry } from './out-batch.js';
import type { UpdateCache } from './update-cache.js';

export interface PeerSender {
  /** Queues pre-encoded UPDATEs on the peer's connection. */
  sendUpdates(messages: readonly Uint8Array[]): void;
}

export interface GroupMember {
  readonly info: PeerInfo;
  readonly params: SessionParams;
  readonly sender: PeerSender;
}

/** What the group needs of the engine. */
export interface GroupContext {
  readonly store: AttrStore;
  readonly local: LocalInfo;
  readonly patcher: NextHopPatcher;
  /** The paths to export for a destination: the best, or with ADD-PATH the send candidates. */
  readonly candidates: (d: Dest, addPath: boolean, send: 'all' | number) => readonly Path[];
  readonly onSharedSubnet: (nextHop: string, to: PeerInfo) => boolean;
}

export interface GroupSettings {
  /** Everything the export depends on, but the member's identity and address. */
  readonly key: string;
  /** The peer as the export rules and policy see it, with placeholder addresses (SELF4/SELF6). */
  readonly view: PeerInfo;
  /** Session parameters the encoding depends on (the same for every member, as the key says). */
  readonly params: SessionParams;
  readonly families: ReadonlySet<4 | 6>;
  readonly addPathTx: ReadonlySet<4 | 6>;
  readonly addPathSend: 'all' | number;
  readonly exportOptions: Omit<ExportOptions, 'onSharedSubnet'>;
  readonly exportFilter: ExportFilter;
  readonly blockExport: boolean;
}

type Exceptions = Map<GroupMember, OutEntry | null>;

const never = () => false;
const always = () => true;

export class OutGroup {
  readonly members = new Set<GroupMember>();
  private readonly byInfo = new Map<PeerInfo, GroupMember>();
  /** The Adj-RIB-Out: what every member without an exception has for a prefix. */
  private readonly out: Record<4 | 6, Map<PrefixKey, OutEntry>> = { 4: new Map(), 6: new Map() };
  /** Per prefix, the members that have something else (null: nothing). */
  private readonly exceptions: Record<4 | 6, Map<PrefixKey, Exceptions>> = { 4: new Map(), 6: new Map() };
  /** rewrite() results per source peer and attribute set; the second with a third-party next hop. */
  private readonly rewritten = [
    new WeakMap<PeerInfo, WeakMap<AttrSet, AttrSet>>(),
    new WeakMap<PeerInfo, WeakMap<AttrSet, AttrSet>>(),
  ];
  /** Members sharing a subnet with a next hop, per next hop (third-party next hops only). */
  private readonly sharing = new Map<string, GroupMember[]>();
  /** eBGP without next-hop-keep toward directly connected peers: third-party next hops possible. */
  private readonly thirdParty: boolean;
  state: 'coalescing' | 'syncing' | 'steady' = 'syncing';
  mrai: AdvertisementTimer | null = null;

  constructor(
    readonly settings: GroupSettings,
    private readonly ctx: GroupContext,
  ) {
    const v = settings.view;
    this.thirdParty = !v.ibgp && v.directlyConnected && !settings.exportOptions.nextHopKeep;
  }

  get empty(): boolean {
    return this.members.size === 0;
  }

  add(m: GroupMember): void {
    this.members.add(m);
    this.byInfo.set(m.info, m);
    this.sharing.clear();
  }

  /** Takes a member out, dropping its exceptions; the group's own table stays. */
  remove(m: GroupMember): void {
    this.members.delete(m);
    this.byInfo.delete(m.info);
    this.sharing.clear();
    for (const f of [4, 6] as const) {
      for (const [key, ex] of this.exceptions[f]) {
        if (!ex.has(m)) continue;
        releaseEntry(ex.get(m), this.release);
        ex.delete(m);
        if (!ex.size) this.exceptions[f].delete(key);
      }
    }
  }

  /** Drops every reference the tables hold (the group is gone). */
  clear(): void {
    for (const f of [4, 6] as const) {
      for (const e of this.out[f].values()) releaseEntry(e, this.release);
      for (const ex of this.exceptions[f].values())
        for (const e of ex.values()) releaseEntry(e, this.release);
      this.out[f].clear();
      this.exceptions[f].clear();
    }
  }

  /**
   * Takes over the members of `other`, which has the same key and an up-to-date table: both
   * tables are the same function of the Loc-RIB, so only the exceptions move.
   */
  absorb(other: OutGroup): void {
    for (const m of other.members) this.add(m);
    for (const f of [4, 6] as const) {
      for (const [key, ex] of other.exceptions[f]) {
        const mine = this.exceptions[f].get(key);
        if (mine) for (const [m, e] of ex) mine.set(m, e);
        else this.exceptions[f].set(key, ex);
      }
      other.exceptions[f].clear();
    }
    other.members.clear();
    other.clear();
  }

  /** A member's view of a prefix. */
  viewOf(m: GroupMember, f: 4 | 6, key: PrefixKey): OutEntry | undefined {
    const ex = this.exceptions[f].get(key);
    if (ex?.has(m)) return ex.get(m) ?? undefined;
    return this.out[f].get(key);
  }

  /** Prefixes (paths, with ADD-PATH) a member has been sent, per family. */
  count(m: GroupMember, f: 4 | 6): number {
    let n = 0;
    for (const e of this.out[f].values()) n += entryCount(e);
    for (const [key, ex] of this.exceptions[f]) {
      if (!ex.has(m)) continue;
      n += entryCount(ex.get(m) ?? undefined) - entryCount(this.out[f].get(key));
    }
    return n;
  }

  /** A copy of a member's view as this (new, empty) group's table: where a member leaving its group starts. */
  seedFrom(from: OutGroup, m: GroupMember): void {
    for (const f of this.settings.families) {
      const keys = new Set([...from.out[f].keys(), ...from.exceptions[f].keys()]);
      for (const key of keys) {
        const e = from.viewOf(m, f, key);
        if (!e) continue;
        const copy =
          e instanceof Map
            ? new Map([...e].map(([id, s]) => [id, this.ctx.store.ref(s)]))
            : this.ctx.store.ref(e);
        this.out[f].set(key, copy);
      }
    }
  }

  /** Exports what changed to every member: group UPDATEs packed once, exceptions per member. */
  export(dests: readonly Dest[], cache: UpdateCache): void {
    const shared = new Map<string, { without: Set<GroupMember>; batch: OutBatch }>();
    const own = new Map<GroupMember, OutBatch>();
    const ownBatch = (m: GroupMember) => {
      let b = own.get(m);
      if (!b) {
        b = new OutBatch();
        own.set(m, b);
      }
      return b;
    };
    for (const d of dests) {
      const f = d.family;
      if (!this.settings.families.has(f)) continue;
      const addPath = this.settings.addPathTx.has(f);
      const paths = this.ctx.candidates(d, addPath, this.settings.addPathSend);
      const old = this.out[f].get(d.key);
      const neu = this.entry(d, paths, addPath, null);
      const oldEx = this.exceptions[f].get(d.key);
      const now = this.specialMembers(paths);
      let newEx: Exceptions | undefined;
      const special = new Set<GroupMember>(oldEx?.keys());
      for (const m of now) special.add(m);
      for (const m of special) {
        const mine = now.has(m) ? this.entry(d, paths, addPath, m) : neu;
        const before = oldEx?.has(m) ? (oldEx.get(m) ?? undefined) : old;
        ownBatch(m).diff(f, d.key, before, mine);
        if (!now.has(m)) continue;
        newEx ??= new Map();
        newEx.set(m, mine ?? null);
      }
      if (special.size < this.members.size && old !== neu) {
        const k = special.size ? [...special].map((m) => m.info.id).join(',') : '';
        let s = shared.get(k);
        if (!s) {
          s = { without: special, batch: new OutBatch() };
          shared.set(k, s);
        }
        s.batch.diff(f, d.key, old, neu);
      }
      if (oldEx) for (const e of oldEx.values()) releaseEntry(e, this.release);
      if (newEx) this.exceptions[f].set(d.key, newEx);
      else if (oldEx) this.exceptions[f].delete(d.key);
      releaseEntry(old, this.release);
      if (neu) this.out[f].set(d.key, neu);
      else this.out[f].delete(d.key);
    }
    const params = this.settings.params;
    const packed = [...shared.values()].map((s) => ({
      without: s.without,
      messages: s.batch.pack(params, cache),
    }));
    for (const m of this.members) {
      const list: Uint8Array[] = [];
      for (const p of packed) if (!p.without.has(m)) list.push(...p.messages);
      const mine = own.get(m);
      if (mine) list.push(...mine.pack(params, cache));
      if (list.length) m.sender.sendUpdates(this.ctx.patcher.patch(list, m.info));
    }
  }

  /** Announces a member's whole view again (ROUTE-REFRESH, RFC 2918). */
  resend(m: GroupMember, dests: readonly Dest[], cache: UpdateCache): void {
    const b = new OutBatch();
    for (const d of dests) b.diff(d.family, d.key, undefined, this.viewOf(m, d.family, d.key));
    const list = b.pack(this.settings.params, cache);
    if (list.length) m.sender.sendUpdates(this.ctx.patcher.patch(list, m.info));
  }

  private readonly release = (s: AttrSet) => this.ctx.store.release(s);

  /** Members whose view of these paths differs from the group's: the source, third-party sharers. */
  private specialMembers(paths: readonly Path[]): Set<GroupMember> {
    const out = new Set<GroupMember>();
    for (const p of paths) {
      const m = this.byInfo.get(p.peer);
      if (m) out.add(m);
      const nh = p.attrs.attrs.nextHop;
      if (this.thirdParty && p.peer.id !== 0 && nh !== undefined)
        for (const s of this.sharers(nh)) out.add(s);
    }
    return out;
  }

  private sharers(nextHop: string): readonly GroupMember[] {
    let list = this.sharing.get(nextHop);
    if (!list) {
      if (this.sharing.size >= 4096) this.sharing.clear();
      list = [...this.members].filter((m) => this.ctx.onSharedSubnet(nextHop, m.info));
      this.sharing.set(nextHop, list);
    }
    return list;
  }

  /** The entry for a destination, for the group (`m` null) or as one member must see it. */
  private entry(
    d: Dest,
    paths: readonly Path[],
    addPath: boolean,
    m: GroupMember | null,
  ): OutEntry | undefined {
    if (!addPath) {
      const p = paths[0];
      return (p && p.peer !== m?.info && this.exportPath(p, d, m)) || undefined;
    }
    const want = new Map<number, AttrSet>();
    for (const p of paths) {
      if (p.peer === m?.info) continue;
      const set = this.exportPath(p, d, m);
      if (set) want.set(p.txId, set);
    }
    return want.size ? want : undefined;
  }

  /** The referenced attribute set to send for `path`, or null when it may not be sent. */
  private exportPath(path: Path, d: Dest, m: GroupMember | null): AttrSet | null {
    const s = this.settings;
    if (s.blockExport || !mayExport(path, s.view)) return null;
    const nh = path.attrs.attrs.nextHop;
    const third = m !== null && this.thirdParty && nh !== undefined && this.ctx.onSharedSubnet(nh, m.info);
    const cache = this.rewritten[third ? 1 : 0];
    let byPeer = cache.get(path.peer);
    if (!byPeer) {
      byPeer = new WeakMap();
      cache.set(path.peer, byPeer);
    }
    let set = byPeer.get(path.attrs);
    if (set && set.refs > 0) this.ctx.store.ref(set);
    else {
      const o = { ...s.exportOptions, onSharedSubnet: third ? always : never };
      set = this.ctx.store.intern(rewrite(path, s.view, this.ctx.local, o, d.family));
      byPeer.set(path.attrs, set);
    }
    return s.exportFilter.apply(d.family, d.key, set);
  }
}
