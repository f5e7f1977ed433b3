/**
 * The composition root: config → sessions → routing engine (→ FIB, with the FIB port). Each
 * Established session becomes a PeerInfo in the engine (src/core/session-bridge.ts); UPDATEs flow
 * in, packed UPDATEs flow out. It composes and starts/stops the parts; what each does lives in them.
 */
import { EventEmitter } from 'node:events';
import type { BfdStatus } from '../bfd/manager.js';
import { validateConfig } from '../config/load.js';
import type { Config, ConfigInput } from '../config/schema.js';
import type { FibStats } from '../fib/index.js';
import { type CompiledPolicy, compilePolicies } from '../policy/index.js';
import { keyFromText } from '../rib/prefix-key.js';
import type { Path, PeerInfo } from '../rib/types.js';
import { SessionManager } from '../session/manager.js';
import type { Logger, PeerHooks } from '../session/peer-session.js';
import { type Clock, RealClock, type Timer } from '../util/clock.js';
import type { NamespaceLock } from '../util/netns-lock.js';
import { bindFailure, StartError } from '../util/start-error.js';
import { BfdLink } from './bfd-link.js';
import { ConnectedRoutes, originateNetworks } from './connected-routes.js';
import { EnhancedRefreshReceiver } from './enhanced-refresh.js';
import { ANY_NEIGHBOR, type FaultHandle, FaultRegistry, type FaultSpec, type FaultView } from './faults.js';
import { claimNamespaceFib } from './fib-lock.js';
import { Forwarding } from './forwarding.js';
import { GracefulRestartHelper } from './graceful-restart.js';
import type { EventFilter, JournalEvent } from './journal.js';
import { type JournalHost, type JournalWiring, journalOff, wireJournal } from './journal-wiring.js';
import { networkAttrs, networkPrefix } from './networks.js';
import { applyReload, type ReloadReport } from './reload.js';
import { consumeRestartMarker, type MarkerReading } from './restart-marker.js';
import { resumeRestart, writeShutdownMarker } from './restart-shutdown.js';
import type { DeferralView, RestartingSpeaker } from './restarting-speaker.js';
import { type AdjRibEntry, adjRibEntries, type RibDumpEntry, ribDump, ribDumpEntry } from './rib-dump.js';
import { emitRouteEvents } from './route-events.js';
import { type RouteQuery, selectRoutes } from './route-query.js';
import { RoutingEngine } from './routing.js';
import { SessionBridge, unicastName } from './session-bridge.js';
import {
  type AdjRibRouteSnapshot,
  adjRibSnapshot,
  type NeighborSnapshot,
  neighborSnapshot,
  type RouteSnapshot,
  routeSnapshot,
} from './snapshot.js';
import { requireValidated, type SpeakerEvents, type SpeakerOptions } from './speaker-events.js';
import {
  applyNeighborAction,
  type NeighborAction,
  type NeighborSessionView,
  neighborSessionView,
  type RibCounts,
  ribCounts,
} from './speaker-queries.js';
import { LocalSubnets } from './subnets.js';
import { type PrefixWaitOptions, type WaitOptions, waitForEstablished, waitForPrefix } from './waiters.js';
import { WireTaps } from './wire-taps.js';

export type { SpeakerEvents, SpeakerOptions } from './speaker-events.js';

const silent: Logger = { info() {}, warn() {}, debug() {} };

/** Seconds routes left in the kernel by an earlier run are kept at start before reconciling. */
const STARTUP_HOLD_SECONDS = 15;

const firstOf = (a: string | readonly string[]): string => (typeof a === 'string' ? a : a[0]);

export class Speaker extends EventEmitter<SpeakerEvents> {
  private readonly log: Logger;
  readonly sessions: SessionManager;
  readonly routing: RoutingEngine;
  private readonly bridge: SessionBridge;
  /** RFC 4724 §4.2 / RFC 8538 receiving side: neighbors' paths kept stale across their restart. */
  readonly gracefulRestart: GracefulRestartHelper;
  /** RFC 4724 §4.1 restarting side: set when this run follows `rackbgp restart` (restart marker). */
  private restarting: RestartingSpeaker | undefined;
  private readonly clock: Clock;
  private readonly subnets = new LocalSubnets();
  private policies: ReadonlyMap<string, CompiledPolicy>;
  private current: Readonly<Config>;
  /** The event journal (issue 15, src/core/journal-wiring.ts); undefined with `journal: { size: 0 }`. */
  readonly journal: JournalWiring | undefined;
  /** Faults on command (`fault()`, the API, `rackbgp fault`). */
  readonly faults: FaultRegistry;
  /** RFC 7313 §4 receiver: a neighbor's BoRR … EoRR replaces its paths of the family. */
  readonly refreshIn: EnhancedRefreshReceiver;
  /** BFD sessions tied to the BGP sessions (src/core/bfd-link.ts). */
  private readonly bfd: BfdLink;
  /** Every BGP message read or sent, as bytes (MRT, BMP: src/core/wire-taps.ts). */
  readonly wireTaps: WireTaps;

