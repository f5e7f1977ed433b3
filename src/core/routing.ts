/**
 * The routing engine: imports UPDATEs into the Loc-RIB, runs the decision for what changed once per
 * event-loop turn, and exports per peer through its Adj-RIB-Out, packing prefixes that share an
 * attribute set into the fewest UPDATEs. Sends the initial table in chunks, then End-of-RIB.
 */

import { type CompiledPolicy, ebgpRequiresPolicy, evaluateChain } from '../policy/index.js';
import { AttrStore } from '../rib/attr-store.js';
import { compare, type DecisionOptions } from '../rib/decision.js';
import type { ExportOptions, LocalInfo } from '../rib/export-rules.js';
import { checkImport, type ImportOptions } from '../rib/import-rules.js';
import { type Dest, LocRib } from '../rib/loc-rib.js';
import { keyFromWire, type PrefixKey } from '../rib/prefix-key.js';
import type { AttrSet, Path, PeerInfo, RouteAttrs } from '../rib/types.js';
import { type Clock, RealClock } from '../util/clock.js';
import {
  encodeMessage,
  endOfRib,
  type Family,
  IPV4_UNICAST,
  IPV6_UNICAST,
  type NlriList,
  type SessionParams,
  type UpdateMessage,
} from '../wire/index.js';
import { AdvertisementTimer } from './advertisement-timer.js';
import { ExportFilter, policyRoute, withNextHop } from './export-filter.js';
import { NextHopPatcher, SELF4, SELF6 } from './out-batch.js';
import {
  type GroupContext,
  type GroupMember,
  type GroupSettings,
  OutGroup,
  type PeerSender,
} from './out-group.js';
import { UpdateCache } from './update-cache.js';

export type { PeerSender } from './out-group.js';

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

interface PeerRuntime extends GroupMember {
  readonly importOptions: ImportOptions;
  readonly maxPrefix?: PeerRoutingOptions['maxPrefix'];
  /** What decides its update group (replaced with the policies at reload: setPolicies). */
  outbound: Outbound;
  /** Policies and RFC 8212 blocks may be replaced at run time (reload: setPolicies). */
  importPolicy: readonly CompiledPolicy[];
  blockImport: boolean;
  group: OutGroup;
  /** New export policies arrived while its table was being sent: regroup when it is out. */
  regroup: boolean;
  closed: boolean;
}

interface Outbound {
  readonly exportOptions: Omit<ExportOptions, 'onSharedSubnet'>;
  readonly exportPolicy: readonly CompiledPolicy[];
  readonly blockExport: boolean;
  readonly addPathSend: 'all' | number;
  readonly advertisementInterval: number;
}

const familyOf = (f: Family): 4 | 6 | 0 => (f === IPV4_UNICAST ? 4 : f === IPV6_UNICAST ? 6 : 0);
const familyCode = (f: 4 | 6): Family => (f === 4 ? IPV4_UNICAST : IPV6_UNICAST);

