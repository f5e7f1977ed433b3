/**
 * Update groups (FRR's term, BIRD's shared export tables): peers with the same outbound treatment
 * share one Adj-RIB-Out and one export computation, and each change is packed into UPDATEs once
 * for all of them (out-batch.ts), with next hop self patched in per member (next-hop-patch.ts).
 * Who shares a group: group-member.ts; who is in it and when each gets its table: group-sync.ts.
 * A member's own routes are never sent back to it (a Hidden entry names the member it came from).
 * Toward eBGP neighbors one hop away a next hop on their subnet is passed on (RFC 4271 §5.1.3), so
 * their groups are per session address (one subnet): the third-party choice is the group's. A peer
 * whose export cannot be shared (MRAI, or a policy reading the neighbor or next hop) gets a private
 * group computed with its real session addresses.
 */
import type { AttrStore } from '../rib/attr-store.js';
import { type ExportOptions, type LocalInfo, mayExport, rewrite } from '../rib/export-rules.js';
import type { Dest, LocRib } from '../rib/loc-rib.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import { PrefixTable } from '../rib/prefix-table.js';
import type { AttrSet, Path, PeerInfo, RouteAttrs } from '../rib/types.js';
import type { Clock } from '../util/clock.js';
import type { TurnScheduler } from '../util/turns.js';
import type { SessionParams } from '../wire/index.js';
import { AdvertisementTimer } from './advertisement-timer.js';
import { ExportFilter } from './export-filter.js';
import type { GroupSettings } from './group-member.js';
import { GroupSync, type Member, type MemberState } from './group-sync.js';
import { SELF4, SELF6 } from './next-hop-patch.js';
import { OutBatch } from './out-batch.js';

/** What the engine lends its groups. */
export interface GroupContext {
  readonly local: LocalInfo;
  readonly rib: LocRib;
  /** The store of exported attribute sets, shared by all groups. */
  readonly store: AttrStore;
  readonly onSharedSubnet: (nextHop: string, to: PeerInfo) => boolean;
  /** RFC 7911 send candidates of a destination: every usable path, or the best N. */
  readonly candidates: (d: Dest, send: 'all' | number) => Path[];
  readonly syncChunk: number;
  readonly clock: Clock;
  readonly turns: TurnScheduler;
  /** Told how many UPDATEs went out without being packed again. */
  readonly shared: (messages: number) => void;
}

/** A group entry another member sent us: not sent back to it. */
class Hidden {
  constructor(
    readonly set: AttrSet,
    readonly from: Member,
  ) {}
}
type Slot = AttrSet | Hidden;
type Entry = Slot | Map<number, Slot>;

const NOBODY: readonly Member[] = [];
const NO_REWRITE = { family: 4 as const, peer: null, from: null, set: { refs: 0 } as AttrSet };
const setOf = (s: Slot): AttrSet => (s instanceof Hidden ? s.set : s);
const visibleTo = (s: Slot | undefined, m: Member): AttrSet | null =>
  s === undefined ? null : s instanceof Hidden ? (s.from === m ? null : s.set) : s;

export class OutGroup {
  /** The Adj-RIB-Out: prefix → slot, or with ADD-PATH path id → slot. */
  readonly out: Record<4 | 6, PrefixTable<Entry>> = { 4: new PrefixTable(), 6: new PrefixTable() };
  /** Members (coalescing ones too: their routes are hidden from them) and their initial tables. */
  readonly sync: GroupSync;
  /** The peer export is computed for: the member itself, or one with placeholder addresses. */
  private readonly view: PeerInfo;
  private readonly shared: boolean;
  private readonly filter: ExportFilter;
  private readonly options: ExportOptions;
  /**
   * rewrite() results per family, source peer and RIB set (valid while the out set is alive). By
   * family: one set (a network's, without next hop) gets an IPv4 or an IPv6 next hop self.
   */
  private readonly rewriteCache = {
    4: new WeakMap<PeerInfo, WeakMap<AttrSet, AttrSet>>(),
    6: new WeakMap<PeerInfo, WeakMap<AttrSet, AttrSet>>(),
  };
  /** The last rewrite (runs of prefixes share a source and set): skips two lookups. */
  private lastRewrite: { family: 4 | 6; peer: PeerInfo | null; from: AttrSet | null; set: AttrSet } =
    NO_REWRITE;
  /** The Hidden slots of a set: one (from one member, the usual case) or one per member. */
  private readonly hiddenCache = new WeakMap<AttrSet, Hidden | Map<Member, Hidden>>();
  /** The last Hidden made or found (runs of prefixes share one). */
  private lastHidden: Hidden | null = null;
  private lastPeer: PeerInfo | null = null;
  private lastMember: Member | undefined;
  private readonly mrai: AdvertisementTimer | null;
  /** Encoding parameters (the same for every member: they are in the key). */
  private readonly params: SessionParams;