  /** Validates a config object (the YAML file's schema, defaults filled in) into a Speaker; throws ConfigError. */
  static fromConfig(config: ConfigInput, options: SpeakerOptions = {}): Speaker {
    return new Speaker(validateConfig(config), options);
  }

  /** The running configuration (replaced by reconfigure). */
  get config(): Readonly<Config> {
    return this.current;
  }

  private forwarding: Forwarding | undefined;
  /** Held from bind() to stop() with fib: true: no other rackbgp changes this namespace's FIB. */
  private fibLock: NamespaceLock | undefined;
  private bound = false;
  private startupTimer: Timer | undefined;
  private readonly connected: ConnectedRoutes;

  /** Takes a config from loadConfig, parseConfig or validateConfig (Speaker.fromConfig validates a plain object). */
  constructor(config: Readonly<Config>, options: SpeakerOptions = {}) {
    super();
    requireValidated(config, 'new Speaker()');
    this.current = config;
    const log = options.logger ?? silent;
    this.log = log;
    this.clock = options.clock ?? new RealClock();
    this.policies = compilePolicies(config.policies, { localAsn: config.asn });
    this.routing = new RoutingEngine({
      local: {
        asn: config.asn,
        routerId: config['router-id'],
        clusterId: config['cluster-id'] ?? config['router-id'],
      },
      decision: {
        alwaysCompareMed: config['always-compare-med'],
        maximumPaths: config['maximum-paths'],
        multipathRelax: config['multipath-relax'],
        // RFC 4271 §9.1.2.2 (e): with fib: true the resolver knows the interior cost to each next hop.
        ...(config.fib && { igpCost: (path: Path) => this.forwarding?.igpCost(path) ?? 0 }),
      },
      onSharedSubnet: (nextHop, to) => this.subnets.shareSubnet(nextHop, to.address),
      // With fib: true a path waits for the resolver (startForwarding rechecks every path).
      reachable: (path) => this.forwarding?.reachable(path) ?? !this.config.fib,
      onRejected: (peer, family, prefixes, reason) =>
        log.debug(
          { peer: peer.address, family: unicastName(family), prefixes, reason },
          'received routes not accepted',
        ),
      onFlush: (seconds, destinations) => this.emit('flush', { seconds, destinations }),
      clock: this.clock,
      coalesceMs: config['coalesce-time'],
    });
    this.routing.onChange((dests) => emitRouteEvents(this, dests));
    this.connected = new ConnectedRoutes(this.routing, () => this.config.redistribute.connected);
    this.gracefulRestart = new GracefulRestartHelper({
      clock: this.clock,
      routing: this.routing,
      log,
      stalePathTime: () => this.config['graceful-restart']['stale-path-time'],
      announce: (g) => this.emit('gracefulRestart', g),
    });
    this.refreshIn = new EnhancedRefreshReceiver({
      clock: this.clock,
      rib: this.routing,
      log,
      staleTime: () => this.config['refresh-stale-time'],
    });
    this.bridge = new SessionBridge({
      log,
      clock: this.clock,
      routing: this.routing,
      subnets: this.subnets,
      gracefulRestart: this.gracefulRestart,
      refreshIn: this.refreshIn,
      config: () => this.config,
      sessions: () => this.sessions,
      policies: () => this.policies,
      faults: () => this.faults,
      restarting: () => this.restarting,
      emitEstablished: (e) => this.emit('established', e),
      emitEndOfRib: (e) => this.emit('endOfRib', e),
      emitEndOfRibSent: (e) => this.emit('endOfRibSent', e),
    });
    this.wireTaps = new WireTaps(() => this.config.asn);
    const hooks: PeerHooks = {
      ...this.bridge.hooks(),
      wire: this.wireTaps.hook,
      stateChange: (peer, from, to) => {
        log.debug({ peer: peer.endpoint.address, from, to }, 'FSM transition');
        this.emit('state', { neighbor: peer.endpoint.address, from, to });
        if ((to === 'Active' || to === 'Idle') && from !== 'Idle')
          this.sessions.forgetIfDynamic(peer.endpoint.address);
      },
    };
    this.sessions = new SessionManager(config, {
      clock: this.clock,
      wallClock: Date.now,
      random: Math.random,
      log,
      hooks,
      mayStart: (address) => this.bfd.mayStart(address),
    });
    this.bfd = new BfdLink(
      {
        log,
        clock: this.clock,
        config: () => this.config,
        sessions: () => this.sessions,
        announce: (e) => this.emit('bfd', e),
      },
      options.bfdTransport,
    );
    // Dynamic neighbors get their BFD session once they exist, and lose it with them.
    this.on('state', (s) => {
      if (s.to === 'Established' || s.from === 'Established') this.syncBfd();
    });
    this.journal = wireJournal(this as unknown as JournalHost, {
      size: config.journal.size,
      clock: this.clock,
    });
    this.faults = new FaultRegistry({
      clock: this.clock,
      peer: (a) => this.sessions.peers.get(a),
      applyExport: (a) => this.bridge.applyPolicies(a),
      reannounce: (a) => this.softRefresh(a, 'out'),
      hasFib: () => !!this.forwarding,
      freezeFib: (frozen) => {
        if (frozen) this.forwarding?.freeze();
        else this.forwarding?.thaw([4, 6].flatMap((f) => [...this.routing.rib.tables[f as 4 | 6].values()]));
        return !!this.forwarding;
      },
      emit: (e) => {
        log.info({ fault: e.id, peer: e.neighbor, kind: e.kind, detail: e.detail }, `fault ${e.phase}`);
        this.emit('fault', e);
      },
    });
    this.on('state', (s) => this.faults.sessionState(s.neighbor, s.from, s.to));
  }

