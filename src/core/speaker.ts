/**
 * The composition root: config → sessions → routing engine (→ FIB, with the FIB port). Each
 * Established session becomes a PeerInfo in the engine; UPDATEs flow in, packed UPDATEs flow out.
 */
import { EventEmitter } from 'node:events';
import { isValidatedConfig, validateConfig } from '../config/load.js';
import type { Config, ConfigInput } from '../config/schema.js';
import type { FibChange, FibFailure, FibStats } from '../fib/index.js';
import { type CompiledPolicy, compilePolicies, policyChain } from '../policy/index.js';
import type { Dest } from '../rib/loc-rib.js';
import { keyFromText, keyLength, keyToText, type PrefixKey } from '../rib/prefix-key.js';
import type { Path, PeerInfo } from '../rib/types.js';
import type { SessionState } from '../session/fsm.js';
import { SessionManager } from '../session/manager.js';
import type { Logger, PeerHooks, PeerSession } from '../session/peer-session.js';
import { type Clock, RealClock, type Timer } from '../util/clock.js';
import { ipFamily, parseIPv4, parsePrefix } from '../util/ip.js';
import { NamespaceLock, NamespaceLockHeld } from '../util/netns-lock.js';
import { bindFailure, StartError } from '../util/start-error.js';
import {
  CeaseSubcode,
  ErrorCode,
  endOfRib,
  endOfRibFamily,
  familyName,
  IPV4_UNICAST,
  IPV6_UNICAST,
  type NotificationMessage,
  Origin,
  RefreshSubtype,
  type SessionParams,
  type UpdateMessage,
} from '../wire/index.js';
import { EnhancedRefreshReceiver } from './enhanced-refresh.js';
import {
  ANY_NEIGHBOR,
  type FaultEvent,
  type FaultHandle,
  FaultRegistry,
  type FaultSpec,
  WITHDRAW_ALL_POLICY,
} from './faults.js';
import { Forwarding } from './forwarding.js';
import { GracefulRestartHelper } from './graceful-restart.js';
import type { EventFilter, JournalEvent } from './journal.js';
import {
  endOfRibFamilies,
  type GracefulRestartAnnouncement,
  type JournalHost,
  type JournalWiring,
  journalOff,
  wireJournal,
} from './journal-wiring.js';
import { networkAttrs, networkPrefix } from './networks.js';
import { applyReload, type ReloadReport } from './reload.js';
import { consumeRestartMarker, type MarkerReading, writeRestartMarker } from './restart-marker.js';
import {
  type DeferralView,
  enterRestart,
  type RestartAnnouncement,
  type RestartingSpeaker,
} from './restarting-speaker.js';
import { RoutingEngine } from './routing.js';
import {
  type AdjRibRouteSnapshot,
  adjRibSnapshot,
  type NeighborSnapshot,
  neighborSnapshot,
  type RouteSnapshot,
  routeSnapshot,
} from './snapshot.js';
import { LocalSubnets } from './subnets.js';
import { type PrefixWaitOptions, type WaitOptions, waitForEstablished, waitForPrefix } from './waiters.js';

export interface SpeakerOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface SpeakerEvents {
  state: [{ neighbor: string; from: SessionState; to: SessionState }];
  established: [{ neighbor: string; params: SessionParams }];
  endOfRib: [{ neighbor: string; family: string }];
  /** A prefix has a best path (new or changed); only computed while someone listens. */
  routeAdded: [RouteSnapshot];
  /** A prefix has no usable path any more. */
  routeWithdrawn: [{ prefix: string; family: 4 | 6 }];
  /** One run of the decision process and export: its duration and the destinations it changed. */
  flush: [{ seconds: number; destinations: number }];
  /** End-of-RIB handed to a neighbor's session (RFC 4724 §2). */
  endOfRibSent: [{ neighbor: string; family: string }];
  /** Our own graceful restart (RFC 4724 §4.1): deferral begun, a neighbor's End-of-RIB, deferral over. */
  restarting: [RestartAnnouncement];
  /** Graceful-restart helper outcomes (RFC 4724 §4.2), for the journal. */
  gracefulRestart: [GracefulRestartAnnouncement];
  /** A configuration reload, applied or not. */
  reload: [ReloadReport];
  /** What the kernel took and refused of one FIB batch. */
  fibApplied: [{ changes: readonly FibChange[]; failed: readonly FibFailure[] }];
  /** A fault (src/core/faults.ts) started or ended. */
  fault: [FaultEvent];
}

