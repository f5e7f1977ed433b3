/**
 * The service facade: the one library-style API that HTTP, the CLI (through HTTP) and metrics use.
 * Read side: plain-data snapshots (neighbors, one neighbor in detail, routes, RIB and FIB summaries).
 * Write side: reset (Cease 6/4), shutdown (6/2 with an RFC 8203 message), enable, soft refresh
 * in (ROUTE-REFRESH, RFC 2918) / out (Adj-RIB-Out again), and reload.
 */

import type { BfdStatus } from '../bfd/manager.js';
import { ConfigError } from '../config/load.js';
import type { Config, SessionSettings } from '../config/schema.js';
import type { JournalWiring } from '../core/journal-wiring.js';
import { type ReloadReport, rejected } from '../core/reload.js';
import { comparePrefixText, parseRouteQuery } from '../core/route-query.js';
import type { AdjRibRouteSnapshot, NeighborSnapshot, PathSnapshot, RouteSnapshot } from '../core/snapshot.js';
import type { Speaker } from '../core/speaker.js';
import type { FibNextHop, FibStats } from '../fib/index.js';
import { ipFamily } from '../util/ip.js';
import { messageToJson, type OpenMessage } from '../wire/index.js';
import type { Monitoring } from './monitoring-routes.js';

/** A neighbor as `show summary` and metrics see it. */
export interface NeighborView extends NeighborSnapshot {
  readonly description?: string;
  readonly localAs: number;
  /** Seconds since the session came up (Established) or went down; null: never up. */
  readonly upDownSeconds: number | null;
  /** The families offered in OPEN (configured `families`, else the address's own). */
  readonly families: readonly ('ipv4-unicast' | 'ipv6-unicast')[];
  /** Paths received (post-policy, in the RIB) and prefixes advertised, per family. */
  readonly prefixesByFamily: Readonly<Record<'ipv4-unicast' | 'ipv6-unicast', PrefixCount>>;
}

export interface PrefixCount {
  /** Paths received: before import policy with soft-reconfiguration-inbound, else as accepted. */
  readonly received: number;
  /** Paths accepted by import policy (in the RIB). */
  readonly accepted: number;
  readonly advertised: number;
}

export interface NeighborDetail extends NeighborView {
  readonly configured: {
    readonly holdTime: number;
    readonly keepaliveTime: number;
    readonly connectRetryTime: number;
    readonly passive: boolean;
    readonly port: number;
    readonly sourceAddress?: string;
    readonly import: readonly string[];
    readonly export: readonly string[];
  };
  /** The timers in use: hold time as negotiated (RFC 4271 §4.2: the smaller of both OPENs), keepalive from it; absent when not Established. */
  readonly effective?: { readonly holdTime: number; readonly keepaliveTime: number };
  /** Capabilities in the JSON form of `rackbgp decode` (docs/decode.md). */
  readonly capabilities: { readonly advertised: readonly unknown[]; readonly received: readonly unknown[] };
  /** End-of-RIB (RFC 4724 §2): received per family (wall-clock ms) and whether ours was sent. */
  readonly endOfRib: { readonly received: Readonly<Record<string, number>>; readonly sent: boolean };
}

export interface RouteFilter {
  /** A prefix (that destination), or an address (the longest matching prefix with a best path). */
  readonly prefix?: string;
  /** With `prefix`: that prefix and every more-specific one. */
  readonly longer?: boolean;
  /** Only one address family. */
  readonly family?: 4 | 6;
  /** Only paths learned from this neighbor. */
  readonly neighbor?: string;
  /** Only best paths. */
  readonly bestOnly?: boolean;
}

export interface FamilySummary {
  readonly family: 'ipv4-unicast' | 'ipv6-unicast';
  readonly prefixes: number;
  readonly paths: number;
  /** Prefixes with a best path (what the FIB could install). */
  readonly best: number;
  /** Prefixes with more than one path in the multipath set. */
  readonly multipath: number;
}