  /** Starts a fault on a neighbor's session (or `*` for fib-freeze); throws FaultError on bad input. */
  fault(address: string, spec: FaultSpec): FaultHandle {
    return this.faults.start(address || ANY_NEIGHBOR, spec);
  }

  /** Faults in effect, of one neighbor or all. */
  faultList(neighbor?: string): FaultView[] {
    return this.faults.list(neighbor);
  }

  /** Ends a fault by id (of `neighbor`, when given); false when there is none. */
  cancelFault(id: number, neighbor?: string): boolean {
    return this.faults.cancel(id, neighbor);
  }

  /**
   * Claims what must be this speaker's alone without touching the kernel: with fib: true the FIB of
   * the network namespace (one such rackbgp per namespace), then the BGP listeners. Throws a
   * StartError naming the key (`fib`, `listen`) and the address, having released what it took.
   * start() calls it when it has not run.
   */
  async bind(): Promise<void> {
    if (this.bound) return;
    if (this.config.fib) this.fibLock = await claimNamespaceFib(this.config['router-id']);
    try {
      await this.sessions.listen();
    } catch (e) {
      await this.sessions.stop();
      await this.fibLock?.release();
      this.fibLock = undefined;
      throw bindFailure('listen', firstOf(this.config.listen.address), this.config.listen.port, e);
    }
    const bfdError = this.bfd.sync() ?? (await this.bfd.ready());
    if (bfdError) {
      await this.sessions.stop();
      await this.fibLock?.release();
      this.fibLock = undefined;
      throw new StartError('bfd', bfdError);
    }
    this.bound = true;
  }

  /**
   * bind(), then the kernel: routes an earlier run left (our protocol only) are adopted, and the
   * sessions start. Nothing in the kernel changes before every socket is bound.
   */
  async start(): Promise<void> {
    await this.bind();
    const gr = this.config['graceful-restart'];
    this.noteRestart(consumeRestartMarker(gr['state-dir'], this.config['router-id'], Date.now()));
    if (this.config.fib) await this.startForwarding();
    originateNetworks(this.routing, this.config.networks);
    this.sessions.start();
  }