  constructor(
    readonly key: string | null,
    first: Member,
    readonly settings: GroupSettings,
    private readonly ctx: GroupContext,
  ) {
    this.shared = key !== null;
    const { localAddress4: _4, localAddress6: _6, ...rest } = first.info;
    this.view = this.shared
      ? {
          ...rest,
          id: -1,
          ...(first.info.localAddress4 !== undefined && { localAddress4: SELF4 }),
          ...(first.info.localAddress6 !== undefined && { localAddress6: SELF6 }),
        }
      : first.info;
    // Members share the first one's subnet where it matters (the key says so); on point-to-point
    // links a next hop on the link is the member itself (or us): next hop self is right.
    const subnetOf = first.info;
    this.options = {
      ...settings.exportOptions,
      onSharedSubnet:
        this.shared && subnetOf.pointToPoint ? () => false : (nh) => ctx.onSharedSubnet(nh, subnetOf),
    };
    this.filter = new ExportFilter(settings.exportPolicy, this.view, ctx.store);
    this.mrai =
      settings.advertisementInterval > 0
        ? new AdvertisementTimer(settings.advertisementInterval * 1000, ctx.clock, (dests) =>
            this.pass(dests),
          )
        : null;
    this.params = first.params;
    this.sync = new GroupSync({
      families: settings.families,
      dests: (f) => ctx.rib.tables[f].values(),
      pass: (dests) => this.pass(dests),
      send: (cohort, dests) => this.send(cohort, dests),
      chunk: ctx.syncChunk,
      turns: ctx.turns,
      closed: () => this.close(),
    });
  }

  get closed(): boolean {
    return this.sync.closed;
  }

  add(m: Member): void {
    this.sync.join(m);
    this.forgetLast();
  }

  /** Takes a member already sent `view` (its Adj-RIB-Out in the group it leaves) into this private group. */
  adopt(
    m: Member,
    view: Record<4 | 6, Map<PrefixKey, AttrSet | Map<number, AttrSet>>>,
    was: MemberState,
  ): void {
    for (const f of [4, 6] as const) for (const [key, e] of view[f]) this.out[f].set(key, e);
    this.sync.adopt(m, was);
    this.forgetLast();
  }

  /** The member starts receiving: its table comes from the group's first build or a walk of `out`. */
  activate(m: Member): void {
    this.sync.activate(m);
  }

  /** The member left (session down, or moved to another group); the last one closes the group. */
  remove(m: Member): void {
    this.sync.leave(m);
    this.forgetLast();
  }

  /** Membership changed: the memos of the last member and Hidden slot may name one gone. */
  private forgetLast(): void {
    this.lastPeer = null;
    this.lastHidden = null;
  }

  private close(): void {
    this.mrai?.cancel();
    for (const f of [4, 6] as const) {
      for (const e of this.out[f].values()) {
        if (e instanceof Map) for (const s of e.values()) this.ctx.store.release(setOf(s));
        else this.ctx.store.release(setOf(e));
      }
      this.out[f].clear();
    }
  }

  /** Destinations the decision changed (RFC 4271 §9.2.1.1: held for MRAI once the table is out). */
  changed(dests: readonly Dest[]): void {
    const table = this.sync.table;
    if (this.closed || table === 'none') return;
    if (this.mrai && table === 'built') this.mrai.offer(dests);
    else this.pass(dests);
  }

  /** Brings `out` up to date for `dests` and sends what changed to every receiver. */
  pass(dests: readonly Dest[]): void {
    const batch = this.batch(this.sync.receivers);
    for (const d of dests) {
      if (!this.settings.families.has(d.family)) continue;
      if (this.settings.addPathTx.has(d.family)) this.passAddPath(batch, d);
      else this.passSingle(batch, d);
    }
    this.ctx.shared(batch.send());
  }

  /** Sends `m` everything `out` holds for it now, at once (ROUTE-REFRESH, soft reset out). */
  resend(m: Member, chunked = false): void {
    this.sync.resend(m, chunked);
  }