export interface RibSummary {
  readonly families: readonly FamilySummary[];
  /** Interned attribute sets: in the Loc-RIB, and in the Adj-RIBs-Out. */
  readonly attributeSets: number;
  readonly exportedAttributeSets: number;
  /** Update groups, as the number of peers in each (largest first). */
  readonly updateGroups: readonly number[];
  /** UPDATEs handed to a peer as packed for its group (not packed again for it). */
  readonly sharedUpdates: number;
  readonly memory: { readonly rss: number; readonly heapUsed: number };
}

export interface FibSummary {
  /** `fib:` in the config. */
  readonly enabled: boolean;
  /** False with `fib: false` (or before the FIB started). */
  readonly available: boolean;
  /** Routes wanted, installed, waiting and refused by the kernel; operations ok/refused since start; `method`. */
  readonly state?: FibStats;
}

/** A neighbor's Adj-RIB-Out (`advertised`) or its Adj-RIB-In before import policy (`received`). */
export interface AdjRibView {
  readonly neighbor: string;
  readonly direction: 'advertised' | 'received';
  /** The session state: nothing is sent or kept unless Established. */
  readonly state: string;
  readonly routes: readonly AdjRibRouteSnapshot[];
}

/** One FIB route as `show fib` lists it. */
export interface FibRouteView {
  readonly family: 4 | 6;
  readonly prefix: string;
  readonly nextHops: readonly FibNextHop[];
  /** installed; waiting (not in the kernel as wanted yet); refused (with `error`); leftover (an earlier run's, removed after the start-up hold). */
  readonly state: 'installed' | 'waiting' | 'refused' | 'leftover';
  /** The kernel's error for a refused route. */
  readonly error?: string;
}

/** A request the service cannot answer as asked: a malformed query (400), an unknown neighbor (404), a view not kept (409). */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
  ) {
    super(message);
  }
}

export interface ActionResult {
  readonly ok: boolean;
  readonly message: string;
  /** HTTP-like status for adapters: 200, 404 unknown neighbor, 409 not possible now. */
  readonly status: 200 | 404 | 409;
}

export interface ServiceOptions {
  /** Reads and validates the config again (reload); throws ConfigError. Absent: reload needs an object. */
  readonly loadConfig?: () => Readonly<Config>;
  /** `rackbgp restart` (RFC 4724 §4.1): the daemon stops without NOTIFICATION; given by `rackbgp run`. */
  readonly restart?: () => void;
}

/** Both sides of graceful restart now: this daemon's own restart, and neighbors kept stale. */
export interface GracefulRestartView {
  readonly restarting: ReturnType<Speaker['restartDeferral']> | null;
  readonly helper: {
    readonly neighbors: Record<string, { families: string[]; until: string }>;
    readonly totals: Speaker['gracefulRestart']['totals'];
  };
  readonly enhancedRefresh: Speaker['refreshIn']['totals'];
}

const familyLabel = (f: 4 | 6) => (f === 4 ? 'ipv4-unicast' : 'ipv6-unicast');

export interface SpeakerStatus {
  readonly routerId: string;
  readonly asn: number;
  readonly neighbors: number;
  readonly established: number;
  /** Seconds since the service was created (the daemon started). */
  readonly uptimeSeconds: number;
  /** `multipath-relax`: ECMP across paths with different AS paths of equal length. */
  readonly multipathRelax: boolean;
}

export class BgpService {
  private readonly startedAt = Date.now();
  /** End-of-RIB received per neighbor and family (wall-clock ms), since the session came up. */
  private readonly eorReceived = new Map<string, Record<string, number>>();
  private reloading: Promise<ReloadReport> = Promise.resolve(rejected([]));
  /** MRT recording and BMP stations, when configured (`rackbgp run` sets them). */
  monitoring: Monitoring = { bmp: [] };

  constructor(
    readonly speaker: Speaker,
    private readonly options: ServiceOptions = {},
  ) {
    speaker.on('established', ({ neighbor }) => this.eorReceived.set(neighbor, {}));
    speaker.on('endOfRib', ({ neighbor, family }) => {
      const m = this.eorReceived.get(neighbor) ?? {};
      m[family] = Date.now();
      this.eorReceived.set(neighbor, m);
    });
  }

