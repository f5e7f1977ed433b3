/**
 * Forwarding: best paths (the ECMP set) into the kernel through the FIB driver, next hops resolved
 * recursively by the kernel resolver (RFC 4271 §5.1.3, §9.1.2.1), connected prefixes for
 * `redistribute connected`, and start-up adoption of routes an earlier run left behind.
 */
import {
  type FibChange,
  FibDriver,
  type FibFailure,
  type FibNextHop,
  type FibPort,
  type FibStats,
  KernelResolver,
  LinuxFib,
  mayChangeRoutes,
  NetlinkFib,
  type NextHopResolution,
  ReadOnlyFib,
  type ResolverChange,
} from '../fib/index.js';
import { type Dest, forwardingPaths } from '../rib/loc-rib.js';
import { keyToText } from '../rib/prefix-key.js';
import type { Path } from '../rib/types.js';
import type { Logger } from '../session/peer-session.js';

export interface ForwardingOptions {
  readonly metric?: number;
  /** `fib-method`: rtnetlink, `ip -batch`, or netlink with `ip -batch` as the fallback (auto, default). */
  readonly method?: 'auto' | 'netlink' | 'ip-batch';
  readonly log: Logger;
  /** Whether the process may change routes (CAP_NET_ADMIN); read from /proc/self/status by default. */
  readonly mayChangeRoutes?: boolean;
  /** Told what the kernel took and refused of each batch (the event journal). */
  readonly onApplied?: (changes: readonly FibChange[], failed: readonly FibFailure[]) => void;
}

/** A refused change for the log: the prefix names the family, so no family number. */
const failureText = ({ change, error }: FibFailure) => ({
  op: change.op,
  prefix: change.op === 'delete' ? change.prefix : change.route.prefix,
  error,
});

/** Said once at start instead of a refusal per batch. */
export const NO_NET_ADMIN =
  'no CAP_NET_ADMIN: fib: true cannot change the kernel routes, so none is installed; ' +
  'set fib: false for a control-plane-only speaker, or grant CAP_NET_ADMIN ' +
  '(docker run --cap-add NET_ADMIN, systemd AmbientCapabilities=CAP_NET_ADMIN)';

/**
 * The kernel port `fib-method` asks for: a netlink socket (replacing atomically where the resolver
 * sees no other protocol's route at our metric), or `ip -batch`; `auto` falls back to ip, saying
 * why, when no netlink socket can be opened (no FFI for this platform).
 */
function openPort(o: ForwardingOptions, resolver: KernelResolver): FibPort {
  const metric = o.metric !== undefined ? { metric: o.metric } : {};
  const method = o.method ?? 'auto';
  if (method === 'ip-batch') return new LinuxFib(metric);
  try {
    return NetlinkFib.open({ ...metric, occupied: (_f, prefix, m) => resolver.occupied(prefix, m) });
  } catch (e) {
    if (method === 'netlink') throw new Error(`fib-method: netlink: ${(e as Error).message}`);
    o.log.warn({ err: (e as Error).message }, 'no rtnetlink socket: the FIB uses ip -batch');
    return new LinuxFib(metric);
  }
}

export class Forwarding {
  /** Set by freeze(): RIB changes no longer reach the kernel. */
  private frozen = false;

  private constructor(
    readonly resolver: KernelResolver,
    private readonly driver: FibDriver,
  ) {}

