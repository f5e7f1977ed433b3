/**
 * The routing engine, composed of one part per responsibility: the session registry
 * (peer-registry.ts), import (import-pipeline.ts), origination (origination.ts), when the decision
 * runs (decision-turns.ts) and the update groups sessions share (update-groups.ts, out-group.ts).
 * This class wires them and answers the queries the speaker and its adapters ask.
 */

import { AttrStore } from '../rib/attr-store.js';
import { compare, type DecisionOptions } from '../rib/decision.js';
import type { LocalInfo } from '../rib/export-rules.js';
import { type Dest, LocRib } from '../rib/loc-rib.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import type { Path, PeerInfo, RouteAttrs } from '../rib/types.js';
import { type Clock, RealClock } from '../util/clock.js';
import { immediateTurns, type TurnScheduler } from '../util/turns.js';
import type { SessionParams, UpdateMessage } from '../wire/index.js';
import { DecisionTurns } from './decision-turns.js';
import type { GroupSettings } from './group-member.js';
import { ImportPipeline } from './import-pipeline.js';
import { Origination } from './origination.js';
import type { PeerSender } from './out-batch.js';
import type { GroupContext } from './out-group.js';
import {
  blocks,
  type PeerPolicies,
  PeerRegistry,
  type PeerRoutingOptions,
  type PeerRuntime,
} from './peer-registry.js';
import { UpdateGroups } from './update-groups.js';

export type { PeerSender } from './out-batch.js';
export type { PeerRoutingOptions } from './peer-registry.js';

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
  /** Destinations decided and exported per event-loop turn (default 10,000): a peer going down
   * with a full table must not hold other sessions' timers for the whole table (RFC 4271 §4.4). */
  readonly flushChunk?: number;
  /** Told why received routes were not accepted (for debug logs). */
  readonly onRejected?: (peer: PeerInfo, family: 4 | 6, prefixes: number, reason: string) => void;
  /** Told how long each flush (decision + export) took and how many destinations changed (metrics). */
  readonly onFlush?: (seconds: number, destinations: number) => void;
  /** Timers for MinRouteAdvertisementInterval and the coalesce (default: the real clock). */
  readonly clock?: Clock;
  /** Event-loop turns for the decision and chunked tables (default: setImmediate). */
  readonly turns?: TurnScheduler;
  /** Milliseconds between a session's Established and its initial table (default 0). */
  readonly coalesceMs?: number;
}

export class RoutingEngine {
  readonly rib = new LocRib();
  private readonly outStore = new AttrStore();
  private readonly peers = new PeerRegistry();
  private readonly groups: UpdateGroups;
  private readonly importer: ImportPipeline;
  private readonly origination: Origination;
  private readonly decision: DecisionTurns;
  /** UPDATEs handed to a peer as already serialized for another (update groups). */
  sharedUpdates = 0;
  private readonly decisionOptions: DecisionOptions;
  /** The speaker itself as the source of originated routes (peer id 0). */
  readonly self: PeerInfo;

  constructor(o: RoutingOptions) {
    const clock = o.clock ?? new RealClock();
    const turns = o.turns ?? immediateTurns;
    const reachable = o.reachable;
    this.decisionOptions = {
      ...o.decision,
      reachable: reachable
        ? (p: Path) => p.peer.id === 0 || p.attrs.attrs.nextHop === undefined || reachable(p)
        : () => true,
    };
    const changed = () => this.decision.schedule();
    this.decision = new DecisionTurns({
      rib: this.rib,
      options: this.decisionOptions,
      turns,
      chunk: o.flushChunk ?? 10_000,
      // Each group computes and packs once for all its members.
      export: (dests) => {
        for (const g of this.peers.groups()) g.changed(dests);
      },
      ...(o.onBestChanged && { onBestChanged: o.onBestChanged }),
      ...(o.onFlush && { onFlush: o.onFlush }),
    });
    this.importer = new ImportPipeline({
      rib: this.rib,
      local: o.local,
      ...(o.onRejected && { onRejected: o.onRejected }),
      changed,
    });
    this.origination = new Origination(this.rib, o.local, changed);
    this.self = this.origination.self;
    const groupContext: GroupContext = {
      local: o.local,
      rib: this.rib,
      store: this.outStore,
      onSharedSubnet: o.onSharedSubnet ?? (() => false),
      candidates: (d, send) => this.addPathCandidates(d, send),
      syncChunk: o.syncChunk ?? 20_000,
      clock,
      turns,
      shared: (n) => {
        this.sharedUpdates += n;
      },
    };
    this.groups = new UpdateGroups(groupContext, clock, o.coalesceMs ?? 0, (rt) => this.peers.current(rt));
  }

  // ---- sessions ----

  peerUp(info: PeerInfo, params: SessionParams, sender: PeerSender, opts: PeerRoutingOptions): void {
    const rt = this.peers.add(info, params, sender, opts, (m, s) => this.groups.join(m, s));
    this.groups.start(rt);
  }

  /**
   * RFC 4724 §4.1: a restarting speaker defers its route selection's export: sessions coming up get
   * no table (nor End-of-RIB) until releaseExport(); imports and the decision go on meanwhile.
   */
  deferExport(): void {
    this.groups.defer();
  }

  /** Ends deferExport(): every session up gets its table and End-of-RIB now. */
  releaseExport(): void {
    this.groups.release();
  }

