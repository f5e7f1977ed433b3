/**
 * The routing engine: imports UPDATEs into the Loc-RIB, runs the decision for what changed once per
 * event-loop turn, and exports through update groups (out-group.ts): peers treated alike share an
 * Adj-RIB-Out and the UPDATEs packed for it. Initial tables go in chunks, then End-of-RIB.
 */

import { type CompiledPolicy, ebgpRequiresPolicy, evaluateChain } from '../policy/index.js';
import { AdjRibIn } from '../rib/adj-rib-in.js';
import { AttrStore } from '../rib/attr-store.js';
import { compare, type DecisionOptions } from '../rib/decision.js';
import type { ExportOptions, LocalInfo } from '../rib/export-rules.js';
import { checkImport, type ImportOptions } from '../rib/import-rules.js';
import { type Dest, LocRib } from '../rib/loc-rib.js';
import { keyFromWire, type PrefixKey } from '../rib/prefix-key.js';
import type { AttrSet, Path, PeerInfo, RouteAttrs } from '../rib/types.js';
import { type Clock, RealClock } from '../util/clock.js';
import {
  type Family,
  IPV4_UNICAST,
  IPV6_UNICAST,
  type NlriList,
  type SessionParams,
  type UpdateMessage,
} from '../wire/index.js';
import { policyRoute, withNextHop } from './export-filter.js';
import { type GroupSettings, groupKey, Member } from './group-member.js';
import type { PeerSender } from './out-batch.js';
import { type GroupContext, OutGroup } from './out-group.js';

export type { PeerSender } from './out-batch.js';

export interface PeerRoutingOptions {
  readonly export: Omit<ExportOptions, 'onSharedSubnet'>;
  readonly import: ImportOptions;
  /** Import and export policy chains (empty: accept, unless RFC 8212 applies). */
  readonly importPolicy?: readonly CompiledPolicy[];
  readonly exportPolicy?: readonly CompiledPolicy[];
  /** RFC 8212: an eBGP session without a policy in a direction passes nothing that way. */
  readonly ebgpRequiresPolicy?: boolean;
  /** ADD-PATH send mode where negotiated: all paths or the best N (default all). */
  readonly addPathSend?: 'all' | number;
  /** MinRouteAdvertisementInterval in seconds (RFC 4271 §9.2.1.1); 0 (default): send at once. */
  readonly advertisementInterval?: number;
  /** Keep the Adj-RIB-In before import policy, to apply a new policy without ROUTE-REFRESH. */
  readonly softReconfigurationInbound?: boolean;
  /** Max-prefix per family (RFC 4486 §4): called once when the count goes over `limit`. */
  readonly maxPrefix?: { readonly limit: number; readonly exceeded: (family: 4 | 6, limit: number) => void };
}

export interface RoutingOptions {
  readonly local: LocalInfo;
  readonly decision: Omit<DecisionOptions, 'reachable'>;
  /** Next-hop reachability of a received path (RFC 4271 §9.1.2.1); all reachable when absent. */
  readonly reachable?: (path: Path) => boolean;
  readonly onSharedSubnet?: (nextHop: string, to: PeerInfo) => boolean;
  /** Called with destinations whose best/multipath may have changed (for the FIB). */
  readonly onBestChanged?: (dests: readonly Dest[]) => void;
  /** Destinations exported per event-loop turn during an initial table transfer. */
  readonly syncChunk?: number;
  /** Destinations decided and exported per event-loop turn (default 20,000): a peer going down
   * with a full table must not hold other sessions' timers for the whole table (RFC 4271 §4.4). */
  readonly flushChunk?: number;
  /** Told why received routes were not accepted (for debug logs). */
  readonly onRejected?: (peer: PeerInfo, family: 4 | 6, prefixes: number, reason: string) => void;
  /** Told how long each flush (decision + export) took and how many destinations changed (metrics). */
  readonly onFlush?: (seconds: number, destinations: number) => void;
  /** Timers for MinRouteAdvertisementInterval and the coalesce (default: the real clock). */
  readonly clock?: Clock;
  /** Milliseconds between a session's Established and its initial table (default 0). */
  readonly coalesceMs?: number;
}