  /**
   * Resolver and FIB for the namespace we run in; routes left by an earlier run (our protocol
   * only) are held until endStartup(). Reads the kernel and writes nothing yet. Without
   * CAP_NET_ADMIN it says so once and refuses every change itself.
   */
  static async start(o: ForwardingOptions): Promise<Forwarding> {
    const resolver = await KernelResolver.start({
      onError: (e) => o.log.warn({ err: e.message }, 'resolver error'),
    });
    try {
      const linux = openPort(o, resolver);
      const writable = o.mayChangeRoutes ?? mayChangeRoutes();
      if (!writable) o.log.warn({ fib: true }, NO_NET_ADMIN);
      const driver = new FibDriver(writable ? linux : new ReadOnlyFib(linux, 'no CAP_NET_ADMIN'), {
        ...(writable && {
          onFailures: (f) =>
            o.log.warn(
              { failures: f.slice(0, 5).map(failureText), count: f.length },
              'kernel refused routes',
            ),
        }),
        onError: (e) => o.log.warn({ err: e.message }, 'FIB error'),
        ...(o.onApplied && { onApplied: o.onApplied }),
        onBulk: () => resolver.pauseRouteWatch(),
      });
      await driver.start({ hold: true });
      return new Forwarding(resolver, driver);
    } catch (e) {
      await resolver.close();
      throw e;
    }
  }

  /** Where a received path's next hop leads: its global next hop, or its link-local one through the session's interface. */
  resolve(p: Path): NextHopResolution {
    const a = p.attrs.attrs;
    if (a.nextHop === undefined) return { reachable: false, reason: 'no next hop' };
    return this.resolver.resolveBgp(a.nextHop, a.linkLocalNextHop, p.peer.interface);
  }

  reachable(p: Path): boolean {
    return this.resolve(p).reachable;
  }

  /** Interior cost to a path's next hop (RFC 4271 §9.1.2.2 (e)); 0 for local paths and connected next hops. */
  igpCost(p: Path): number {
    if (p.peer.id === 0) return 0;
    const r = this.resolve(p);
    return r.reachable ? r.metric : 0;
  }

  /** Resolver changes (addresses, kernel routes); also retries routes the kernel refused before. */
  onChange(listener: (c: ResolverChange) => void): () => void {
    return this.resolver.onChange((c) => {
      this.driver.retryFailed();
      listener(c);
    });
  }

  /**
   * Stops following the RIB: what the kernel has stays as it is (shutdown keeping the FIB, before
   * the sessions go down and withdraw their paths).
   */
  freeze(): void {
    this.frozen = true;
  }

  /**
   * Follows the RIB again after freeze() (fault fib-freeze): every destination of `dests` (the whole
   * RIB) is set, and every FIB route of a prefix not among them goes.
   */
  thaw(dests: Iterable<Dest>): void {
    this.frozen = false;
    const all = [...dests];
    this.update(all);
    const present = new Set(all.map((d) => keyToText(d.family, d.key)));
    for (const r of this.driver.routes())
      if (!present.has(r.route.prefix)) this.driver.remove(r.route.prefix);
  }

  /** Installs or removes the forwarding entry of each destination; local routes are not installed. */
  update(dests: readonly Dest[]): void {
    if (this.frozen) return;
    for (const d of dests) {
      const prefix = keyToText(d.family, d.key);
      const hops: FibNextHop[] = [];
      const seen = new Set<string>();
      for (const p of forwardingPaths(d)) {
        if (p.peer.id === 0) continue;
        const r = this.resolve(p);
        if (!r.reachable) continue;
        for (const h of r.nextHops) {
          const k = `${h.via}%${h.dev ?? ''}`;
          if (!seen.has(k)) {
            seen.add(k);
            hops.push(h);
          }
        }
      }
      if (hops.length) this.driver.set({ family: d.family, prefix, nextHops: hops });
      else this.driver.remove(prefix);
    }
  }

  stats(): FibStats {
    return this.driver.stats();
  }

  /** Every route wanted or installed, with its state and the kernel's error for refused ones. */
  routes(): ReturnType<FibDriver['routes']> {
    return this.driver.routes();
  }

  /** Converged: what the earlier run left and we no longer want goes now. */
  endStartup(): void {
    this.driver.endStartup();
  }

  idle(): Promise<void> {
    return this.driver.idle();
  }

  async stop(keep = false): Promise<void> {
    await this.driver.stop(keep);
    await this.resolver.close();
  }
}