  get exportDeferred(): boolean {
    return this.groups.deferring;
  }

  /** Session gone: its paths leave the RIB (graceful restart keeps them stale instead). */
  peerDown(info: PeerInfo, keepStale = false): void {
    const rt = this.peers.get(info);
    if (rt) {
      this.groups.leave(rt);
      this.peers.delete(info);
    }
    // Either way a walk of the table, a chunk per turn (decision-turns.ts).
    if (keepStale) this.rib.beginMarkStale(info);
    else this.rib.beginFlush(info);
    this.decision.schedule();
  }

  /**
   * Drops the stale paths of a peer, or one family's (End-of-RIB after restart, EoRR, or timer
   * expiry), a chunk of destinations per turn; returns how many.
   */
  purgeStale(info: PeerInfo, family?: 4 | 6): number {
    // A live session (RFC 7313 refresh): what the RIB purges leaves its kept Adj-RIB-In too.
    const adjIn = this.peers.get(info)?.adjIn;
    const n = this.rib.beginPurgeStale(
      info,
      family,
      adjIn ? (f, key, pathId) => adjIn.delete(f, key, pathId) : undefined,
    );
    this.decision.schedule();
    return n;
  }

  /** RFC 7313 §4: on BoRR the peer's paths of the family turn stale until the refresh replaces them. */
  markStale(info: PeerInfo, family: 4 | 6): number {
    const n = this.rib.beginMarkStale(info, family);
    this.decision.schedule();
    return n;
  }

  // ---- import and origination ----

  receiveUpdate(info: PeerInfo, m: UpdateMessage): void {
    const rt = this.peers.get(info);
    if (rt) this.importer.receive(rt, m);
  }

  /**
   * Soft reconfiguration inbound: the peer's kept Adj-RIB-In through import rules and policy again
   * (after a policy change), instead of a ROUTE-REFRESH. False when the peer keeps none.
   */
  reimport(info: PeerInfo): boolean {
    const rt = this.peers.get(info);
    return !!rt && this.importer.reimport(rt);
  }

  originate(family: 4 | 6, key: PrefixKey, attrs: RouteAttrs): void {
    this.origination.originate(family, key, attrs);
  }

  withdrawOrigin(family: 4 | 6, key: PrefixKey): void {
    this.origination.withdraw(family, key);
  }

  // ---- decision and export ----

  /** Runs the decision for what is dirty (a chunk per turn) and sends what changed; exposed for tests. */
  flush(): void {
    this.decision.flush();
  }

  /**
   * Runs the decision until nothing is dirty. At the end of a graceful-restart deferral the FIB takes
   * the whole table at once: a destination not decided yet would look like one without a route.
   */
  settle(): void {
    this.decision.settle();
  }

  /** Next-hop reachability may have changed (kernel routes or addresses): decide everything again. */
  recheckNextHops(): void {
    this.rib.beginTouchAll();
    this.decision.schedule();
  }

  /** Calls `fn` with the destinations of every decision run (events, waiters); returns the unsubscribe. */
  onChange(fn: (dests: readonly Dest[]) => void): () => void {
    return this.decision.onChange(fn);
  }

  /** RFC 7911 send: every usable path, or the best N in decision order. */
  private addPathCandidates(d: Dest, send: 'all' | number): Path[] {
    const usable = d.paths.filter((p) => this.decisionOptions.reachable(p));
    if (send === 'all' || usable.length <= send) return usable;
    return usable.sort((a, b) => compare(a, b, this.decisionOptions)).slice(0, send);
  }

  /**
   * Replaces a peer's policies without touching its session (reload). A new export policy moves the
   * peer to a private group that starts from what it was sent (update-groups.ts), so only
   * differences go out; a new import policy needs the peer to send its routes again (ROUTE-REFRESH,
   * RFC 2918), which the caller asks for.
   */
  setPolicies(info: PeerInfo, p: PeerPolicies): void {
    const rt = this.peers.get(info);
    if (!rt) return;
    rt.importPolicy = p.importPolicy;
    rt.blockImport = blocks(info, 'import', p.importPolicy, p.ebgpRequiresPolicy);
    const settings: GroupSettings = {
      ...rt.group.settings,
      exportPolicy: p.exportPolicy,
      blockExport: blocks(info, 'export', p.exportPolicy, p.ebgpRequiresPolicy),
    };
    this.groups.move(rt, settings, () => this.allDests(rt));
  }

  /**
   * Soft reconfiguration out: brings the Adj-RIB-Out up to date (withdrawing what no longer passes,
   * sending what an advertisement interval holds), then with `resend` announces the whole table
   * again, as an answer to ROUTE-REFRESH does. Returns false when the peer has no routing session
   * (or is still sending its initial table).
   */
  refreshOut(info: PeerInfo, resend = true): boolean {
    const rt = this.peers.get(info);
    if (!rt || !this.synced(rt)) return false;
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
    return !!rt && this.synced(rt);
  }

  private synced(rt: PeerRuntime): boolean {
    return rt.group.sync.stateOf(rt.member) === 'synced';
  }

  /** Interned attribute sets of the Adj-RIBs-Out (the RIB's own are `rib.store.size`). */
  get exportedAttributeSets(): number {
    return this.outStore.size;
  }

  /** Update groups and how many peers each has (largest first). */
  get groupSizes(): number[] {
    const sizes = new Map<unknown, number>();
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