const silent: Logger = { info() {}, warn() {}, debug() {} };

/** Seconds routes left in the kernel by an earlier run are kept at start before reconciling. */
const STARTUP_HOLD_SECONDS = 15;

/** True when prefix `outer` contains prefix `inner`. */
function prefixCovers(outer: string, inner: string): boolean {
  const o = parsePrefix(outer, true);
  const i = parsePrefix(inner, true);
  if (!o || !i || o.family !== i.family || i.length < o.length) return false;
  for (let bit = 0; bit < o.length; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((o.bytes[bit >> 3] & m) !== (i.bytes[bit >> 3] & m)) return false;
  }
  return true;
}

const firstOf = (a: string | readonly string[]): string => (typeof a === 'string' ? a : a[0]);

/** The abstract socket name of the lock (per network namespace, see src/util/netns-lock.ts). */
const FIB_LOCK = 'rackbgp/fib';

/** The namespace's FIB for this process, or a StartError naming the rackbgp that holds it. */
async function claimNamespaceFib(routerId: string): Promise<NamespaceLock> {
  try {
    return await NamespaceLock.acquire(FIB_LOCK, { routerId });
  } catch (e) {
    if (!(e instanceof NamespaceLockHeld)) throw e;
    const h = e.holder;
    const who = h
      ? `another rackbgp (pid ${h.pid}${typeof h.routerId === 'string' ? `, router-id ${h.routerId}` : ''})`
      : 'another rackbgp';
    throw new StartError(
      'fib',
      `${who} already runs with fib: true in this network namespace, and only one may own its routes; ` +
        'stop it first, or run this one with fib: false',
    );
  }
}

/** A raw object would fail deep inside with a TypeError; say what to call instead. */
function requireValidated(config: unknown, what: string): void {
  if (!isValidatedConfig(config))
    throw new Error(
      `${what} takes a validated config: use Speaker.fromConfig(object) or loadConfig(file) / validateConfig(object)`,
    );
}

/** Families by name in logs and snapshots, as the config spells them. */
const unicastName = (f: 4 | 6) => (f === 4 ? 'ipv4-unicast' : 'ipv6-unicast');

const familyNumber = (f: number): 4 | 6 | 0 => (f === IPV4_UNICAST ? 4 : f === IPV6_UNICAST ? 6 : 0);