  /** A member's view of the group: the Adj-RIB-Out it was sent, with its own next hops (references). */
  viewOf(m: Member): Record<4 | 6, Map<PrefixKey, AttrSet | Map<number, AttrSet>>> {
    const r: Record<4 | 6, Map<PrefixKey, AttrSet | Map<number, AttrSet>>> = { 4: new Map(), 6: new Map() };
    const personal = new Map<AttrSet, AttrSet>();
    const own = (set: AttrSet): AttrSet => {
      const nh = set.attrs.nextHop;
      const self = nh === SELF4 ? m.info.localAddress4 : nh === SELF6 ? m.info.localAddress6 : undefined;
      if (!this.shared || self === undefined) return this.ctx.store.ref(set);
      let p = personal.get(set);
      if (p) return this.ctx.store.ref(p);
      p = this.ctx.store.intern({ ...set.attrs, nextHop: self });
      personal.set(set, p);
      return p;
    };
    for (const f of [4, 6] as const) {
      for (const [key, e] of this.out[f]) {
        if (e instanceof Map) {
          const paths = new Map<number, AttrSet>();
          for (const [id, s] of e) {
            const set = visibleTo(s, m);
            if (set) paths.set(id, own(set));
          }
          if (paths.size) r[f].set(key, paths);
          continue;
        }
        const set = visibleTo(e, m);
        if (set) r[f].set(key, own(set));
      }
    }
    return r;
  }

  /**
   * What the member was sent in a family (`show neighbor X advertised-routes`): the group's entries
   * less its own routes, next hop self as its session address. Plain data, no references taken.
   */
  sentTo(m: Member, f: 4 | 6): { key: PrefixKey; pathId: number; attrs: RouteAttrs }[] {
    if (!this.sync.receiving(m)) return [];
    const own = (set: AttrSet): RouteAttrs => {
      const nh = set.attrs.nextHop;
      const self = nh === SELF4 ? m.info.localAddress4 : nh === SELF6 ? m.info.localAddress6 : undefined;
      return this.shared && self !== undefined ? { ...set.attrs, nextHop: self } : set.attrs;
    };
    const out: { key: PrefixKey; pathId: number; attrs: RouteAttrs }[] = [];
    for (const [key, e] of this.out[f]) {
      const slots = e instanceof Map ? e : new Map([[0, e]]);
      for (const [pathId, s] of slots) {
        const set = visibleTo(s, m);
        if (set) out.push({ key, pathId, attrs: own(set) });
      }
    }
    return out;
  }

  /** Prefixes (paths, with ADD-PATH) the member has been sent. */
  advertised(m: Member, f: 4 | 6): number {
    let n = 0;
    for (const e of this.out[f].values()) {
      if (e instanceof Map) for (const s of e.values()) n += visibleTo(s, m) ? 1 : 0;
      else n += visibleTo(e, m) ? 1 : 0;
    }
    return n;
  }

  private batch(receivers: readonly Member[]): OutBatch<Member> {
    return new OutBatch(receivers, this.settings.addPathTx, this.params, this.shared);
  }

  // ---- walks (group-sync.ts decides when and for whom) ----

  /** Sends `cohort` what `out` holds for `dests` (less their own routes). */
  private send(cohort: readonly Member[], dests: readonly Dest[]): void {
    const batch = this.batch(cohort);
    for (const d of dests) {
      const e = this.out[d.family].get(d.key);
      if (e instanceof Map) for (const [id, s] of e) this.walkSlot(batch, cohort, d, id, s);
      else if (e) this.walkSlot(batch, cohort, d, 0, e);
    }
    this.ctx.shared(batch.send());
  }

  /** One slot of a walk: to every member of `cohort` but the one it came from. */
  private walkSlot(
    batch: OutBatch<Member>,
    cohort: readonly Member[],
    d: Dest,
    pathId: number,
    s: Slot,
  ): void {
    if (!(s instanceof Hidden)) batch.all(d.family, d.key, pathId, s);
    else if (cohort.includes(s.from)) {
      if (cohort.length > 1) batch.all(d.family, d.key, pathId, s.set, s.from.alone);
    } else batch.all(d.family, d.key, pathId, s.set);
  }

  // ---- export of one destination ----

  private passSingle(batch: OutBatch<Member>, d: Dest): void {
    const out = this.out[d.family];
    const old = out.get(d.key) as Slot | undefined;
    const best = d.best && !this.onlyMemberSent(d.best) ? d.best : null;
    const set = best ? this.exportPath(best, d) : null;
    const now = set && best ? this.slot(set, best) : undefined;
    if (now === old) {
      if (set) this.ctx.store.release(set);
      return; // nothing changed for anyone
    }
    if (old) this.ctx.store.release(setOf(old));
    if (now) out.set(d.key, now);
    else out.delete(d.key);
    this.deliver(batch, d.family, d.key, 0, old, now);
  }

