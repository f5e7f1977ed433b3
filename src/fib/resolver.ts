/**
 * Keeps a NextHopTable current for the namespace rackbgp runs in (RFC 4271 §9.1.2.1). Two long-lived
 * `ip monitor` children watch addresses/links and routes; a change re-reads (debounced) only what
 * it touched: `ip -j addr show` for addresses and links (connected routes follow from them), and
 * the routes of table main but ours, protocol by protocol, so that 100k of our own routes are
 * neither dumped nor parsed. Listeners learn which connected prefixes came and went (for
 * `redistribute connected`; containerlab adds eth1+ and their addresses late) and when next hops
 * may resolve differently.
 */
import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  type ConnectedPrefix,
  diffConnected,
  type KernelAddress,
  type KernelLink,
  type KernelRoute,
  type NextHopResolution,
  NextHopTable,
  parseAddrJson,
  parseRouteJson,
} from './next-hop.js';
import { RTPROT_RACKBGP, RTPROT_RACKBGP_NAME } from './protocol.js';

const run = promisify(execFile);

/** Protocols whose routes are always read (names from /etc/iproute2/rt_protos). */
const BASE_PROTOCOLS = ['boot', 'static', 'dhcp', 'ra', 'redirect'];

export interface ResolverOptions {
  /** Run ip with `-n NAME` (tests); by default the namespace rackbgp runs in. */
  readonly netns?: string;
  readonly ipPath?: string;
  /** Our route protocol (never used to resolve next hops); default 179 (`rackbgp`). */
  readonly protocol?: number;
  /** Quiet time after a change before re-reading; default 50 ms. */
  readonly debounceMs?: number;
  /** Longest wait under continuous changes; default 1 s. */
  readonly maxDelayMs?: number;
  readonly resolveViaDefault?: boolean;
  /** Do not start `ip monitor` (refresh() by hand). */
  readonly noMonitor?: boolean;
  readonly onError?: (e: Error) => void;
}

export interface ResolverChange {
  readonly added: readonly ConnectedPrefix[];
  readonly removed: readonly ConnectedPrefix[];
  /** Kernel routes or link states changed: next hops may resolve differently now. */
  readonly routesChanged: boolean;
}

export type ResolverListener = (change: ResolverChange) => void;

type MonitorKind = 'address' | 'route';

export class KernelResolver {
  private table = new NextHopTable([], [], []);
  private links: KernelLink[] = [];
  private addresses: KernelAddress[] = [];
  private routes: KernelRoute[] = [];
  private signature = '';
  private loaded = false;
  private addrDirty = true;
  private routesDirty = true;
  /** Non-BGP protocols seen in table main; read one by one (the kernel filters, we parse little). */
  private readonly protocols = new Set(BASE_PROTOCOLS);
  private readonly listeners = new Set<ResolverListener>();
  private readonly nsArgs: string[];
  private readonly ipPath: string;
  private readonly exclude: string[];
  private readonly monitors = new Map<MonitorKind, ChildProcessByStdio<null, Readable, Readable>>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private routePauses = 0;
  /** "prefix metric" of every route of another protocol in table main (built on first question). */
  private occupiedKeys: Set<string> | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private firstPending = 0;
  private refreshing: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private closed = false;

  private constructor(private readonly options: ResolverOptions) {
    this.nsArgs = options.netns ? ['-n', options.netns] : [];
    this.ipPath = options.ipPath ?? 'ip';
    const proto = options.protocol ?? RTPROT_RACKBGP;
    // ip prints the name when rt_protos.d/rackbgp.conf registers it, else the number.
    this.exclude = [String(proto), ...(proto === RTPROT_RACKBGP ? [RTPROT_RACKBGP_NAME] : [])];
  }

  /** Reads the tables and starts watching them. */
  static async start(options: ResolverOptions = {}): Promise<KernelResolver> {
    const r = new KernelResolver(options);
    if (!options.noMonitor) {
      r.startMonitor('address');
      r.startMonitor('route');
    }
    await r.refresh();
    return r;
  }

  resolve(nextHop: string, dev?: string): NextHopResolution {
    return this.table.resolve(nextHop, dev);
  }