interface PeerRuntime {
  readonly info: PeerInfo;
  readonly params: SessionParams;
  readonly families: ReadonlySet<4 | 6>;
  readonly importOptions: ImportOptions;
  readonly maxPrefix?: PeerRoutingOptions['maxPrefix'];
  /** Policies and RFC 8212 blocks may be replaced at run time (reload: setPolicies). */
  importPolicy: readonly CompiledPolicy[];
  /** RFC 8212 blocks this direction. */
  blockImport: boolean;
  /** The Adj-RIB-In before policy, with soft reconfiguration inbound. */
  readonly adjIn: AdjRibIn | null;
  /** The peer's place in its update group, and the group (which a new export policy may change). */
  readonly member: Member;
  group: OutGroup;
}

const familyOf = (f: Family): 4 | 6 | 0 => (f === IPV4_UNICAST ? 4 : f === IPV6_UNICAST ? 6 : 0);

export class RoutingEngine {
  readonly rib = new LocRib();
  private readonly outStore = new AttrStore();
  private readonly peers = new Map<PeerInfo, PeerRuntime>();
  private readonly clock: Clock;
  /** Update groups with a key (private ones are reached through their peer only). */
  private readonly groups = new Map<string, OutGroup>();
  private readonly groupContext: GroupContext;
  /** UPDATEs handed to a peer as already serialized for another (update groups). */
  sharedUpdates = 0;
  private flushScheduled = false;
  private readonly changeListeners = new Set<(dests: readonly Dest[]) => void>();
  private readonly decisionOptions: DecisionOptions;
  /** The speaker itself as the source of originated routes (peer id 0). */
  readonly self: PeerInfo;
  /** Sessions waiting for their initial table while export is deferred (RFC 4724 §4.1). */
  private deferred: PeerRuntime[] | null = null;

  constructor(private readonly o: RoutingOptions) {
    this.clock = o.clock ?? new RealClock();
    const reachable = o.reachable;
    this.decisionOptions = {
      ...o.decision,
      reachable: reachable
        ? (p: Path) => p.peer.id === 0 || p.attrs.attrs.nextHop === undefined || reachable(p)
        : () => true,
    };
    this.self = {
      id: 0,
      address: '0.0.0.0',
      asn: o.local.asn,
      routerId: o.local.routerId,
      routerIdNum: 0,
      ibgp: false,
      rrClient: false,
      directlyConnected: false,
    };
    this.groupContext = {
      local: o.local,
      rib: this.rib,
      store: this.outStore,
      onSharedSubnet: o.onSharedSubnet ?? (() => false),
      candidates: (d, send) => this.addPathCandidates(d, send),
      syncChunk: o.syncChunk ?? 20_000,
      clock: this.clock,
      shared: (n) => {
        this.sharedUpdates += n;
      },
    };
  }

  // ---- sessions ----

  peerUp(info: PeerInfo, params: SessionParams, sender: PeerSender, opts: PeerRoutingOptions): void {
    const families = new Set(params.families.map(familyOf).filter((f): f is 4 | 6 => f !== 0));
    const exportPolicy = opts.exportPolicy ?? [];
    const settings: GroupSettings = {
      families,
      addPathTx: new Set([...params.addPathTx].map(familyOf).filter((f): f is 4 | 6 => f !== 0)),
      addPathSend: opts.addPathSend ?? 'all',
      exportOptions: opts.export,
      exportPolicy,
      blockExport: !!ebgpRequiresPolicy(
        info,
        'export',
        exportPolicy.length > 0,
        opts.ebgpRequiresPolicy ?? false,
      ),
      advertisementInterval: opts.advertisementInterval ?? 0,
    };
    const member = new Member(info, params, sender);
    const rt: PeerRuntime = {
      info,
      params,
      families,
      importOptions: opts.import,
      importPolicy: opts.importPolicy ?? [],
      blockImport: !!ebgpRequiresPolicy(
        info,
        'import',
        (opts.importPolicy ?? []).length > 0,
        opts.ebgpRequiresPolicy ?? false,
      ),
      ...(opts.maxPrefix && { maxPrefix: opts.maxPrefix }),
      adjIn: opts.softReconfigurationInbound ? new AdjRibIn() : null,
      member,
      group: this.groupFor(member, settings),
    };
    this.peers.set(info, rt);
    this.initialSync(rt);
  }