  // ---- snapshots ----

  /** The event journal (undefined with `journal: { size: 0 }`). */
  get journal(): JournalWiring | undefined {
    return this.speaker.journal;
  }

  /** A neighbor's settings (defaults applied); undefined for an unknown address. */
  settings(address: string): SessionSettings | undefined {
    return this.speaker.neighborSession(address)?.settings;
  }

  /** The OPEN we send a neighbor; undefined for an unknown address. */
  localOpen(address: string): OpenMessage | undefined {
    return this.speaker.neighborSession(address)?.localOpen;
  }

  /** Connections closed before OPEN because their source is not a neighbor. */
  unknownConnections(): number {
    return this.speaker.unknownConnections;
  }

  /** Kernel FIB routes per state; undefined with fib: false. */
  fibRouteStates(): Record<'installed' | 'waiting' | 'refused' | 'leftover', number> | undefined {
    const routes = this.speaker.fibRoutes();
    if (!routes) return undefined;
    const counts = { installed: 0, waiting: 0, refused: 0, leftover: 0 };
    for (const r of routes) counts[r.state]++;
    return counts;
  }

  /** Told the duration of each decision + export run, as it happens (not on scrape). */
  onFlush(fn: (seconds: number) => void): void {
    this.speaker.on('flush', (f) => fn(f.seconds));
  }

  /** Who we are, for headers (`show summary`). */
  status(): SpeakerStatus {
    const n = this.speaker.neighbors();
    return {
      routerId: this.speaker.config['router-id'],
      asn: this.speaker.config.asn,
      neighbors: n.length,
      established: n.filter((x) => x.state === 'Established').length,
      uptimeSeconds: Math.floor((Date.now() - this.startedAt) / 1000),
      multipathRelax: this.speaker.config['multipath-relax'],
    };
  }

  neighbors(): NeighborView[] {
    const now = Date.now();
    return this.speaker.neighbors().map((n) => {
      const settings = this.speaker.neighborSession(n.address)?.settings ?? {};
      const description = settings.description;
      const at = n.counters.lastTransitionAt;
      const counts = this.speaker.prefixCounts(n.address);
      return {
        ...n,
        ...(description !== undefined && { description }),
        localAs: this.speaker.config.asn,
        families: settings.families ?? [ipFamily(n.address) === 6 ? 'ipv6-unicast' : 'ipv4-unicast'],
        upDownSeconds: at === null ? null : Math.max(0, Math.floor((now - at) / 1000)),
        prefixesByFamily: { 'ipv4-unicast': counts[4], 'ipv6-unicast': counts[6] },
      };
    });
  }

  neighbor(address: string): NeighborDetail | undefined {
    const view = this.neighbors().find((n) => n.address === address);
    return view && this.detailOf(view);
  }

  private detailOf(view: NeighborView): NeighborDetail | undefined {
    const address = view.address;
    const session = this.speaker.neighborSession(address);
    if (!session) return undefined;
    const s = session.settings;
    const holdTime = session.holdTime;
    const caps = (open: OpenMessage | undefined) =>
      open ? ((messageToJson(open) as { capabilities?: unknown[] }).capabilities ?? []) : [];
    const params = session.params;
    return {
      ...view,
      ...(params && {
        effective: { holdTime: params.holdTime, keepaliveTime: session.keepaliveTime ?? 0 },
      }),
      configured: {
        holdTime,
        keepaliveTime: s['keepalive-time'] ?? Math.floor(holdTime / 3),
        connectRetryTime: session.connectRetryTime,
        passive: s.passive ?? false,
        port: s.port ?? 179,
        ...(s['source-address'] && { sourceAddress: s['source-address'] }),
        import: s.import ?? [],
        export: s.export ?? [],
      },
      capabilities: { advertised: caps(session.localOpen), received: caps(session.remoteOpen) },
      endOfRib: {
        received: view.state === 'Established' ? { ...(this.eorReceived.get(address) ?? {}) } : {},
        sent: this.speaker.initialTableSent(address),
      },
    };
  }