export class Speaker extends EventEmitter<SpeakerEvents> {
  private readonly log: Logger;
  readonly sessions: SessionManager;
  readonly routing: RoutingEngine;
  private readonly infos = new Map<PeerSession, PeerInfo>();
  private readonly params = new Map<PeerSession, SessionParams>();
  /** RFC 4724 §4.2 / RFC 8538 receiving side: neighbors' paths kept stale across their restart. */
  readonly gracefulRestart: GracefulRestartHelper;
  /** RFC 4724 §4.1 restarting side: set when this run follows `rackbgp restart` (restart marker). */
  private restarting: RestartingSpeaker | undefined;
  private readonly clock: Clock;
  private nextPeerId = 1;
  private readonly subnets = new LocalSubnets();
  private policies: ReadonlyMap<string, CompiledPolicy>;
  /** Timers that restart a peer after max-prefix (cancelled by stop()). */
  private readonly restartTimers = new Set<Timer>();
  private current: Readonly<Config>;
  /** The event journal (issue 15, src/core/journal-wiring.ts); undefined with `journal: { size: 0 }`. */
  readonly journal: JournalWiring | undefined;
  /** Faults on command (`fault()`, the API, `rackbgp fault`). */
  readonly faults: FaultRegistry;
  /** RFC 7313 §4 receiver: a neighbor's BoRR … EoRR replaces its paths of the family. */
  readonly refreshIn: EnhancedRefreshReceiver;

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
  private connectedOrigins = new Map<string, { family: 4 | 6; key: PrefixKey }>();

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
    this.routing.onChange((dests) => this.emitRoutes(dests));
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
    const hooks: PeerHooks = {
      established: (peer, params) => this.onEstablished(peer, params),
      down: (peer, reason, byNotification, notification) =>
        this.onDown(peer, reason, byNotification, notification),
      update: (peer, m) => this.onUpdate(peer, m),
      routeRefresh: (peer, m) => {
        // RFC 7313 §4: BoRR, the table, EoRR with enhanced refresh; a plain re-send otherwise.
        // The end marker is queued behind the re-sent UPDATEs, so it cannot overtake them.
        const info = this.infos.get(peer);
        if (m.subtype !== RefreshSubtype.NORMAL) {
          const f = familyNumber(m.family);
          if (!info || !f || !peer.params?.enhancedRouteRefresh) return;
          if (m.subtype === RefreshSubtype.BORR) this.refreshIn.begin(info, f);
          else if (m.subtype === RefreshSubtype.EORR) this.refreshIn.end(info, f);
          return;
        }
        const enhanced = peer.params?.enhancedRouteRefresh;
        if (enhanced) peer.send({ type: 'route-refresh', family: m.family, subtype: RefreshSubtype.BORR });
        if (info) this.routing.refreshOut(info);
        peer.connection?.sendAfterUpdates(
          enhanced
            ? { type: 'route-refresh', family: m.family, subtype: RefreshSubtype.EORR }
            : endOfRib(m.family),
        );
      },
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
    });
    this.journal = wireJournal(this as unknown as JournalHost, {
      size: config.journal.size,
      clock: this.clock,
    });
    this.faults = new FaultRegistry({
      clock: this.clock,
      peer: (a) => this.sessions.peers.get(a),
      applyExport: (a) => this.applyPolicies(a),
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
    this.originateNetworks();
    this.sessions.start();
  }

  /**
   * RFC 4724 §4.1 after `rackbgp restart`: the R bit in our OPENs, F for every family (the kernel
   * routes were kept), export and FIB changes deferred until End-of-RIB from every GR neighbor or
   * the selection-deferral timer.
   */
  private noteRestart(m: MarkerReading): void {
    if (m.kind === 'expired' || m.kind === 'invalid')
      this.log.warn({ why: m.why }, 'graceful restart marker ignored: starting afresh');
    if (m.kind !== 'restart') return;
    this.log.info(
      { restartedMsAgo: m.ageMs, fibKept: m.marker.fibKept, restartTime: m.marker.restartTime },
      'graceful restart: this run follows rackbgp restart',
    );
    const neighbors = this.config.neighbors.filter((n) => !(n.shutdown ?? this.config.defaults?.shutdown));
    this.restarting = enterRestart(
      { routing: this.routing, sessions: this.sessions, forwarding: () => this.forwarding },
      {
        clock: this.clock,
        log: this.log,
        deferralTime: this.config['graceful-restart']['selection-deferral-time'],
        announce: (e) => this.emit('restarting', e),
      },
      neighbors.map((n) => n.address),
    );
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
    const times = this.config.neighbors.map((n) => {
      const gr = n['graceful-restart'] ?? this.config.defaults?.['graceful-restart'] ?? true;
      return gr === false ? 0 : gr === true ? 120 : (gr['restart-time'] ?? 120);
    });
    const file = writeRestartMarker(this.config['graceful-restart']['state-dir'], {
      routerId: this.config['router-id'],
      pid: process.pid,
      at: Date.now(),
      restartTime: Math.max(120, ...times),
      fibKept: !!this.forwarding,
    });
    this.log.info(
      { marker: file },
      'graceful restart: closing sessions without NOTIFICATION, keeping the FIB',
    );
    this.faults.stop();
    this.startupTimer?.cancel();
    for (const t of this.restartTimers) t.cancel();
    this.restartTimers.clear();
    this.gracefulRestart.stop();
    this.refreshIn.stop();
    this.restarting?.stop();
    this.forwarding?.freeze();
    await this.sessions.abandon();
    await this.forwarding?.stop(true);
    this.forwarding = undefined;
    await this.fibLock?.release();
    this.fibLock = undefined;
    this.bound = false;
    return file;
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
      log: this.log,
      onApplied: (changes, failed) => this.emit('fibApplied', { changes, failed }),
    });
    this.forwarding = fwd;
    this.routing.onChange((dests) => fwd.update(dests));
    fwd.onChange((c) => {
      if (c.routesChanged || c.added.length || c.removed.length) this.routing.recheckNextHops();
      if (c.added.length || c.removed.length) this.redistributeConnected();
    });
    this.redistributeConnected();
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

  /** `redistribute: { connected }`: originate matching interface subnets; follow changes after start. */
  private redistributeConnected(): void {
    const wanted = this.config.redistribute.connected;
    if (!this.forwarding || !wanted.length) return;
    const now = new Map<string, { family: 4 | 6; key: PrefixKey }>();
    for (const c of this.forwarding.resolver.connected()) {
      const k = keyFromText(c.prefix);
      if (!k || keyLength(k.key) === (k.family === 4 ? 32 : 128)) continue;
      if (wanted.some((w) => w === c.dev || (w.includes('/') && prefixCovers(w, c.prefix))))
        now.set(c.prefix, k);
    }
    for (const [prefix, k] of this.connectedOrigins)
      if (!now.has(prefix)) this.routing.withdrawOrigin(k.family, k.key);
    for (const [prefix, k] of now) {
      if (!this.connectedOrigins.has(prefix))
        this.routing.originate(k.family, k.key, { origin: Origin.INCOMPLETE, asPath: [] });
    }
    this.connectedOrigins = now;
  }

  /** Cease to every peer, then every socket and timer released (the process can exit by itself). */
  async stop(message?: string): Promise<void> {
    this.faults.stop();
    this.startupTimer?.cancel();
    for (const t of this.restartTimers) t.cancel();
    this.restartTimers.clear();
    this.gracefulRestart.stop();
    this.refreshIn.stop();
    this.restarting?.stop();
    // Our routes leave the kernel with us (we are a graceful-restart helper, not a restarting speaker),
    // unless fib-keep-on-shutdown asks to keep forwarding: then the sessions' withdrawals stay out of it.
    const keep = this.config['fib-keep-on-shutdown'];
    if (keep) this.forwarding?.freeze();
    await this.sessions.stop(message);
    await this.forwarding?.stop(keep);
    this.forwarding = undefined;
    await this.fibLock?.release();
    this.fibLock = undefined;
    this.bound = false;
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
        applyPolicies: (address) => this.applyPolicies(address),
        requestRefresh: (address) => this.requestRefresh(address),
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
    this.emit('reload', report);
    return report;
  }

  /**
   * Soft reconfiguration without a reset: `in` asks the peer for its routes again (ROUTE-REFRESH,
   * RFC 2918), `out` sends our Adj-RIB-Out again. False when the session is not Established (or,
   * for `in`, route refresh was not negotiated).
   */
  softRefresh(address: string, direction: 'in' | 'out'): boolean {
    if (direction === 'in') return this.requestRefresh(address);
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
    const peer = this.sessions.peers.get(address);
    return peer && this.infos.get(peer);
  }

  private applyPolicies(address: string): boolean {
    const info = this.peerInfo(address);
    if (!info) return false;
    const s = this.sessions.settingsOf(address);
    this.routing.setPolicies(info, {
      importPolicy: policyChain(s.import, this.policies),
      exportPolicy: this.faults.blocksExport(address)
        ? [WITHDRAW_ALL_POLICY]
        : policyChain(s.export, this.policies),
      ebgpRequiresPolicy: this.config['ebgp-requires-policy'],
    });
    return true;
  }

  /** The peer's routes in again: from the kept Adj-RIB-In (soft reconfiguration), else ROUTE-REFRESH (RFC 2918). */
  private requestRefresh(address: string): boolean {
    const peer = this.sessions.peers.get(address);
    const info = peer && this.infos.get(peer);
    if (info && this.routing.reimport(info)) return true;
    const params = peer && this.params.get(peer);
    if (!peer || !params?.routeRefresh) return false;
    for (const family of params.families)
      peer.send({ type: 'route-refresh', family, subtype: RefreshSubtype.NORMAL });
    return true;
  }

  private emitRoutes(dests: readonly Dest[]): void {
    const added = this.listenerCount('routeAdded') > 0;
    const withdrawn = this.listenerCount('routeWithdrawn') > 0;
    if (!added && !withdrawn) return;
    for (const d of dests) {
      if (d.best) {
        if (added) this.emit('routeAdded', routeSnapshot(d));
      } else if (withdrawn)
        this.emit('routeWithdrawn', { prefix: keyToText(d.family, d.key), family: d.family });
    }
  }

  neighbors(): NeighborSnapshot[] {
    return [...this.sessions.peers.values()].map((p) => {
      const info = this.infos.get(p);
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

  private originateNetworks(): void {
    for (const n of this.config.networks) {
      const k = keyFromText(networkPrefix(n));
      if (k) this.routing.originate(k.family, k.key, networkAttrs(n));
    }
  }

  private onEstablished(peer: PeerSession, params: SessionParams): void {
    const address = peer.endpoint.address;
    const settings = this.sessions.settingsOf(address);
    const local = peer.connection?.localAddress ?? '';
    const iface = this.subnets.interfaceOf(local);
    const directlyConnected = this.subnets.shareSubnet(address, address);
    // RFC 4760 §3: routes of the other IP family on this session (IPv6 over an IPv4 session, or
    // the reverse) need a next hop self of that family: like FRR, our global address of that
    // family on the session's interface.
    const otherFamily = ipFamily(local) === 4 ? 6 : 4;
    const other = iface === undefined ? undefined : this.subnets.globalOf(iface, otherFamily);
    const local4 = ipFamily(local) === 4 ? local : other;
    const local6 = ipFamily(local) === 6 ? local : other;
    // RFC 2545 §3: our link-local address goes beside a global next hop self to a peer on the link.
    const linkLocal =
      local6 !== undefined && directlyConnected && iface !== undefined && !/^fe80:/i.test(local6)
        ? this.subnets.linkLocalOf(iface)
        : undefined;
    const info: PeerInfo = {
      id: this.nextPeerId++,
      address,
      asn: params.peerAsn,
      routerId: params.peerRouterId,
      routerIdNum: parseIPv4(params.peerRouterId),
      ibgp: params.peerAsn === this.config.asn,
      rrClient: settings['route-reflector-client'] ?? false,
      ...(local4 !== undefined && { localAddress4: local4 }),
      ...(local6 !== undefined && { localAddress6: local6 }),
      directlyConnected,
      ...(directlyConnected && this.subnets.pointToPoint(address) && { pointToPoint: true }),
      ...(iface !== undefined && { interface: iface }),
      ...(linkLocal !== undefined && { localLinkLocal6: linkLocal }),
    };
    this.infos.set(peer, info);
    this.params.set(peer, params);
    this.gracefulRestart.sessionUp(address, params);
    this.restarting?.established(address, params);
    this.routing.peerUp(
      info,
      params,
      {
        sendUpdates: (messages) => {
          peer.connection?.sendUpdates(messages);
          if (this.journal)
            for (const family of endOfRibFamilies(messages))
              this.emit('endOfRibSent', { neighbor: address, family });
        },
      },
      {
        export: {
          nextHopSelf: settings['next-hop-self'] ?? false,
          nextHopKeep: settings['next-hop-keep'] ?? false,
        },
        import: { allowasIn: settings['allowas-in'] ?? 0 },
        addPathSend: settings['add-paths']?.send ?? 'all',
        advertisementInterval: settings['advertisement-interval'] ?? 0,
        softReconfigurationInbound: settings['soft-reconfiguration-inbound'] ?? false,
        importPolicy: policyChain(settings.import, this.policies),
        exportPolicy: this.faults.blocksExport(address)
          ? [WITHDRAW_ALL_POLICY]
          : policyChain(settings.export, this.policies),
        ebgpRequiresPolicy: this.config['ebgp-requires-policy'],
        ...(settings['max-prefix'] && {
          maxPrefix: {
            limit: settings['max-prefix'].limit,
            exceeded: (f, limit) => this.maxPrefixExceeded(peer, f, limit),
          },
        }),
      },
    );
    this.emit('established', { neighbor: address, params });
  }

  private onDown(
    peer: PeerSession,
    reason: string,
    byNotification: boolean,
    notification: NotificationMessage | null = null,
  ): void {
    const info = this.infos.get(peer);
    const params = this.params.get(peer);
    if (!info || !params) return;
    this.infos.delete(peer);
    this.params.delete(peer);
    this.refreshIn.peerDown(info);
    this.gracefulRestart.sessionDown(peer.endpoint.address, info, params, {
      reason,
      byNotification,
      notification,
      // RFC 8538 §2 from this session's OPENs (the peer's session object has already let them go).
      notificationGr:
        !!params.peerGracefulRestart?.notification &&
        !!peer.config.localOpen.capabilities.some((c) => c.kind === 'graceful-restart' && c.notification),
    });
  }

  /** RFC 4486 §4: Cease/Maximum Number of Prefixes Reached with AFI, SAFI and the limit; restart later if configured. */
  private maxPrefixExceeded(peer: PeerSession, family: 4 | 6, limit: number): void {
    const restartAfter = this.sessions.settingsOf(peer.endpoint.address)['max-prefix']?.['restart-after'];
    this.log.warn(
      { peer: peer.endpoint.address, family: unicastName(family), limit, restartAfter },
      'maximum prefixes exceeded',
    );
    const data = Uint8Array.of(
      0,
      family === 4 ? 1 : 2,
      1,
      limit >>> 24,
      (limit >>> 16) & 255,
      (limit >>> 8) & 255,
      limit & 255,
    );
    peer.stopWith({
      type: 'notification',
      code: ErrorCode.CEASE,
      subcode: CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED,
      data,
    });
    if (restartAfter) {
      const t = this.clock.setTimer(restartAfter * 1000, () => {
        this.restartTimers.delete(t);
        peer.start();
      });
      this.restartTimers.add(t);
    }
  }

  /** Graceful-restart helper state of a neighbor, for snapshots. */
  restartState(address: string): { families: string[]; until: number } | undefined {
    return this.gracefulRestart.state(address);
  }

  private onUpdate(peer: PeerSession, m: UpdateMessage): void {
    const info = this.infos.get(peer);
    if (!info) return;
    const eor = endOfRibFamily(m);
    if (eor !== null) {
      const f = familyNumber(eor);
      if (f) this.gracefulRestart.endOfRib(peer.endpoint.address, f);
      if (f) this.restarting?.endOfRib(peer.endpoint.address, f);
      this.log.info({ peer: peer.endpoint.address, family: familyName(eor) }, 'End-of-RIB received');
      this.emit('endOfRib', { neighbor: peer.endpoint.address, family: familyName(eor) });
      return;
    }
    this.routing.receiveUpdate(info, m);
  }
}