  /** The update group for a member with `settings`: an existing one with the same key, or a new one. */
  private groupFor(m: Member, settings: GroupSettings): OutGroup {
    const key = groupKey(m.info, m.params, settings);
    let g = key === null ? undefined : this.groups.get(key);
    if (!g || g.closed) {
      g = new OutGroup(key, m, settings, this.groupContext);
      if (key !== null) this.groups.set(key, g);
    }
    g.add(m);
    return g;
  }

  /** Takes a member out of its group, forgetting the group when it was the last. */
  private leaveGroup(rt: PeerRuntime): void {
    rt.group.remove(rt.member);
    if (rt.group.closed && rt.group.key !== null && this.groups.get(rt.group.key) === rt.group)
      this.groups.delete(rt.group.key);
  }

  /**
   * RFC 4724 §4.1: a restarting speaker defers its route selection's export: sessions coming up get
   * no table (nor End-of-RIB) until releaseExport(); imports and the decision go on meanwhile.
   */
  deferExport(): void {
    this.deferred ??= [];
  }

  /** Ends deferExport(): every session up gets its table and End-of-RIB now. */
  releaseExport(): void {
    const waiting = this.deferred ?? [];
    this.deferred = null;
    for (const rt of waiting) if (this.peers.get(rt.info) === rt) rt.group.activate(rt.member);
  }

  get exportDeferred(): boolean {
    return this.deferred !== null;
  }

  /** Session gone: its paths leave the RIB (graceful restart keeps them stale instead). */
  peerDown(info: PeerInfo, keepStale = false): void {
    const rt = this.peers.get(info);
    if (rt) {
      rt.member.closed = true;
      this.leaveGroup(rt);
      this.peers.delete(info);
    }
    if (keepStale) this.rib.markStale(info);
    else this.rib.beginFlush(info); // a chunk per turn: flush()
    this.schedule();
  }

  /** Drops the stale paths of a peer, or one family's (End-of-RIB after restart, EoRR, or timer expiry); returns how many. */
  purgeStale(info: PeerInfo, family?: 4 | 6): number {
    // A live session (RFC 7313 refresh): what the RIB purges leaves its kept Adj-RIB-In too.
    const adjIn = this.peers.get(info)?.adjIn;
    if (adjIn)
      for (const f of family ? [family] : ([4, 6] as const))
        for (const d of this.rib.tables[f].values())
          for (const p of d.paths) if (p.peer === info && p.stale) adjIn.delete(f, d.key, p.pathId);
    const n = this.rib.flushPeer(info, true, family);
    this.schedule();
    return n;
  }

  /** RFC 7313 §4: on BoRR the peer's paths of the family turn stale until the refresh replaces them. */
  markStale(info: PeerInfo, family: 4 | 6): number {
    const n = this.rib.markStale(info, family);
    this.schedule();
    return n;
  }

  // ---- import ----

  receiveUpdate(info: PeerInfo, m: UpdateMessage): void {
    const rt = this.peers.get(info);
    if (!rt) return;
    const rib = this.rib;
    const withdraw = (family: 4 | 6, list: NlriList) =>
      list.forEach((b, off, len, pathId) => {
        const key = keyFromWire(family, b, off, len);
        rt.adjIn?.delete(family, key, pathId);
        rib.withdraw(family, key, info, pathId);
      });
    withdraw(4, m.withdrawn);
    const unreach = m.mpUnreach && familyOf(m.mpUnreach.family);
    if (m.mpUnreach && unreach) withdraw(unreach, m.mpUnreach.withdrawn);
    const reach = m.mpReach && familyOf(m.mpReach.family);
    if (m.attributes === null) {
      // RFC 7606 treat-as-withdraw: every prefix the UPDATE announced is withdrawn.
      withdraw(4, m.nlri);
      if (m.mpReach && reach) withdraw(reach, m.mpReach.nlri);
    } else {
      if (m.nlri.count) this.importList(rt, 4, m.nlri, m.attributes);
      if (m.mpReach && reach && m.mpReach.nlri.count) {
        const { nextHop: _v4, ...rest } = m.attributes;
        const attrs: RouteAttrs = {
          ...rest,
          nextHop: m.mpReach.nextHop,
          ...(m.mpReach.linkLocalNextHop !== undefined && { linkLocalNextHop: m.mpReach.linkLocalNextHop }),
        };
        this.importList(rt, reach, m.mpReach.nlri, attrs);
      }
    }
    const mp = rt.maxPrefix;
    if (mp) {
      for (const f of rt.families) {
        if (this.rib.countOf(info, f) > mp.limit) {
          mp.exceeded(f, mp.limit);
          return;
        }
      }
    }
    this.schedule();
  }