  /** RFC 4724 §4.1: this run follows `rackbgp restart` when the marker says so (src/core/restart-shutdown.ts). */
  private noteRestart(m: MarkerReading): void {
    const restarting = resumeRestart(
      m,
      this.config,
      { routing: this.routing, sessions: this.sessions, forwarding: () => this.forwarding },
      {
        clock: this.clock,
        log: this.log,
        announce: (e) => this.emit('restarting', e),
        inListenRange: (a) => this.sessions.inListenRange(a),
      },
    );
    if (restarting) this.restarting = restarting;
  }

  /** Graceful restart of this daemon as seen now (restarting side, RFC 4724 §4.1). */
  restartDeferral(): DeferralView | undefined {
    return this.restarting?.view();
  }

  /**
   * `rackbgp restart` (RFC 4724 §4.1): leaves the restart marker, keeps the kernel routes, and closes
   * every session without a NOTIFICATION so the neighbors keep our routes as helpers. The process
   * is expected to exit and run again within the restart time. Returns the marker file.
   */
  async restartGracefully(): Promise<string> {
    const file = writeShutdownMarker(
      this.config,
      !!this.forwarding,
      this.sessions.gracefulDynamicPeers(),
      this.log,
    );
    this.quiesce();
    this.forwarding?.freeze();
    await this.sessions.abandon();
    await this.releaseFib(true);
    return file;
  }

  /** Timers, faults and the graceful-restart machinery stopped: the first half of stop() and restartGracefully(). */
  private quiesce(): void {
    // AdminDown to every BFD peer first: not a failure for them (RFC 5882 §3.2), GR helpers keep our routes.
    this.bfd.stop();
    this.faults.stop();
    this.startupTimer?.cancel();
    this.bridge.stop();
    this.gracefulRestart.stop();
    this.refreshIn.stop();
    this.restarting?.stop();
  }

  /** The FIB stopped (its routes kept or removed) and the namespace lock released. */
  private async releaseFib(keep: boolean): Promise<void> {
    await this.forwarding?.stop(keep);
    this.forwarding = undefined;
    await this.fibLock?.release();
    this.fibLock = undefined;
    this.bound = false;
  }

  /** FIB state (routes wanted, installed, waiting, refused; operations sent); undefined with fib: false. */
  fibState(): FibStats | undefined {
    return this.forwarding?.stats();
  }

  /** The FIB's routes with their state (installed, waiting, refused with the kernel's error); undefined with fib: false. */
  fibRoutes(): ReturnType<Forwarding['routes']> | undefined {
    return this.forwarding?.routes();
  }

  /** Kernel FIB, next-hop resolution and connected prefixes (fib: true). */
  private async startForwarding(): Promise<void> {
    const fwd = await Forwarding.start({
      metric: this.config['fib-metric'],
      method: this.config['fib-method'],
      log: this.log,
      onApplied: (changes, failed) => this.emit('fibApplied', { changes, failed }),
    });
    this.forwarding = fwd;
    this.routing.onChange((dests) => fwd.update(dests));
    fwd.onChange((c) => {
      if (c.routesChanged || c.added.length || c.removed.length) this.routing.recheckNextHops();
      if (c.added.length || c.removed.length) this.connected.resync();
    });
    this.connected.follow(fwd.resolver);
    // Whatever the RIB holds already is judged with the resolver now, and reaches the FIB.
    this.routing.recheckNextHops();
    // After `rackbgp restart` the kernel keeps what it has until the deferral ends (RFC 4724 §4.1).
    if (this.restarting?.isDeferring) {
      fwd.freeze();
      return;
    }
    // Routes an earlier run left stay until the sessions had time to converge, then go if unwanted.
    this.startupTimer = this.clock.setTimer(STARTUP_HOLD_SECONDS * 1000, () => fwd.endStartup());
  }

  /** Cease to every peer, then every socket and timer released (the process can exit by itself). */
  async stop(message?: string): Promise<void> {
    this.quiesce();
    // Our routes leave the kernel with us (we are a graceful-restart helper, not a restarting speaker),
    // unless fib-keep-on-shutdown asks to keep forwarding: then the sessions' withdrawals stay out of it.
    const keep = this.config['fib-keep-on-shutdown'];
    if (keep) this.forwarding?.freeze();
    await this.sessions.stop(message);
    await this.releaseFib(keep);
  }