export class RoutingEngine {
  readonly rib = new LocRib();
  private readonly outStore = new AttrStore();
  private readonly peers = new Map<PeerInfo, PeerRuntime>();
  /** Update groups by key; a key may have a steady group and groups still sending their table. */
  private readonly groups = new Map<string, Set<OutGroup>>();
  private readonly groupContext: GroupContext;
  private readonly clock: Clock;
  /** Set during flush(): UPDATEs packed for one group, reused for another with the same output. */
  private updateCache: UpdateCache | null = null;
  /** UPDATEs handed to a group as already serialized for another. */
  sharedUpdates = 0;
  private flushScheduled = false;
  private readonly changeListeners = new Set<(dests: readonly Dest[]) => void>();
  private readonly decisionOptions: DecisionOptions;
  /** The speaker itself as the source of originated routes (peer id 0). */
  readonly self: PeerInfo;

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
      store: this.outStore,
      local: o.local,
      patcher: new NextHopPatcher(),
      candidates: (d, addPath, send) => (addPath ? this.addPathCandidates(d, send) : d.best ? [d.best] : []),
      onSharedSubnet: o.onSharedSubnet ?? (() => false),
    };
  }

  // ---- sessions ----

  peerUp(info: PeerInfo, params: SessionParams, sender: PeerSender, opts: PeerRoutingOptions): void {
    const ebgpBlocks = (dir: 'import' | 'export', list: readonly CompiledPolicy[] | undefined) =>
      !!ebgpRequiresPolicy(info, dir, (list ?? []).length > 0, opts.ebgpRequiresPolicy ?? false);
    const outbound: Outbound = {
      exportOptions: opts.export,
      exportPolicy: opts.exportPolicy ?? [],
      blockExport: ebgpBlocks('export', opts.exportPolicy),
      addPathSend: opts.addPathSend ?? 'all',
      advertisementInterval: opts.advertisementInterval ?? 0,
    };
    // Peers coming up together with the same treatment share one group and one initial table.
    const settings = groupSettings(info, params, outbound, this.outStore);
    const forming = [...(this.groups.get(settings.key) ?? [])].find((g) => g.state === 'coalescing');
    const group = forming ?? this.newGroup(settings);
    const rt: PeerRuntime = {
      info,
      params,
      sender,
      importOptions: opts.import,
      importPolicy: opts.importPolicy ?? [],
      blockImport: ebgpBlocks('import', opts.importPolicy),
      outbound,
      ...(opts.maxPrefix && { maxPrefix: opts.maxPrefix }),
      group,
      regroup: false,
      closed: false,
    };
    this.peers.set(info, rt);
    group.add(rt);
    if (!forming) this.initialSync(group);
  }

  /** Session gone: its paths leave the RIB (graceful restart keeps them stale instead). */
  peerDown(info: PeerInfo, keepStale = false): void {
    const rt = this.peers.get(info);
    if (rt) {
      rt.closed = true;
      this.leaveGroup(rt);
      this.peers.delete(info);
    }
    if (keepStale) this.rib.markStale(info);
    else this.rib.flushPeer(info);
    this.schedule();
  }

  private newGroup(settings: GroupSettings): OutGroup {
    const g = new OutGroup(settings, this.groupContext);
    const interval = settings.key.startsWith('mrai') ? Number(settings.key.split('|')[1]) : 0;
    if (interval > 0)
      g.mrai = new AdvertisementTimer(interval * 1000, this.clock, (dests) => this.exportTo(g, dests));
    let set = this.groups.get(settings.key);
    if (!set) {
      set = new Set();
      this.groups.set(settings.key, set);
    }
    set.add(g);
    return g;
  }

  private leaveGroup(rt: PeerRuntime): void {
    const g = rt.group;
    g.remove(rt);
    if (!g.empty) return;
    g.mrai?.cancel();
    g.clear();
    const set = this.groups.get(g.settings.key);
    set?.delete(g);
    if (set?.size === 0) this.groups.delete(g.settings.key);
  }

  /** A group that has sent its table joins a steady one with the same key, if there is one. */
  private merge(g: OutGroup): void {
    for (const other of this.groups.get(g.settings.key) ?? []) {
      if (other === g || other.state !== 'steady' || other.mrai) continue;
      for (const m of g.members) (m as PeerRuntime).group = other;
      other.absorb(g);
      this.groups.get(g.settings.key)?.delete(g);
      return;
    }
  }

  /** Drops the stale paths of a peer, or one family's (End-of-RIB after restart, or timer expiry). */
  purgeStale(info: PeerInfo, family?: 4 | 6): void {
    this.rib.flushPeer(info, true, family);
    this.schedule();
  }

  // ---- import ----

  receiveUpdate(info: PeerInfo, m: UpdateMessage): void {
    const rt = this.peers.get(info);
    if (!rt) return;
    const rib = this.rib;
    const withdraw = (family: 4 | 6, list: NlriList) =>
      list.forEach((b, off, len, pathId) => {
        rib.withdraw(family, keyFromWire(family, b, off, len), info, pathId);
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
      for (const f of rt.group.settings.families) {
        if (this.rib.countOf(info, f) > mp.limit) {
          mp.exceeded(f, mp.limit);
          return;
        }
      }
    }
    this.schedule();
  }

  private importList(rt: PeerRuntime, family: 4 | 6, list: NlriList, attrs: RouteAttrs): void {
    const withdrawAll = () =>
      list.forEach((b, off, len, pathId) => {
        this.rib.withdraw(family, keyFromWire(family, b, off, len), rt.info, pathId);
      });
    const checked = checkImport(attrs, rt.info, this.o.local, rt.importOptions);
    // An ineligible route replaces any earlier path for the prefix (implicit withdraw).
    if ('reject' in checked || rt.blockImport) {
      withdrawAll();
      const reason =
        'reject' in checked ? checked.reject : 'no import policy (RFC 8212 ebgp-requires-policy)';
      this.o.onRejected?.(rt.info, family, list.count, reason);
      return;
    }
    if (!rt.importPolicy.length) {
      const set = this.rib.store.intern(checked.attrs);
      list.forEach((b, off, len, pathId) => {
        this.rib.update(family, keyFromWire(family, b, off, len), rt.info, pathId, set);
      });
      this.rib.store.release(set);
      return;
    }
    // Per-prefix policy; results that are the same object share one interned set.
    const sets = new Map<RouteAttrs, AttrSet>();
    /** Rejections per "policy/term", reported once per UPDATE. */
    const rejected = new Map<string, number>();
    list.forEach((b, off, len, pathId) => {
      const key = keyFromWire(family, b, off, len);
      const r = evaluateChain(
        rt.importPolicy,
        policyRoute(family, key, b.subarray(off, off + ((len + 7) >> 3)), len, checked.attrs, rt.info),
      );
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
    const changed = this.rib.decide(this.decisionOptions, this.o.flushChunk ?? 20_000);
    if (changed.length) {
      this.o.onBestChanged?.(changed);
      for (const l of this.changeListeners) l(changed);
      for (const set of [...this.groups.values()]) for (const g of [...set]) this.offer(g, changed);
    }
    if (start !== undefined) this.o.onFlush?.((performance.now() - start) / 1000, changed.length);
    if (this.rib.dirtyCount) this.schedule();
  }

  /**
   * Sends what changed, or with an advertisement interval (RFC 4271 §9.2.1.1) holds it until the
   * interval since the last send has passed; the initial table is not held.
   */
  private offer(g: OutGroup, changed: readonly Dest[]): void {
    if (g.state === 'coalescing') return; // the table, sent when the coalesce ends, has them
    if (g.mrai && g.state === 'steady') g.mrai.offer(changed);
    else this.exportTo(g, changed);
  }

  /** One cache per flush: groups whose output is the same share the serialized UPDATEs. */
  private exportTo(g: OutGroup, dests: readonly Dest[]): void {
    const own = this.updateCache === null;
    const cache = this.updateCache ?? new UpdateCache();
    this.updateCache = cache;
    try {
      g.export(dests, cache);
    } finally {
      if (own) {
        this.sharedUpdates += cache.shared;
        this.updateCache = null;
      }
    }
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
   * nodes) with the same treatment join one group and get one table, and the routes they announce
   * meanwhile go out in it instead of as a trickle of changes.
   */
  private initialSync(g: OutGroup): void {
    const ms = this.o.coalesceMs ?? 0;
    if (ms <= 0) {
      this.sendTable(g);
      return;
    }
    g.state = 'coalescing';
    this.clock.setTimer(ms, () => {
      if (g.empty) return;
      g.state = 'syncing';
      this.sendTable(g);
    });
  }

  private sendTable(g: OutGroup): void {
    const chunk = this.o.syncChunk ?? 20_000;
    const queue: Dest[][] = [];
    for (const f of g.settings.families) {
      let batch: Dest[] = [];
      for (const d of this.rib.tables[f].values()) {
        batch.push(d);
        if (batch.length >= chunk) {
          queue.push(batch);
          batch = [];
        }
      }
      if (batch.length) queue.push(batch);
    }
    const next = () => {
      if (g.empty) return;
      const batch = queue.shift();
      if (batch) {
        this.exportTo(g, batch);
        setImmediate(next);
        return;
      }
      g.state = 'steady';
      // RFC 4724 §2: End-of-RIB after the initial table, per family.
      for (const m of g.members)
        for (const f of g.settings.families)
          m.sender.sendUpdates([encodeMessage(endOfRib(familyCode(f)), m.params, m.params.maxMessageLength)]);
      for (const m of [...g.members]) if ((m as PeerRuntime).regroup) this.regroup(m as PeerRuntime);
      if (!g.empty) this.merge(g);
    };
    setImmediate(next);
  }

  /** RFC 7911 send: every usable path, or the best N in decision order. */
  private addPathCandidates(d: Dest, send: 'all' | number): Path[] {
    const usable = d.paths.filter((p) => this.decisionOptions.reachable(p));
    if (send === 'all' || usable.length <= send) return usable;
    return usable.sort((a, b) => compare(a, b, this.decisionOptions)).slice(0, send);
  }

  /**
   * Replaces a peer's policies without touching its session (reload). A new export policy is applied
   * at once: the peer leaves its group for one of its own, starting from what it has, re-exports
   * every destination (only differences are sent) and joins a group with the new treatment if there
   * is one. A new import policy needs the peer to send its routes again (ROUTE-REFRESH, RFC 2918),
   * which the caller asks for.
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
    rt.outbound = {
      ...rt.outbound,
      exportPolicy: p.exportPolicy,
      blockExport: !!ebgpRequiresPolicy(info, 'export', p.exportPolicy.length > 0, p.ebgpRequiresPolicy),
    };
    // Still sending its table: the new treatment applies once the table is out.
    if (rt.group.state === 'steady') this.regroup(rt);
    else rt.regroup = true;
  }

  /** Moves a peer to a group of its own, starting from what it has, and re-exports everything. */
  private regroup(rt: PeerRuntime): void {
    rt.regroup = false;
    const old = rt.group;
    const g = this.newGroup(groupSettings(rt.info, rt.params, rt.outbound, this.outStore));
    g.seedFrom(old, rt);
    g.state = 'steady';
    this.leaveGroup(rt);
    rt.group = g;
    g.add(rt);
    this.exportTo(g, this.allDests(g));
    this.merge(g);
  }

  /**
   * Soft reconfiguration out: the group's Adj-RIB-Out is always up to date; with `resend` the
   * peer's whole view is announced again, as an answer to ROUTE-REFRESH. Returns false when the peer
   * has no routing session (or is still sending its initial table).
   */
  refreshOut(info: PeerInfo, resend = true): boolean {
    const rt = this.peers.get(info);
    if (rt?.group.state !== 'steady') return false;
    if (resend) rt.group.resend(rt, this.allDests(rt.group), this.updateCache ?? new UpdateCache());
    return true;
  }

  private allDests(g: OutGroup): Dest[] {
    const out: Dest[] = [];
    for (const f of g.settings.families) for (const d of this.rib.tables[f].values()) out.push(d);
    return out;
  }

  /** True once the initial table and End-of-RIB went to the peer (RFC 4724 §2). */
  initialTableSent(info: PeerInfo): boolean {
    return this.peers.get(info)?.group.state === 'steady';
  }

  /** Interned attribute sets of the Adj-RIBs-Out (the RIB's own are `rib.store.size`). */
  get exportedAttributeSets(): number {
    return this.outStore.size;
  }

  /** Update groups and their members (for tests, the API and benchmarks). */
  get updateGroups(): { key: string; members: string[] }[] {
    return [...this.groups.values()].flatMap((set) =>
      [...set].map((g) => ({ key: g.settings.key, members: [...g.members].map((m) => m.info.address) })),
    );
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

  /** Paths received (in the RIB) and prefixes advertised, per family. */
  prefixCounts(info: PeerInfo): Record<4 | 6, { received: number; advertised: number }> {
    const rt = this.peers.get(info);
    const advertised = (f: 4 | 6) => (rt ? rt.group.count(rt, f) : 0);
    return {
      4: { received: this.rib.countOf(info, 4), advertised: advertised(4) },
      6: { received: this.rib.countOf(info, 6), advertised: advertised(6) },
    };
  }
}

/** Policy chains get a number each, so a group key can name them. */
const policyIds = new WeakMap<CompiledPolicy, number>();
let nextPolicyId = 1;
const policyId = (p: CompiledPolicy): number => {
  let id = policyIds.get(p);
  if (id === undefined) {
    id = nextPolicyId++;
    policyIds.set(p, id);
  }
  return id;
};

/**
 * A peer's update group: the key holds everything its export depends on but its identity and
 * address on the session; a peer with an advertisement interval (its own timing) or an export
 * policy that reads the neighbor gets a group of its own.
 */
function groupSettings(info: PeerInfo, params: SessionParams, o: Outbound, store: AttrStore): GroupSettings {
  const families = new Set(params.families.map(familyOf).filter((f): f is 4 | 6 => f !== 0));
  const addPathTx = new Set([...params.addPathTx].map(familyOf).filter((f): f is 4 | 6 => f !== 0));
  const own = o.advertisementInterval > 0 || o.exportPolicy.some((p) => p.readsNeighbor);
  const key = [
    own ? `${o.advertisementInterval > 0 ? 'mrai' : 'own'}|${o.advertisementInterval}|${info.id}` : 'shared',
    info.ibgp ? 'ibgp' : 'ebgp',
    info.rrClient ? 'client' : '',
    info.directlyConnected ? 'direct' : '',
    info.localAddress4 !== undefined ? 'v4' : '',
    info.localAddress6 !== undefined ? 'v6' : '',
    [...families].join('+'),
    [...addPathTx].join('+'),
    params.fourOctetAs ? 'as4' : 'as2',
    params.maxMessageLength,
    o.exportOptions.nextHopSelf ? 'nhself' : '',
    o.exportOptions.nextHopKeep ? 'nhkeep' : '',
    o.addPathSend,
    o.blockExport ? 'blocked' : '',
    o.exportPolicy.map(policyId).join('+'),
  ].join('|');
  const view: PeerInfo = {
    ...info,
    id: -1,
    ...(info.localAddress4 !== undefined && { localAddress4: SELF4 }),
    ...(info.localAddress6 !== undefined && { localAddress6: SELF6 }),
  };
  return {
    key,
    view,
    params,
    families,
    addPathTx,
    addPathSend: o.addPathSend,
    exportOptions: o.exportOptions,
    exportFilter: new ExportFilter(o.exportPolicy, view, store),
    blockExport: o.blockExport,
  };
}