  private importList(rt: PeerRuntime, family: 4 | 6, list: NlriList, attrs: RouteAttrs): void {
    const adjIn = rt.adjIn;
    const kept = adjIn?.intern(attrs); // soft reconfiguration: as received, before policy
    this.importPaths(rt, family, attrs, list.count, (visit) =>
      list.forEach((b, off, len, pathId) => {
        const key = keyFromWire(family, b, off, len);
        if (kept) adjIn?.put(family, key, pathId, kept);
        visit(key, pathId);
      }),
    );
    if (kept) adjIn?.release(kept);
  }

  /** Import rules and policy for the paths `each` visits, all received with `attrs`. */
  private importPaths(
    rt: PeerRuntime,
    family: 4 | 6,
    attrs: RouteAttrs,
    count: number,
    each: (visit: (key: PrefixKey, pathId: number) => void) => void,
  ): void {
    const checked = checkImport(attrs, rt.info, this.o.local, rt.importOptions);
    // An ineligible route replaces any earlier path for the prefix (implicit withdraw).
    if ('reject' in checked || rt.blockImport) {
      each((key, pathId) => this.rib.withdraw(family, key, rt.info, pathId));
      const reason =
        'reject' in checked ? checked.reject : 'no import policy (RFC 8212 ebgp-requires-policy)';
      this.o.onRejected?.(rt.info, family, count, reason);
      return;
    }
    if (!rt.importPolicy.length) {
      const set = this.rib.store.intern(checked.attrs);
      each((key, pathId) => this.rib.update(family, key, rt.info, pathId, set));
      this.rib.store.release(set);
      return;
    }
    // Per-prefix policy; results that are the same object share one interned set.
    const sets = new Map<RouteAttrs, AttrSet>();
    /** Rejections per "policy/term", reported once per UPDATE. */
    const rejected = new Map<string, number>();
    each((key, pathId) => {
      const r = evaluateChain(rt.importPolicy, policyRoute(family, key, checked.attrs, rt.info));
      if (r.action === 'reject') {
        this.rib.withdraw(family, key, rt.info, pathId);
        const why = `rejected by import policy ${r.policy ?? '?'}${r.matchedTerm ? ` term ${r.matchedTerm}` : ' (default)'}`;
        rejected.set(why, (rejected.get(why) ?? 0) + 1);
        return;
      }
      const out = r.nextHopSelf
        ? withNextHop(r.attrs, family === 4 ? rt.info.localAddress4 : rt.info.localAddress6)
        : r.attrs;
      let set = sets.get(out);
      if (!set) {
        set = this.rib.store.intern(out);
        sets.set(out, set);
      }
      this.rib.update(family, key, rt.info, pathId, set);
    });
    for (const set of sets.values()) this.rib.store.release(set);
    for (const [why, n] of rejected) this.o.onRejected?.(rt.info, family, n, why);
  }

  /**
   * Soft reconfiguration inbound: the peer's kept Adj-RIB-In through import rules and policy again
   * (after a policy change), instead of a ROUTE-REFRESH. False when the peer keeps none.
   */
  reimport(info: PeerInfo): boolean {
    const rt = this.peers.get(info);
    if (!rt?.adjIn) return false;
    for (const f of rt.families) {
      for (const [set, paths] of rt.adjIn.bySet(f)) {
        this.importPaths(rt, f, set.attrs, paths.length, (visit) => {
          for (const p of paths) visit(p.key, p.pathId);
        });
      }
    }
    this.schedule();
    return true;
  }