  /** Applies a new configuration, diffed against the running one (src/core/reload.ts). */
  reconfigure(next: Readonly<Config>): ReloadReport {
    requireValidated(next, 'reconfigure()');
    const report = applyReload(
      {
        config: this.config,
        sessions: this.sessions,
        log: this.log,
        commit: (c) => {
          this.current = c;
          this.policies = compilePolicies(c.policies, { localAsn: c.asn });
        },
        applyPolicies: (address) => this.bridge.applyPolicies(address),
        requestRefresh: (address) => this.bridge.requestRefresh(address),
        originate: (n) => {
          const k = keyFromText(networkPrefix(n));
          if (k) this.routing.originate(k.family, k.key, networkAttrs(n));
        },
        withdrawNetwork: (prefix) => {
          const k = keyFromText(prefix);
          if (k) this.routing.withdrawOrigin(k.family, k.key);
        },
      },
      next,
    );
    this.syncBfd();
    this.emit('reload', report);
    return report;
  }

  /**
   * Soft reconfiguration without a reset: `in` asks the peer for its routes again (ROUTE-REFRESH,
   * RFC 2918), `out` sends our Adj-RIB-Out again. False when the session is not Established (or,
   * for `in`, route refresh was not negotiated).
   */
  softRefresh(address: string, direction: 'in' | 'out'): boolean {
    if (direction === 'in') return this.bridge.requestRefresh(address);
    const info = this.peerInfo(address);
    return !!info && this.routing.refreshOut(info);
  }

  /** Resolves once `prefix` has a best path (and a path from `neighbor`, if given); rejects on timeout. */
  waitForPrefix(prefix: string, options?: PrefixWaitOptions): Promise<RouteSnapshot> {
    return waitForPrefix(this, prefix, options);
  }

  /** Resolves once the neighbor is Established; rejects on timeout with its state and last error. */
  waitForEstablished(address: string, options?: WaitOptions): Promise<NeighborSnapshot> {
    return waitForEstablished(this, address, options);
  }

  /** Journal events from `since` (default: the next) as they happen, as an async iterator. */
  events(filter?: Omit<EventFilter, 'limit'>): AsyncIterableIterator<JournalEvent> {
    return (this.journal ?? journalOff()).events(filter);
  }

  /** The first journal event matching `predicate`; rejects on timeout with the recent journal. */
  waitFor(
    predicate: (e: JournalEvent) => boolean,
    options?: { timeout?: number; since?: number },
  ): Promise<JournalEvent> {
    return (this.journal ?? journalOff()).waitFor(predicate, options);
  }

  /** Paths received and prefixes advertised per family; zeros when the session is not up. */
  prefixCounts(address: string): Record<4 | 6, { received: number; accepted: number; advertised: number }> {
    const info = this.peerInfo(address);
    const none = { received: 0, accepted: 0, advertised: 0 };
    return info ? this.routing.prefixCounts(info) : { 4: none, 6: none };
  }

  /** The Adj-RIB-Out of a neighbor (what it was sent); undefined when the session is not up. */
  advertisedRoutes(address: string): AdjRibRouteSnapshot[] | undefined {
    const info = this.peerInfo(address);
    if (!info) return undefined;
    return ([4, 6] as const).flatMap((f) => adjRibSnapshot(f, this.routing.adjRibOut(info, f)));
  }

  /**
   * The Adj-RIB-In before import policy (soft-reconfiguration-inbound); undefined when the session
   * is not up, null when it is not kept.
   */
  receivedRoutes(address: string): AdjRibRouteSnapshot[] | null | undefined {
    const info = this.peerInfo(address);
    if (!info) return undefined;
    const byFamily = ([4, 6] as const).map((f) => [f, this.routing.adjRibIn(info, f)] as const);
    if (byFamily.some(([, e]) => e === null)) return null;
    return byFamily.flatMap(([f, e]) => adjRibSnapshot(f, e ?? []));
  }

  /** True once the initial table and End-of-RIB were sent to the neighbor. */
  initialTableSent(address: string): boolean {
    const info = this.peerInfo(address);
    return !!info && this.routing.initialTableSent(info);
  }

  private peerInfo(address: string): PeerInfo | undefined {
    return this.bridge.infoAt(address);
  }

