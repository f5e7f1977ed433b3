/**
 * The service facade: the one library-style API that HTTP, the CLI (through HTTP) and metrics use.
 * Read side: plain-data snapshots (neighbors, one neighbor in detail, routes, RIB and FIB summaries).
 * Write side: reset (Cease 6/4), shutdown (6/2 with an RFC 8203 message), enable, soft refresh
 * in (ROUTE-REFRESH, RFC 2918) / out (Adj-RIB-Out again), and reload.
 */

import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { type ReloadReport, rejected } from '../core/reload.js';
import type { NeighborSnapshot, PathSnapshot, RouteSnapshot } from '../core/snapshot.js';
import type { Speaker } from '../core/speaker.js';
import type { FibStats } from '../fib/index.js';
import { SESSION_DEFAULTS } from '../session/neighbor-config.js';
import { messageToJson, type OpenMessage } from '../wire/index.js';

/** A neighbor as `show summary` and metrics see it. */
export interface NeighborView extends NeighborSnapshot {
  readonly description?: string;
  readonly localAs: number;
  /** Seconds since the session came up (Established) or went down; null: never up. */
  readonly upDownSeconds: number | null;
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
  /** Capabilities in the JSON form of `rackbgp decode` (docs/decode.md). */
  readonly capabilities: { readonly advertised: readonly unknown[]; readonly received: readonly unknown[] };
  /** End-of-RIB (RFC 4724 §2): received per family (wall-clock ms) and whether ours was sent. */
  readonly endOfRib: { readonly received: Readonly<Record<string, number>>; readonly sent: boolean };
}

export interface RouteFilter {
  readonly prefix?: string;
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
  /** Routes wanted, installed, waiting and refused by the kernel; operations ok/refused since start. */
  readonly state?: FibStats;
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
}

const familyLabel = (f: 4 | 6) => (f === 4 ? 'ipv4-unicast' : 'ipv6-unicast');

export interface SpeakerStatus {
  readonly routerId: string;
  readonly asn: number;
  readonly neighbors: number;
  readonly established: number;
  /** Seconds since the service was created (the daemon started). */
  readonly uptimeSeconds: number;
}

export class BgpService {
  private readonly startedAt = Date.now();
  /** End-of-RIB received per neighbor and family (wall-clock ms), since the session came up. */
  private readonly eorReceived = new Map<string, Record<string, number>>();
  private reloading: Promise<ReloadReport> = Promise.resolve(rejected([]));

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

  /** Who we are, for headers (`show summary`). */
  status(): SpeakerStatus {
    const n = this.speaker.neighbors();
    return {
      routerId: this.speaker.config['router-id'],
      asn: this.speaker.config.asn,
      neighbors: n.length,
      established: n.filter((x) => x.state === 'Established').length,
      uptimeSeconds: Math.floor((Date.now() - this.startedAt) / 1000),
    };
  }

  neighbors(): NeighborView[] {
    const now = Date.now();
    return this.speaker.neighbors().map((n) => {
      const description = this.speaker.sessions.settingsOf(n.address).description;
      const at = n.counters.lastTransitionAt;
      const counts = this.speaker.prefixCounts(n.address);
      return {
        ...n,
        ...(description !== undefined && { description }),
        localAs: this.speaker.config.asn,
        upDownSeconds: at === null ? null : Math.max(0, Math.floor((now - at) / 1000)),
        prefixesByFamily: { 'ipv4-unicast': counts[4], 'ipv6-unicast': counts[6] },
      };
    });
  }