  /** A received BGP next hop, link-local through `dev` (NextHopTable.resolveBgp). */
  resolveBgp(nextHop: string, linkLocal?: string, dev?: string): NextHopResolution {
    return this.table.resolveBgp(nextHop, linkLocal, dev);
  }

  /**
   * Whether a route of another protocol holds `prefix` at `metric` in table main, as last read
   * (unknown before the first read: true). The FIB replaces a route of ours atomically only where
   * this says false; the kernel's replace would take whichever route is there.
   */
  occupied(prefix: string, metric: number): boolean {
    if (!this.loaded) return true;
    if (!this.occupiedKeys) this.occupiedKeys = new Set(this.routes.map((r) => `${r.prefix} ${r.metric}`));
    return this.occupiedKeys.has(`${prefix} ${metric}`);
  }

  /** Usable connected prefixes, all interfaces. */
  connected(): readonly ConnectedPrefix[] {
    return this.table.connected;
  }

  /** Usable connected prefixes grouped by interface name. */
  connectedByInterface(): Map<string, ConnectedPrefix[]> {
    return this.table.byInterface();
  }

  onChange(listener: ResolverListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads addresses and routes; resolves once a read that began after this call is done. */
  refresh(): Promise<void> {
    this.addrDirty = true;
    this.routesDirty = true;
    return this.reload();
  }

  /**
   * Stops watching routes until the returned function is called (by every pauser): while rackbgp
   * writes a large batch, the kernel's echo of each of our routes to `ip monitor` costs about a
   * fifth to a third of the FIB's throughput (bench/README.md). Resuming re-reads routes once.
   */
  pauseRouteWatch(): () => void {
    let resumed = false;
    if (this.routePauses++ === 0) void this.stopMonitor('route');
    return () => {
      if (resumed) return;
      resumed = true;
      if (--this.routePauses > 0 || this.closed) return;
      this.startMonitor('route');
      this.changed('route');
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.debounce) clearTimeout(this.debounce);
    for (const t of this.restartTimers) clearTimeout(t);
    await Promise.all([this.stopMonitor('address'), this.stopMonitor('route')]);
    await this.refreshing?.catch(() => {});
    this.listeners.clear();
  }

  private reload(): Promise<void> {
    if (this.refreshing) {
      // The running read may have started before the change: one more after it.
      this.next ??= this.refreshing.then(() => {
        this.next = null;
        return this.reload();
      });
      return this.next;
    }
    this.refreshing = this.load()
      .catch((e) => this.options.onError?.(e as Error))
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const addr = this.addrDirty;
    const routes = this.routesDirty;
    this.addrDirty = false;
    this.routesDirty = false;
    const [addrText, routeList] = await Promise.all([
      addr ? this.ip(['-j', 'addr', 'show']) : null,
      routes ? Promise.all([this.readRoutes(4), this.readRoutes(6)]) : null,
    ]);
    if (this.closed) return;
    if (addrText !== null) ({ links: this.links, addresses: this.addresses } = parseAddrJson(addrText));
    if (routeList) {
      this.routes = routeList.flat();
      this.occupiedKeys = null;
    }
    const next = new NextHopTable(this.links, this.addresses, this.routes, {
      exclude: this.exclude,
      resolveViaDefault: this.options.resolveViaDefault,
    });
    const signature = signatureOf(this.routes, this.links);
    const { added, removed } = diffConnected(this.table.connected, next.connected);
    const routesChanged = signature !== this.signature || added.length > 0 || removed.length > 0;
    const first = !this.loaded;
    this.loaded = true;
    this.table = next;
    this.signature = signature;
    if (first || !routesChanged) return;
    for (const l of [...this.listeners]) l({ added, removed, routesChanged });
  }

  /**
   * Non-BGP, non-kernel routes of table main. The first read takes the whole table to learn which
   * protocols are present; later reads ask for each of those (one `ip -batch`, filtered by the
   * kernel), falling back to the whole table if ip does not answer every line.
   */
  private async readRoutes(family: 4 | 6): Promise<KernelRoute[]> {
    const all = async () => {
      const text = await this.ip(['-j', `-${family}`, 'route', 'show', 'table', 'main']);
      const routes = parseRouteJson(text, family, [...this.exclude, 'kernel']);
      for (const r of routes) this.protocols.add(r.protocol);
      return routes;
    };
    if (!this.loaded) return all();
    const protos = [...this.protocols];
    const script = protos.map((p) => `route show table main proto ${p}\n`).join('');
    const out = (await this.ip(['-j', `-${family}`, '-batch', '-'], script)).split('\n').filter(Boolean);
    if (out.length !== protos.length) return all();
    return out.flatMap((text, i) => parseRouteJson(text, family).map((r) => ({ ...r, protocol: protos[i] })));
  }

  private ip(args: string[], input?: string): Promise<string> {
    if (input === undefined)
      return run(this.ipPath, [...this.nsArgs, ...args], { maxBuffer: 1 << 30 }).then((r) => r.stdout);
    return new Promise((resolve, reject) => {
      const child = execFile(this.ipPath, [...this.nsArgs, ...args], { maxBuffer: 1 << 30 }, (e, stdout) =>
        e ? reject(e) : resolve(stdout),
      );
      child.stdin?.end(input);
    });
  }

  private startMonitor(kind: MonitorKind): void {
    const objects = kind === 'route' ? ['route'] : ['address', 'link'];
    const child = spawn(this.ipPath, [...this.nsArgs, 'monitor', ...objects], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.monitors.set(kind, child);
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const text = rest + chunk;
      const end = text.lastIndexOf('\n');
      rest = text.slice(end + 1);
      if (end < 0) return;
      if (kind === 'address' || this.relevantRoutes(text.slice(0, end))) this.changed(kind);
    });
    // "netlink receive error … No buffer space": events were lost; read everything again.
    child.stderr.on('data', () => {
      this.addrDirty = true;
      this.changed('route');
    });
    child.on('error', (e) => this.options.onError?.(e));
    child.on('close', () => {
      if (this.closed || this.monitors.get(kind) !== child) return;
      this.monitors.delete(kind);
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        if (this.closed || this.monitors.has(kind) || (kind === 'route' && this.routePauses > 0)) return;
        this.startMonitor(kind);
        this.changed(kind);
      }, 1000);
      this.restartTimers.add(timer);
    });
  }

  private stopMonitor(kind: MonitorKind): Promise<void> {
    const child = this.monitors.get(kind);
    this.monitors.delete(kind);
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    child.kill('SIGTERM');
    return exited;
  }

  /**
   * Whether `ip monitor route` lines hold a change we resolve through: not one of our own routes
   * (possibly 100k in a burst), not another table (ip names any table but main), not `proto
   * kernel` (connected routes follow from addresses). Learns protocols not seen before.
   */
  private relevantRoutes(text: string): boolean {
    let relevant = false;
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith(' ') || line.startsWith('\t') || line.includes(' table ')) continue;
      const proto = / proto (\S+)/.exec(line)?.[1] ?? 'boot';
      if (this.exclude.includes(proto) || proto === 'kernel') continue;
      this.protocols.add(proto);
      relevant = true;
    }
    return relevant;
  }

  /** Debounced reload: `debounceMs` after the last change, at most `maxDelayMs` after the first. */
  private changed(kind: MonitorKind): void {
    if (this.closed) return;
    if (kind === 'address') this.addrDirty = true;
    else this.routesDirty = true;
    const now = Date.now();
    const quiet = this.options.debounceMs ?? 50;
    const max = this.options.maxDelayMs ?? 1000;
    if (this.debounce) clearTimeout(this.debounce);
    else this.firstPending = now;
    const wait = Math.max(0, Math.min(quiet, this.firstPending + max - now));
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.reload();
    }, wait);
  }
}

function signatureOf(routes: readonly KernelRoute[], links: readonly KernelLink[]): string {
  const parts = routes.map(
    (r) =>
      `${r.prefix} ${r.type} ${r.metric} ${r.linkdown} ${r.nextHops.map((h) => `${h.via ?? ''}@${h.dev ?? ''}`).join(',')}`,
  );
  for (const l of links) parts.push(`${l.name}:${l.up}`);
  return parts.sort().join('\n');
}