  private passAddPath(batch: OutBatch<Member>, d: Dest): void {
    const out = this.out[d.family];
    const have = out.get(d.key) as Map<number, Slot> | undefined;
    const want = new Map<number, Slot>();
    for (const p of this.ctx.candidates(d, this.settings.addPathSend)) {
      if (this.onlyMemberSent(p)) continue;
      const set = this.exportPath(p, d);
      if (set) want.set(p.txId, this.slot(set, p));
    }
    for (const [id, s] of want) {
      const old = have?.get(id);
      if (old === s) {
        this.ctx.store.release(setOf(s));
        continue;
      }
      if (old) this.ctx.store.release(setOf(old));
      this.deliver(batch, d.family, d.key, id, old, s);
    }
    if (have) {
      for (const [id, old] of have) {
        if (want.has(id)) continue;
        this.ctx.store.release(setOf(old));
        this.deliver(batch, d.family, d.key, id, old, undefined);
      }
    }
    // `want` holds exactly one reference per set: it becomes the Adj-RIB-Out entry.
    if (want.size) out.set(d.key, want);
    else out.delete(d.key);
  }

  /** The member `peer` is, if it is one (the last answer is kept: runs of prefixes share a source). */
  private memberOf(peer: PeerInfo): Member | undefined {
    if (peer !== this.lastPeer) {
      this.lastPeer = peer;
      this.lastMember = this.sync.members.get(peer);
    }
    return this.lastMember;
  }

  /** A path from the group's sole member goes to nobody: left out of `out` (until another comes). */
  private onlyMemberSent(path: Path): boolean {
    if (!this.shared || this.sync.members.size !== 1 || !this.memberOf(path.peer)) return false;
    this.sync.omitSole();
    return true;
  }

  /** The group's slot for `set` from `path`: hidden from the member the path came from. */
  private slot(set: AttrSet, path: Path): Slot {
    if (!this.shared) return set;
    const last = this.lastHidden;
    if (last && last.set === set && last.from.info === path.peer) return last;
    const from = this.memberOf(path.peer);
    if (!from) return set;
    const cached = this.hiddenCache.get(set);
    let h = cached instanceof Hidden ? (cached.from === from ? cached : undefined) : cached?.get(from);
    if (!h) {
      h = new Hidden(set, from);
      if (cached === undefined) this.hiddenCache.set(set, h);
      else if (cached instanceof Hidden)
        this.hiddenCache.set(
          set,
          new Map([
            [cached.from, cached],
            [from, h],
          ]),
        );
      else cached.set(from, h);
    }
    this.lastHidden = h;
    return h;
  }

  /**
   * Queues the change of one slot (`old` → `now`) for the receivers, in a few comparisons: once for
   * all, but a member a route came from sees nothing of it, so it is left out of the group's change
   * and told its own where that differs from what it had.
   */
  private deliver(
    batch: OutBatch<Member>,
    f: 4 | 6,
    key: PrefixKey,
    pathId: number,
    old: Slot | undefined,
    now: Slot | undefined,
  ): void {
    const was = old === undefined ? null : setOf(old);
    const is = now === undefined ? null : setOf(now);
    const a = old instanceof Hidden && this.sync.receiving(old.from) ? old.from : null;
    const b = now instanceof Hidden && this.sync.receiving(now.from) ? now.from : null;
    if (a === null && b === null) {
      if (was !== is) batch.all(f, key, pathId, is);
      return;
    }
    if (a !== b) {
      if (a !== null && is !== null) batch.one(a, f, key, pathId, is); // it sees the new path
      if (b !== null && was !== null) batch.one(b, f, key, pathId, null); // it had the old one
    }
    if (was === is) return;
    batch.all(f, key, pathId, is, a && b && a !== b ? [a, b] : a ? a.alone : b ? b.alone : NOBODY);
  }

  /** The attribute set to send for `path` (a reference of the store), or null when it may not be sent. */
  private exportPath(path: Path, d: Dest): AttrSet | null {
    if (this.settings.blockExport || !mayExport(path, this.view)) return null;
    const memo = this.lastRewrite;
    let set: AttrSet | undefined;
    if (memo.from === path.attrs && memo.peer === path.peer && memo.family === d.family && memo.set.refs > 0)
      set = this.ctx.store.ref(memo.set);
    else {
      const cache = this.rewriteCache[d.family];
      let byPeer = cache.get(path.peer);
      if (!byPeer) {
        byPeer = new WeakMap();
        cache.set(path.peer, byPeer);
      }
      set = byPeer.get(path.attrs);
      if (set && set.refs > 0) this.ctx.store.ref(set);
      else {
        set = this.ctx.store.intern(rewrite(path, this.view, this.ctx.local, this.options, d.family));
        byPeer.set(path.attrs, set);
      }
      this.lastRewrite = { family: d.family, peer: path.peer, from: path.attrs, set };
    }
    return this.filter.apply(d.family, d.key, set);
  }
}