  neighbor(address: string): NeighborDetail | undefined {
    const view = this.neighbors().find((n) => n.address === address);
    const peer = this.speaker.sessions.peers.get(address);
    if (!view || !peer) return undefined;
    const s = this.speaker.sessions.settingsOf(address);
    const holdTime = s['hold-time'] ?? SESSION_DEFAULTS.holdTime;
    const caps = (open: OpenMessage | undefined) =>
      open ? ((messageToJson(open) as { capabilities?: unknown[] }).capabilities ?? []) : [];
    return {
      ...view,
      configured: {
        holdTime,
        keepaliveTime: s['keepalive-time'] ?? Math.floor(holdTime / 3),
        connectRetryTime: s['connect-retry-time'] ?? SESSION_DEFAULTS.connectRetryTime,
        passive: s.passive ?? false,
        port: s.port ?? 179,
        ...(s['source-address'] && { sourceAddress: s['source-address'] }),
        import: s.import ?? [],
        export: s.export ?? [],
      },
      capabilities: { advertised: caps(peer.config.localOpen), received: caps(peer.remoteOpen) },
      endOfRib: {
        received: view.state === 'Established' ? { ...(this.eorReceived.get(address) ?? {}) } : {},
        sent: this.speaker.initialTableSent(address),
      },
    };
  }

  routes(filter: RouteFilter = {}): RouteSnapshot[] {
    const all = this.speaker.routes(filter.prefix ? { prefix: filter.prefix } : {});
    if (!filter.neighbor && !filter.bestOnly) return all;
    const keep = (p: PathSnapshot) =>
      (!filter.neighbor || p.peer === filter.neighbor) && (!filter.bestOnly || p.best);
    return all.flatMap((r) => {
      const paths = r.paths.filter(keep);
      return paths.length ? [{ ...r, paths }] : [];
    });
  }

  ribSummary(): RibSummary {
    const families = ([4, 6] as const).map((f): FamilySummary => {
      let paths = 0;
      let best = 0;
      let multipath = 0;
      const table = this.speaker.routing.rib.tables[f];
      for (const d of table.values()) {
        paths += d.paths.length;
        if (d.best) best++;
        if (d.multipath.length > 1) multipath++;
      }
      return { family: familyLabel(f), prefixes: table.size, paths, best, multipath };
    });
    const mem = process.memoryUsage();
    return {
      families,
      attributeSets: this.speaker.routing.rib.store.size,
      exportedAttributeSets: this.speaker.routing.exportedAttributeSets,
      updateGroups: this.speaker.routing.groupSizes,
      sharedUpdates: this.speaker.routing.sharedUpdates,
      memory: { rss: mem.rss, heapUsed: mem.heapUsed },
    };
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
    const peer = this.speaker.sessions.peers.get(address);
    if (!peer) return unknown(address);
    if (!peer.enabled)
      return { ok: false, status: 409, message: `${address}: administratively down; enable it` };
    peer.reset(message);
    return done(`${address}: reset`);
  }

  /** Cease/Administrative Shutdown (6/2) with an RFC 8203 message; stays down until enabled. */
  shutdown(address: string, message = ''): ActionResult {
    const peer = this.speaker.sessions.peers.get(address);
    if (!peer) return unknown(address);
    peer.stop(message);
    return done(`${address}: shut down`);
  }

  enable(address: string): ActionResult {
    const peer = this.speaker.sessions.peers.get(address);
    if (!peer) return unknown(address);
    if (peer.enabled) return { ok: true, status: 200, message: `${address}: already enabled` };
    peer.start();
    return done(`${address}: enabled`);
  }

  /** Packet tracing of one neighbor: every message sent and received logged at info as JSON. */
  trace(address: string, enabled: boolean): ActionResult {
    const peer = this.speaker.sessions.peers.get(address);
    if (!peer) return unknown(address);
    peer.trace = enabled;
    return done(`${address}: packet tracing ${enabled ? 'on' : 'off'}`);
  }

  /** Soft refresh: `in` sends ROUTE-REFRESH (RFC 2918), `out` re-sends the Adj-RIB-Out. */
  refresh(address: string, direction: 'in' | 'out' | 'both' = 'both'): ActionResult {
    if (!this.speaker.sessions.peers.has(address)) return unknown(address);
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

  /** Reads the config again (or takes `config`) and applies the difference; one reload at a time. */
  reload(config?: Readonly<Config>): Promise<ReloadReport> {
    const run = async (): Promise<ReloadReport> => {
      let next = config;
      if (!next) {
        if (!this.options.loadConfig) return rejected(['no configuration file to reload from']);
        try {
          next = this.options.loadConfig();
        } catch (e) {
          if (e instanceof ConfigError) return rejected(e.problems);
          throw e;
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