  // ---- origination ----

  originate(family: 4 | 6, key: PrefixKey, attrs: RouteAttrs): void {
    this.rib.update(family, key, this.self, 0, attrs);
    this.schedule();
  }

  withdrawOrigin(family: 4 | 6, key: PrefixKey): void {
    this.rib.withdraw(family, key, this.self, 0);
    this.schedule();
  }

  // ---- decision and export ----

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Runs the decision for what is dirty (a chunk per turn) and sends what changed; exposed for tests. */
  flush(): void {
    this.flushScheduled = false;
    const start = this.o.onFlush ? performance.now() : undefined;
    const chunk = this.o.flushChunk ?? 20_000;
    // A peer gone: its paths leave a chunk of destinations per turn, decided in the turns after.
    if (this.rib.flushing) this.rib.flushSome(chunk * 4);
    const changed = this.rib.decide(this.decisionOptions, chunk);
    if (changed.length) {
      this.o.onBestChanged?.(changed);
      for (const l of this.changeListeners) l(changed);
      // Each group computes and packs once for all its members.
      for (const g of new Set([...this.peers.values()].map((rt) => rt.group))) g.changed(changed);
    }
    if (start !== undefined) this.o.onFlush?.((performance.now() - start) / 1000, changed.length);
    if (this.rib.dirtyCount || this.rib.flushing) this.schedule();
  }

  /**
   * Runs the decision until nothing is dirty. At the end of a graceful-restart deferral the FIB takes
   * the whole table at once: a destination not decided yet would look like one without a route.
   */
  settle(): void {
    do this.flush();
    while (this.rib.dirtyCount || this.rib.flushing);
  }

  /** Next-hop reachability may have changed (kernel routes or addresses): decide everything again. */
  recheckNextHops(): void {
    this.rib.touchAll();
    this.schedule();
  }