  /** Every neighbor in detail (`show neighbor` without an address). */
  neighborDetails(): NeighborDetail[] {
    return this.neighbors().flatMap((n) => this.detailOf(n) ?? []);
  }

  /** Loc-RIB routes; throws QueryError (400) when `filter.prefix` is neither a prefix nor an address. */
  routes(filter: RouteFilter = {}): RouteSnapshot[] {
    let all: RouteSnapshot[];
    if (filter.prefix !== undefined) {
      const q = parseRouteQuery(filter.prefix, filter.longer);
      if ('error' in q) throw new QueryError(q.error, 400);
      all = this.speaker.routesMatching(q.query);
    } else if (filter.longer) throw new QueryError('--longer needs a prefix', 400);
    else all = this.speaker.routes();
    if (filter.family) all = all.filter((r) => r.family === filter.family);
    if (!filter.neighbor && !filter.bestOnly) return all;
    const keep = (p: PathSnapshot) =>
      (!filter.neighbor || p.peer === filter.neighbor) && (!filter.bestOnly || p.best);
    return all.flatMap((r) => {
      const paths = r.paths.filter(keep);
      return paths.length ? [{ ...r, paths }] : [];
    });
  }

  ribSummary(): RibSummary {
    const { families, ...counts } = this.speaker.ribCounts();
    const mem = process.memoryUsage();
    return {
      families: ([4, 6] as const).map((f): FamilySummary => ({ family: familyLabel(f), ...families[f] })),
      ...counts,
      memory: { rss: mem.rss, heapUsed: mem.heapUsed },
    };
  }

  /** What was sent to a neighbor (its update group's Adj-RIB-Out, next hop as it got it); throws QueryError 404. */
  advertisedRoutes(address: string): AdjRibView {
    const n = this.knownNeighbor(address);
    const routes = this.speaker.advertisedRoutes(address) ?? [];
    return { neighbor: address, direction: 'advertised', state: n.state, routes };
  }

  /**
   * What a neighbor sent, before import policy: kept only with soft-reconfiguration-inbound (else
   * QueryError 409 saying how to turn it on); throws QueryError 404 for an unknown neighbor.
   */
  receivedRoutes(address: string): AdjRibView {
    const n = this.knownNeighbor(address);
    const kept = this.speaker.neighborSession(address)?.settings['soft-reconfiguration-inbound'] ?? false;
    const routes = this.speaker.receivedRoutes(address);
    if (!kept || routes === null)
      throw new QueryError(
        `${address}: routes as received (before import policy) are not kept; set ` +
          '`soft-reconfiguration-inbound: true` on this neighbor (or in defaults) and reload, ' +
          `or see the accepted ones with \`rackbgp show routes --neighbor ${address}\``,
        409,
      );
    return { neighbor: address, direction: 'received', state: n.state, routes: routes ?? [] };
  }

  private knownNeighbor(address: string): NeighborSnapshot {
    const n = this.speaker.neighbors().find((x) => x.address === address);
    if (!n) throw new QueryError(`no neighbor ${address}`, 404);
    return n;
  }

  /** The FIB's routes with their state; undefined with fib: false (or before the FIB started). */
  fibRoutes(): FibRouteView[] | undefined {
    const routes = this.speaker.fibRoutes();
    if (!routes) return undefined;
    const sorted = [...routes].sort((x, y) => comparePrefixText(x.route.prefix, y.route.prefix));
    return sorted.map((r) => ({
      family: r.route.family,
      prefix: r.route.prefix,
      nextHops: r.route.nextHops,
      state: r.state,
      ...(r.error !== undefined && { error: r.error }),
    }));
  }

  /** BFD sessions (RFC 5880) with their negotiated timers and last Down, and dropped packets. */
  bfd(): BfdStatus {
    return this.speaker.bfdStatus();
  }

  fib(): FibSummary {
    const state = this.speaker.fibState();
    return state
      ? { enabled: this.speaker.config.fib, available: true, state }
      : { enabled: this.speaker.config.fib, available: false };
  }

  // ---- actions ----