  neighbors(): NeighborSnapshot[] {
    return [...this.sessions.peers.values()].map((p) => {
      const info = this.bridge.infoOf(p);
      return neighborSnapshot(p, {
        prefixesReceived: info ? this.routing.receivedCount(info) : 0,
        prefixesSent: info ? this.routing.advertisedCount(info) : 0,
        dynamic: this.sessions.isDynamic(p.endpoint.address),
        gracefulRestart: this.gracefulRestart.state(p.endpoint.address),
      });
    });
  }

  /** Routes in the Loc-RIB, optionally one prefix only. */
  routes(filter: { prefix?: string } = {}): RouteSnapshot[] {
    if (filter.prefix) {
      const k = keyFromText(filter.prefix);
      const d = k && this.routing.rib.get(k.family, k.key);
      return d ? [routeSnapshot(d)] : [];
    }
    const out: RouteSnapshot[] = [];
    for (const f of [4, 6] as const)
      for (const d of this.routing.rib.tables[f].values()) out.push(routeSnapshot(d));
    return out;
  }

  /** BFD sessions and dropped packets, for `show bfd` and the metrics. */
  bfdStatus(): BfdStatus {
    return this.bfd.engine.status();
  }

  /** BFD sessions follow the configuration and the dynamic neighbors; a socket error is logged. */
  private syncBfd(): void {
    const err = this.bfd.sync();
    if (err) this.log.warn({ err }, 'BFD: cannot open its sockets');
  }

  /** The Loc-RIB with every path of each prefix (MRT table dumps, BMP). */
  ribDump(): Iterable<RibDumpEntry> {
    return ribDump(this.routing.rib.tables);
  }

  /**
   * A neighbor's Adj-RIB-In before import policy (`in`; null when not kept: soft-reconfiguration-inbound)
   * or Adj-RIB-Out (`out`), with attributes (BMP); undefined when the session is not up.
   */
  adjRib(address: string, which: 'in' | 'out'): AdjRibEntry[] | null | undefined {
    const info = this.peerInfo(address);
    if (!info) return undefined;
    const out: AdjRibEntry[] = [];
    for (const f of [4, 6] as const) {
      const rows = which === 'in' ? this.routing.adjRibIn(info, f) : this.routing.adjRibOut(info, f);
      if (!rows) return null;
      out.push(...adjRibEntries(f, rows));
    }
    return out;
  }

  /** Calls `fn` with the prefixes whose paths changed, after each decision run; returns the unsubscribe. */
  onRibChange(fn: (entries: RibDumpEntry[]) => void): () => void {
    return this.routing.onChange((dests) => fn(dests.map(ribDumpEntry)));
  }

  /** Graceful-restart helper state of a neighbor, for snapshots. */
  restartState(address: string): { families: string[]; until: number } | undefined {
    return this.gracefulRestart.state(address);
  }

  /** Routes matching a parsed `show route` query (prefix, longer prefixes, or an address's LPM). */
  routesMatching(query: RouteQuery): RouteSnapshot[] {
    return selectRoutes(this.routing.rib, query).map(routeSnapshot);
  }

  /** Loc-RIB counts per family, interned attribute sets and update groups. */
  ribCounts(): RibCounts {
    return ribCounts(this.routing);
  }

  /** A configured (or dynamic) neighbor. */
  hasNeighbor(address: string): boolean {
    return this.sessions.peers.has(address);
  }

  /** A neighbor's session and settings as plain data; undefined for an unknown address. */
  neighborSession(address: string): NeighborSessionView | undefined {
    const peer = this.sessions.peers.get(address);
    return peer && neighborSessionView(peer, this.sessions.settingsOf(address));
  }

  /** An operator action on a neighbor's session (reset, shutdown, enable, trace); false when unknown. */
  neighborAction(address: string, action: NeighborAction): boolean {
    const peer = this.sessions.peers.get(address);
    if (peer) applyNeighborAction(peer, action);
    return !!peer;
  }

  /** Connections refused because no neighbor has their address. */
  get unknownConnections(): number {
    return this.sessions.stats.unknownConnections;
  }

  /** Counters of the graceful-restart helper (RFC 4724 §4.2) and enhanced route refresh (RFC 7313). */
  restartTotals(): {
    helper: GracefulRestartHelper['totals'];
    enhancedRefresh: EnhancedRefreshReceiver['totals'];
  } {
    return { helper: this.gracefulRestart.totals, enhancedRefresh: this.refreshIn.totals };
  }
}