  /** Calls `fn` with the destinations of every decision run (events, waiters); returns the unsubscribe. */
  onChange(fn: (dests: readonly Dest[]) => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  /**
   * The initial table, after `coalesceMs` when set: peers that come up together (a rack of Calico
   * nodes) and the routes they announce at once go out as one table instead of a trickle of changes.
   */
  private initialSync(rt: PeerRuntime): void {
    if (this.deferred) {
      this.deferred.push(rt);
      return;
    }
    const ms = this.o.coalesceMs ?? 0;
    if (ms <= 0) {
      rt.group.activate(rt.member);
      return;
    }
    this.clock.setTimer(ms, () => rt.group.activate(rt.member));
  }

  /** RFC 7911 send: every usable path, or the best N in decision order. */
  private addPathCandidates(d: Dest, send: 'all' | number): Path[] {
    const usable = d.paths.filter((p) => this.decisionOptions.reachable(p));
    if (send === 'all' || usable.length <= send) return usable;
    return usable.sort((a, b) => compare(a, b, this.decisionOptions)).slice(0, send);
  }

  /**
   * Replaces a peer's policies without touching its session (reload). A new export policy moves the
   * peer to a private group that starts from what it was sent, so only differences go out; a new
   * import policy needs the peer to send its routes again (ROUTE-REFRESH, RFC 2918), which the
   * caller asks for.
   */
  setPolicies(
    info: PeerInfo,
    p: {
      importPolicy: readonly CompiledPolicy[];
      exportPolicy: readonly CompiledPolicy[];
      ebgpRequiresPolicy: boolean;
    },
  ): void {
    const rt = this.peers.get(info);
    if (!rt) return;
    rt.importPolicy = p.importPolicy;
    rt.blockImport = !!ebgpRequiresPolicy(info, 'import', p.importPolicy.length > 0, p.ebgpRequiresPolicy);
    const settings: GroupSettings = {
      ...rt.group.settings,
      exportPolicy: p.exportPolicy,
      blockExport: !!ebgpRequiresPolicy(info, 'export', p.exportPolicy.length > 0, p.ebgpRequiresPolicy),
    };
    const m = rt.member;
    if (!m.active) {
      // Nothing sent yet (coalescing): the group it will start in is the new one.
      this.leaveGroup(rt);
      rt.group = this.groupFor(m, settings);
      return;
    }
    const view = rt.group.viewOf(m);
    this.leaveGroup(rt);
    rt.group = new OutGroup(null, m, settings, this.groupContext);
    rt.group.adopt(m, view);
    rt.group.pass(this.allDests(rt));
    if (m.syncing) rt.group.resend(m, true);
  }

  /**
   * Soft reconfiguration out: brings the Adj-RIB-Out up to date (withdrawing what no longer passes,
   * sending what an advertisement interval holds), then with `resend` announces the whole table
   * again, as an answer to ROUTE-REFRESH does. Returns false when the peer has no routing session
   * (or is still sending its initial table).
   */
  refreshOut(info: PeerInfo, resend = true): boolean {
    const rt = this.peers.get(info);
    if (!rt || rt.member.syncing) return false;
    if (rt.group.key === null) rt.group.pass(this.allDests(rt));
    if (resend) rt.group.resend(rt.member);
    return true;
  }

  private allDests(rt: PeerRuntime): Dest[] {
    const out: Dest[] = [];
    for (const f of rt.families) for (const d of this.rib.tables[f].values()) out.push(d);
    return out;
  }

  /** True once the initial table and End-of-RIB went to the peer (RFC 4724 §2). */
  initialTableSent(info: PeerInfo): boolean {
    const rt = this.peers.get(info);
    return !!rt && !rt.member.syncing;
  }

  /** Interned attribute sets of the Adj-RIBs-Out (the RIB's own are `rib.store.size`). */
  get exportedAttributeSets(): number {
    return this.outStore.size;
  }

  /** Update groups and how many peers each has (largest first). */
  get groupSizes(): number[] {
    const sizes = new Map<OutGroup, number>();
    for (const rt of this.peers.values()) sizes.set(rt.group, (sizes.get(rt.group) ?? 0) + 1);
    return [...sizes.values()].sort((a, b) => b - a);
  }

  /** Number of prefixes currently advertised to a peer (PfxSnt). */
  advertisedCount(info: PeerInfo): number {
    const c = this.prefixCounts(info);
    return c[4].advertised + c[6].advertised;
  }

  /** Number of paths in the RIB learned from a peer (PfxRcd); the Loc-RIB keeps the count. */
  receivedCount(info: PeerInfo): number {
    return this.rib.countOf(info);
  }

  /** The Adj-RIB-Out of a peer in a family: what it was sent (its update group's view). */
  adjRibOut(info: PeerInfo, f: 4 | 6): { key: PrefixKey; pathId: number; attrs: RouteAttrs }[] {
    const rt = this.peers.get(info);
    return rt ? rt.group.sentTo(rt.member, f) : [];
  }

  /** The Adj-RIB-In before import policy (soft-reconfiguration-inbound), or null when it is not kept. */
  adjRibIn(info: PeerInfo, f: 4 | 6): { key: PrefixKey; pathId: number; attrs: RouteAttrs }[] | null {
    const rt = this.peers.get(info);
    if (!rt?.adjIn) return null;
    const out: { key: PrefixKey; pathId: number; attrs: RouteAttrs }[] = [];
    for (const [set, paths] of rt.adjIn.bySet(f))
      for (const { key, pathId } of paths) out.push({ key, pathId, attrs: set.attrs });
    return out;
  }

  /** Paths received (before import policy where the Adj-RIB-In is kept), accepted (in the RIB) and prefixes advertised, per family. */
  prefixCounts(info: PeerInfo): Record<4 | 6, { received: number; accepted: number; advertised: number }> {
    const rt = this.peers.get(info);
    const counts = (f: 4 | 6) => {
      const accepted = this.rib.countOf(info, f);
      return {
        received: rt?.adjIn ? rt.adjIn.count(f) : accepted,
        accepted,
        advertised: rt ? rt.group.advertised(rt.member, f) : 0,
      };
    };
    return { 4: counts(4), 6: counts(6) };
  }
}