  /** Cease/Administrative Reset (RFC 4486 §4, 6/4) with an optional RFC 8203 message, then start again. */
  reset(address: string, message = ''): ActionResult {
    const session = this.speaker.neighborSession(address);
    if (!session) return unknown(address);
    if (!session.enabled)
      return { ok: false, status: 409, message: `${address}: administratively down; enable it` };
    this.speaker.neighborAction(address, { kind: 'reset', message });
    return done(`${address}: reset`);
  }

  /** Cease/Administrative Shutdown (6/2) with an RFC 8203 message; stays down until enabled. */
  shutdown(address: string, message = ''): ActionResult {
    if (!this.speaker.neighborAction(address, { kind: 'shutdown', message })) return unknown(address);
    return done(`${address}: shut down`);
  }

  enable(address: string): ActionResult {
    const session = this.speaker.neighborSession(address);
    if (!session) return unknown(address);
    if (session.enabled) return { ok: true, status: 200, message: `${address}: already enabled` };
    this.speaker.neighborAction(address, { kind: 'enable' });
    return done(`${address}: enabled`);
  }

  /** Packet tracing of one neighbor: every message sent and received logged at info as JSON. */
  trace(address: string, enabled: boolean): ActionResult {
    if (!this.speaker.neighborAction(address, { kind: 'trace', on: enabled })) return unknown(address);
    return done(`${address}: packet tracing ${enabled ? 'on' : 'off'}`);
  }

  /** Soft refresh: `in` sends ROUTE-REFRESH (RFC 2918), `out` re-sends the Adj-RIB-Out. */
  refresh(address: string, direction: 'in' | 'out' | 'both' = 'both'): ActionResult {
    if (!this.speaker.hasNeighbor(address)) return unknown(address);
    const dirs = direction === 'both' ? (['in', 'out'] as const) : [direction];
    for (const d of dirs) {
      if (!this.speaker.softRefresh(address, d))
        return {
          ok: false,
          status: 409,
          message:
            d === 'in'
              ? `${address}: cannot ask for a refresh (not Established, or no route refresh capability)`
              : `${address}: not Established (or still sending its initial table)`,
        };
    }
    return done(`${address}: soft refresh ${direction}`);
  }

  /** Asks the daemon for a graceful restart (it answers first, then stops); 409 without `rackbgp run`. */
  restart(): ActionResult {
    const go = this.options.restart;
    if (!go)
      return {
        ok: false,
        status: 409,
        message: 'this daemon cannot restart itself (not run by `rackbgp run`)',
      };
    setImmediate(go);
    return {
      ok: true,
      status: 200,
      message:
        'graceful restart: sessions close without NOTIFICATION, kernel routes stay; the process exits for its manager to start it again',
    };
  }

  gracefulRestart(): GracefulRestartView {
    const s = this.speaker;
    const neighbors: GracefulRestartView['helper']['neighbors'] = {};
    for (const n of s.neighbors()) {
      const g = n.gracefulRestart;
      if (g) neighbors[n.address] = { families: g.families, until: new Date(g.until).toISOString() };
    }
    return {
      restarting: s.restartDeferral() ?? null,
      helper: { neighbors, totals: s.restartTotals().helper },
      enhancedRefresh: s.restartTotals().enhancedRefresh,
    };
  }

  /** Reads the config again (or takes `config`) and applies the difference; one reload at a time. */
  reload(config?: Readonly<Config>): Promise<ReloadReport> {
    const run = async (): Promise<ReloadReport> => {
      let next = config;
      if (!next) {
        if (!this.options.loadConfig) return rejected(['no configuration file to reload from']);
        try {
          next = this.options.loadConfig();
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          // Journaled like an applied reload (the Speaker emits those).
          const report = rejected(e.problems);
          this.speaker.emit('reload', report);
          return report;
        }
      }
      return this.speaker.reconfigure(next);
    };
    this.reloading = this.reloading.then(run, run);
    return this.reloading;
  }
}

const done = (message: string): ActionResult => ({ ok: true, status: 200, message });
const unknown = (address: string): ActionResult => ({
  ok: false,
  status: 404,
  message: `no neighbor ${address}`,
});
