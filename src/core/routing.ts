/**
 * The routing engine: imports UPDATEs into the Loc-RIB, runs the decision for what changed once per
 * event-loop turn, and exports per peer through its Adj-RIB-Out, packing prefixes that share an
 * attribute set into the fewest UPDATEs. Sends the initial table in chunks, then End-of-RIB.
 */

import { type CompiledPolicy, ebgpRequiresPolicy, evaluateChain } from '../policy/index.js';
import { AttrStore } from '../rib/attr-store.js';
import { compare, type DecisionOptions } from '../rib/decision.js';
import { type ExportOptions, type LocalInfo, mayExport, rewrite } from '../rib/export-rules.js';
import { checkImport, type ImportOptions } from '../rib/import-rules.js';
import { type Dest, LocRib } from '../rib/loc-rib.js';
import { NlriBuilder } from '../rib/nlri-builder.js';
import { keyFromWire, type PrefixKey } from '../rib/prefix-key.js';
import type { AttrSet, Path, PeerInfo, RouteAttrs } from '../rib/types.js';
import { type Clock, RealClock } from '../util/clock.js';
import {
  Afi,
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
import { packUpdates, UpdateCache } from './update-cache.js';

export interface PeerSender {
  /** Queues pre-encoded UPDATEs on the peer's connection. */
  sendUpdates(messages: readonly Uint8Array[]): void;
}

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

interface PeerRuntime {
  readonly info: PeerInfo;
  readonly params: SessionParams;
  readonly sender: PeerSender;
  readonly families: ReadonlySet<4 | 6>;
  readonly addPathTx: ReadonlySet<4 | 6>;
  readonly exportOptions: ExportOptions;
  readonly importOptions: ImportOptions;
  readonly maxPrefix?: PeerRoutingOptions['maxPrefix'];
  readonly addPathSend: 'all' | number;
  /** Policies and RFC 8212 blocks may be replaced at run time (reload: setPolicies). */
  importPolicy: readonly CompiledPolicy[];
  exportFilter: ExportFilter;
  /** RFC 8212 blocks this direction. */
  blockImport: boolean;
  blockExport: boolean;
  /** Adj-RIB-Out per family: prefix → attribute set sent, or (with ADD-PATH) path id → set. */
  readonly out: Record<4 | 6, Map<PrefixKey, AttrSet | Map<number, AttrSet>>>;
  /** rewrite() results per source peer and attribute set (valid while the out set is alive). */
  readonly rewriteCache: WeakMap<PeerInfo, WeakMap<AttrSet, AttrSet>>;
  /** MinRouteAdvertisementInterval, when one is set. */
  readonly mrai: AdvertisementTimer | null;
  syncing: boolean;
  /** Waiting out the coalesce before the initial table (nothing is exported meanwhile). */
  coalescing: boolean;
  closed: boolean;
}

const familyOf = (f: Family): 4 | 6 | 0 => (f === IPV4_UNICAST ? 4 : f === IPV6_UNICAST ? 6 : 0);
const familyCode = (f: 4 | 6): Family => (f === 4 ? IPV4_UNICAST : IPV6_UNICAST);

export class RoutingEngine {
  readonly rib = new LocRib();
  private readonly outStore = new AttrStore();
  private readonly peers = new Map<PeerInfo, PeerRuntime>();
  private readonly clock: Clock;
  /** Set during flush(): UPDATEs packed for one peer, reused for the next with the same output. */
  private updateCache: UpdateCache | null = null;
  /** UPDATEs handed to a peer as already serialized for another (update groups). */
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
  }

  // ---- sessions ----

  peerUp(info: PeerInfo, params: SessionParams, sender: PeerSender, opts: PeerRoutingOptions): void {
    const families = new Set(params.families.map(familyOf).filter((f): f is 4 | 6 => f !== 0));
    const rt: PeerRuntime = {
      info,
      params,
      sender,
      families,
      addPathTx: new Set([...params.addPathTx].map(familyOf).filter((f): f is 4 | 6 => f !== 0)),
      exportOptions: { ...opts.export, onSharedSubnet: this.o.onSharedSubnet ?? (() => false) },
      importOptions: opts.import,
      addPathSend: opts.addPathSend ?? 'all',
      importPolicy: opts.importPolicy ?? [],
      exportFilter: new ExportFilter(opts.exportPolicy ?? [], info, this.outStore),
      blockImport: !!ebgpRequiresPolicy(
        info,
        'import',
        (opts.importPolicy ?? []).length > 0,
        opts.ebgpRequiresPolicy ?? false,
      ),
      blockExport: !!ebgpRequiresPolicy(
        info,
        'export',
        (opts.exportPolicy ?? []).length > 0,
        opts.ebgpRequiresPolicy ?? false,
      ),
      ...(opts.maxPrefix && { maxPrefix: opts.maxPrefix }),
      out: { 4: new Map(), 6: new Map() },
      rewriteCache: new WeakMap(),
      mrai: opts.advertisementInterval
        ? new AdvertisementTimer(opts.advertisementInterval * 1000, this.clock, (dests) =>
            this.exportDests(rt, dests),
          )
        : null,
      syncing: true,
      coalescing: false,
      closed: false,
    };
    this.peers.set(info, rt);
    this.initialSync(rt);
  }

  /** Session gone: its paths leave the RIB (graceful restart keeps them stale instead). */
  peerDown(info: PeerInfo, keepStale = false): void {
    const rt = this.peers.get(info);
    if (rt) {
      rt.closed = true;
      rt.mrai?.cancel();
      for (const f of [4, 6] as const) this.clearOut(rt, f);
      this.peers.delete(info);
    }
    if (keepStale) this.rib.markStale(info);
    else this.rib.flushPeer(info);
    this.schedule();
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
      // One flush, one cache: peers treated alike share the serialized UPDATEs.
      this.updateCache = new UpdateCache();
      for (const rt of this.peers.values()) this.export(rt, changed);
      this.sharedUpdates += this.updateCache.shared;
      this.updateCache = null;
    }
    if (start !== undefined) this.o.onFlush?.((performance.now() - start) / 1000, changed.length);
    if (this.rib.dirtyCount) this.schedule();
  }

  /**
   * Sends what changed, or with an advertisement interval (RFC 4271 §9.2.1.1) holds it until the
   * interval since the last send has passed; the initial table is not held.
   */
  private export(rt: PeerRuntime, changed: readonly Dest[]): void {
    if (rt.coalescing) return; // the table, sent when the coalesce ends, has them
    if (rt.mrai && !rt.syncing) rt.mrai.offer(changed);
    else this.exportDests(rt, changed);
  }

  /** Calls `fn` with the destinations of every decision run (events, waiters); returns the unsubscribe. */
  /** Next-hop reachability may have changed (kernel routes or addresses): decide everything again. */
  recheckNextHops(): void {
    this.rib.touchAll();
    this.schedule();
  }

  onChange(fn: (dests: readonly Dest[]) => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  /**
   * The initial table, after `coalesceMs` when set: peers that come up together (a rack of Calico
   * nodes) and the routes they announce at once go out as one table instead of a trickle of changes.
   */
  private initialSync(rt: PeerRuntime): void {
    const ms = this.o.coalesceMs ?? 0;
    if (ms <= 0) {
      this.sendTable(rt);
      return;
    }
    rt.coalescing = true;
    this.clock.setTimer(ms, () => {
      rt.coalescing = false;
      if (!rt.closed) this.sendTable(rt);
    });
  }

  private sendTable(rt: PeerRuntime): void {
    const chunk = this.o.syncChunk ?? 20_000;
    const queue: Dest[][] = [];
    for (const f of rt.families) {
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
      if (rt.closed) return;
      const batch = queue.shift();
      if (batch) {
        this.exportDests(rt, batch);
        setImmediate(next);
        return;
      }
      rt.syncing = false;
      // RFC 4724 §2: End-of-RIB after the initial table, per family.
      for (const f of rt.families)
        rt.sender.sendUpdates([
          encodeMessage(endOfRib(familyCode(f)), rt.params, rt.params.maxMessageLength),
        ]);
    };
    setImmediate(next);
  }

  /** RFC 7911 send: every usable path, or the best N in decision order. */
  private addPathCandidates(d: Dest, send: 'all' | number): Path[] {
    const usable = d.paths.filter((p) => this.decisionOptions.reachable(p));
    if (send === 'all' || usable.length <= send) return usable;
    return usable.sort((a, b) => compare(a, b, this.decisionOptions)).slice(0, send);
  }

  /** The attribute set to send `to` for `path`, or null when it may not be sent. */
  private exportPath(rt: PeerRuntime, path: Path, d: Dest): AttrSet | null {
    if (rt.blockExport || !mayExport(path, rt.info)) return null;
    let byPeer = rt.rewriteCache.get(path.peer);
    if (!byPeer) {
      byPeer = new WeakMap();
      rt.rewriteCache.set(path.peer, byPeer);
    }
    let set = byPeer.get(path.attrs);
    if (set && set.refs > 0) this.outStore.ref(set);
    else {
      set = this.outStore.intern(rewrite(path, rt.info, this.o.local, rt.exportOptions, d.family));
      byPeer.set(path.attrs, set);
    }
    return rt.exportFilter.apply(d.family, d.key, set);
  }

  private exportDests(rt: PeerRuntime, dests: readonly Dest[]): void {
    const announce: Record<4 | 6, Map<AttrSet, NlriBuilder>> = { 4: new Map(), 6: new Map() };
    const withdraw: Record<4 | 6, NlriBuilder | null> = { 4: null, 6: null };
    const announceOne = (f: 4 | 6, set: AttrSet, key: PrefixKey, pathId: number, addPath: boolean) => {
      let b = announce[f].get(set);
      if (!b) {
        b = new NlriBuilder(f === 4 ? Afi.IPV4 : Afi.IPV6, addPath);
        announce[f].set(set, b);
      }
      b.add(key, pathId);
    };
    const withdrawOne = (f: 4 | 6, key: PrefixKey, pathId: number, addPath: boolean) => {
      withdraw[f] ??= new NlriBuilder(f === 4 ? Afi.IPV4 : Afi.IPV6, addPath);
      withdraw[f].add(key, pathId);
    };
    for (const d of dests) {
      const f = d.family;
      if (!rt.families.has(f)) continue;
      const out = rt.out[f];
      if (!rt.addPathTx.has(f)) {
        // One path per prefix: the Adj-RIB-Out entry is the attribute set itself (no per-prefix map).
        const set = (d.best && this.exportPath(rt, d.best, d)) || undefined;
        const old = out.get(d.key) as AttrSet | undefined;
        // Nothing to send and nothing sent before: no withdrawal for a prefix the peer never had.
        if (set === old) {
          if (set) this.outStore.release(set);
          continue;
        }
        if (old) this.outStore.release(old);
        if (set) {
          out.set(d.key, set);
          announceOne(f, set, d.key, 0, false);
        } else {
          out.delete(d.key);
          withdrawOne(f, d.key, 0, false);
        }
        continue;
      }
      // ADD-PATH: path id → attribute set per prefix (RFC 7911).
      const want = new Map<number, AttrSet>();
      for (const p of this.addPathCandidates(d, rt.addPathSend)) {
        const set = this.exportPath(rt, p, d);
        if (set) want.set(p.txId, set);
      }
      const have = out.get(d.key) as Map<number, AttrSet> | undefined;
      for (const [pathId, set] of want) {
        const old = have?.get(pathId);
        if (old === set) {
          this.outStore.release(set);
          continue;
        }
        if (old) this.outStore.release(old);
        announceOne(f, set, d.key, pathId, true);
      }
      if (have) {
        for (const [pathId, old] of have) {
          if (want.has(pathId)) continue;
          this.outStore.release(old);
          withdrawOne(f, d.key, pathId, true);
        }
      }
      // `want` holds exactly one reference per set: it becomes the Adj-RIB-Out entry.
      if (want.size) out.set(d.key, want);
      else out.delete(d.key);
    }
    const messages = packUpdates(announce, withdraw, rt.params, this.updateCache ?? new UpdateCache());
    if (messages.length) rt.sender.sendUpdates(messages);
  }

  /**
   * Replaces a peer's policies without touching its session (reload). A new export policy is applied
   * at once by re-exporting every destination (only differences are sent); a new import policy needs
   * the peer to send its routes again (ROUTE-REFRESH, RFC 2918), which the caller asks for.
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
    rt.exportFilter = new ExportFilter(p.exportPolicy, info, this.outStore);
    rt.blockExport = !!ebgpRequiresPolicy(info, 'export', p.exportPolicy.length > 0, p.ebgpRequiresPolicy);
    if (!rt.syncing) this.exportDests(rt, this.allDests(rt));
  }

  /**
   * Soft reconfiguration out: brings the Adj-RIB-Out up to date (withdrawing what no longer passes),
   * then with `resend` announces the whole table again, as an answer to ROUTE-REFRESH does.
   * Returns false when the peer has no routing session (or is still sending its initial table).
   */
  refreshOut(info: PeerInfo, resend = true): boolean {
    const rt = this.peers.get(info);
    if (!rt || rt.syncing) return false;
    const dests = this.allDests(rt);
    this.exportDests(rt, dests);
    if (resend) {
      for (const f of [4, 6] as const) this.clearOut(rt, f);
      this.exportDests(rt, dests);
    }
    return true;
  }

  /** Empties a family's Adj-RIB-Out, dropping its references. */
  private clearOut(rt: PeerRuntime, f: 4 | 6): void {
    for (const e of rt.out[f].values()) {
      if (e instanceof Map) for (const set of e.values()) this.outStore.release(set);
      else this.outStore.release(e);
    }
    rt.out[f].clear();
  }

  private allDests(rt: PeerRuntime): Dest[] {
    const out: Dest[] = [];
    for (const f of rt.families) for (const d of this.rib.tables[f].values()) out.push(d);
    return out;
  }

  /** True once the initial table and End-of-RIB went to the peer (RFC 4724 §2). */
  initialTableSent(info: PeerInfo): boolean {
    const rt = this.peers.get(info);
    return !!rt && !rt.syncing;
  }

  /** Interned attribute sets of the Adj-RIBs-Out (the RIB's own are `rib.store.size`). */
  get exportedAttributeSets(): number {
    return this.outStore.size;
  }

  /** Number of prefixes currently advertised to a peer (PfxSnt). */
  advertisedCount(info: PeerInfo): number {
    const rt = this.peers.get(info);
    if (!rt) return 0;
    let n = 0;
    for (const f of [4, 6] as const) for (const e of rt.out[f].values()) n += outCount(e);
    return n;
  }

  /** Number of paths in the RIB learned from a peer (PfxRcd); the Loc-RIB keeps the count. */
  receivedCount(info: PeerInfo): number {
    return this.rib.countOf(info);
  }

  /** Paths received (in the RIB) and prefixes advertised, per family. */
  prefixCounts(info: PeerInfo): Record<4 | 6, { received: number; advertised: number }> {
    const rt = this.peers.get(info);
    const advertised = (f: 4 | 6) => {
      let n = 0;
      if (rt) for (const e of rt.out[f].values()) n += outCount(e);
      return n;
    };
    return {
      4: { received: this.rib.countOf(info, 4), advertised: advertised(4) },
      6: { received: this.rib.countOf(info, 6), advertised: advertised(6) },
    };
  }
}

/** Paths advertised for one prefix in an Adj-RIB-Out entry. */
const outCount = (e: AttrSet | Map<number, AttrSet>): number => (e instanceof Map ? e.size : 1);
