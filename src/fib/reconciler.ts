/**
 * Desired versus installed FIB state (pure): the core says what each prefix should point to; flush()
 * returns the fewest changes that make the kernel match (nothing when an ECMP set only changed order).
 * At start it adopts what an earlier run left, so a restart neither duplicates nor drops a route; on
 * shutdown it removes everything unless the routes stay for a graceful restart (RFC 4724 §4.1).
 */
import type { FibApplyResult, FibChange, FibNextHop, FibRoute } from './types.js';

/** Installed, but what exactly is unknown (a replace failed): the next flush rewrites or deletes it. */
const UNKNOWN = Symbol('unknown');
type Installed = FibRoute | typeof UNKNOWN;

export interface ReconcilerStats {
  readonly desired: number;
  readonly installed: number;
  readonly dirty: number;
  readonly failed: number;
}

export class FibReconciler {
  private readonly desired = new Map<string, FibRoute>();
  private readonly installed = new Map<string, Installed>();
  private readonly dirty = new Set<string>();
  /** Prefixes the kernel refused; retried when their route changes or on retryFailed(). */
  private readonly failed = new Set<string>();

  /** Wants `route` installed; empty next hops mean "not installed". */
  setDesired(route: FibRoute): void {
    if (route.nextHops.length === 0) {
      this.removeDesired(route.prefix);
      return;
    }
    const old = this.desired.get(route.prefix);
    const next = normalize(route);
    if (old && sameKeys(old.nextHops, next.nextHops)) return;
    this.desired.set(route.prefix, next);
    this.dirty.add(route.prefix);
    this.failed.delete(route.prefix);
  }

  /** Wants nothing installed for `prefix` (also removes a route adopted from an earlier run). */
  removeDesired(prefix: string): void {
    if (this.desired.delete(prefix) || this.installed.has(prefix)) {
      this.dirty.add(prefix);
      this.failed.delete(prefix);
    }
  }

  get hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  /**
   * The changes that bring the kernel to the desired state for every prefix touched since the last
   * flush, assuming they all succeed; report refusals with applied() before flushing again.
   */
  flush(): FibChange[] {
    const out: FibChange[] = [];
    for (const prefix of this.dirty) {
      const want = this.desired.get(prefix);
      const have = this.installed.get(prefix);
      if (want) {
        if (have === undefined) out.push({ op: 'add', route: want });
        else if (have === UNKNOWN || !sameNextHops(want.nextHops, have.nextHops))
          out.push({ op: 'replace', route: want });
        else continue;
        this.installed.set(prefix, want);
      } else if (have !== undefined) {
        out.push({ op: 'delete', family: familyOf(prefix), prefix });
        this.installed.delete(prefix);
      }
    }
    this.dirty.clear();
    return out;
  }

  /** Takes the port's answer to the last flush: refused changes leave the state they found. */
  applied(result: FibApplyResult): void {
    for (const { change } of result.failed) {
      if (change.op === 'delete') {
        // Deletes fail when the route is already gone (ESRCH): either way it is not ours any more.
        this.installed.delete(change.prefix);
        continue;
      }
      const prefix = change.route.prefix;
      if (change.op === 'add') this.installed.delete(prefix);
      else this.installed.set(prefix, UNKNOWN);
      this.failed.add(prefix);
    }
  }

  /** Marks every refused prefix for another try (e.g. when interfaces or kernel routes changed). */
  retryFailed(): void {
    for (const p of this.failed) this.dirty.add(p);
    this.failed.clear();
  }

  /**
   * Takes what is in the kernel (our protocol and metric) as installed, without deleting anything:
   * later flushes change only what differs, and routes nobody wants stay until startupReconcile().
   */
  adopt(installed: readonly FibRoute[]): void {
    this.installed.clear();
    for (const r of installed) this.installed.set(r.prefix, normalize(r));
    for (const p of this.desired.keys()) this.dirty.add(p);
  }

  /**
   * Start-up (or resync) reconciliation against `installed` (or what was adopted): deletes routes
   * left by an earlier run that are not desired, keeps identical ones, and fixes the rest.
   */
  startupReconcile(installed?: readonly FibRoute[]): FibChange[] {
    if (installed) this.adopt(installed);
    for (const p of this.installed.keys()) this.dirty.add(p);
    for (const p of this.desired.keys()) this.dirty.add(p);
    this.failed.clear();
    return this.flush();
  }

  /** Deletes of everything installed, or nothing when the routes are kept for a graceful restart. */
  shutdown(keep: boolean): FibChange[] {
    const out: FibChange[] = keep
      ? []
      : [...this.installed.keys()].map((prefix) => ({ op: 'delete', family: familyOf(prefix), prefix }));
    this.desired.clear();
    this.installed.clear();
    this.dirty.clear();
    this.failed.clear();
    return out;
  }

  stats(): ReconcilerStats {
    return {
      desired: this.desired.size,
      installed: this.installed.size,
      dirty: this.dirty.size,
      failed: this.failed.size,
    };
  }

  /** What the reconciler believes is installed for a prefix (undefined: nothing; null: unknown). */
  installedRoute(prefix: string): FibRoute | null | undefined {
    const r = this.installed.get(prefix);
    return r === UNKNOWN ? null : r;
  }

  /** Every route wanted or installed, with its state (read-only, for `show fib`). */
  list(): FibRouteState[] {
    const out: FibRouteState[] = [];
    for (const [prefix, want] of this.desired) {
      const have = this.installed.get(prefix);
      const state = this.failed.has(prefix)
        ? 'refused'
        : this.dirty.has(prefix) || have === undefined || have === UNKNOWN
          ? 'waiting'
          : 'installed';
      out.push({ route: want, state });
    }
    for (const [prefix, have] of this.installed) {
      if (this.desired.has(prefix)) continue;
      const route = have === UNKNOWN ? { family: familyOf(prefix), prefix, nextHops: [] } : have;
      out.push({ route, state: 'leftover' });
    }
    return out;
  }
}

/**
 * `installed`: in the kernel as wanted; `waiting`: wanted, not (yet) in the kernel as wanted;
 * `refused`: the kernel said no (retried when routes or interfaces change); `leftover`: installed
 * by an earlier run and no longer wanted (removed once the start-up hold ends).
 */
export interface FibRouteState {
  readonly route: FibRoute;
  readonly state: 'installed' | 'waiting' | 'refused' | 'leftover';
}

function familyOf(prefix: string): 4 | 6 {
  return prefix.includes(':') ? 6 : 4;
}

function hopKey(h: FibNextHop): string {
  return h.dev === undefined ? h.via : `${h.via}%${h.dev}`;
}

/** Sorted, duplicate-free next hops, so ECMP sets compare regardless of order. */
function normalize(route: FibRoute): FibRoute {
  const h = route.nextHops;
  if (h.length < 2) return route;
  let sorted = true;
  for (let i = 1; i < h.length && sorted; i++) sorted = compareHops(h[i - 1], h[i]) < 0;
  if (sorted) return route;
  const nextHops = [...h].sort(compareHops).filter((x, i, a) => i === 0 || compareHops(a[i - 1], x) !== 0);
  return { family: route.family, prefix: route.prefix, nextHops };
}

function compareHops(a: FibNextHop, b: FibNextHop): number {
  if (a.via !== b.via) return a.via < b.via ? -1 : 1;
  const x = a.dev ?? '';
  const y = b.dev ?? '';
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Identical normalized next-hop lists. */
function sameKeys(a: readonly FibNextHop[], b: readonly FibNextHop[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].via !== b[i].via || a[i].dev !== b[i].dev) return false;
  return true;
}

/**
 * Same set of next hops, in any order. A wanted next hop without an interface matches an installed
 * one with any interface (the kernel always reports one).
 */
export function sameNextHops(want: readonly FibNextHop[], have: readonly FibNextHop[]): boolean {
  if (want.length === 1 && have.length === 1) return hopMatches(want[0], have[0]);
  const w = dedupe(want);
  const h = dedupe(have);
  if (w.length !== h.length) return false;
  const used = new Array<boolean>(h.length).fill(false);
  for (const a of w) {
    const i = h.findIndex((b, j) => !used[j] && hopMatches(a, b));
    if (i < 0) return false;
    used[i] = true;
  }
  return true;
}

function hopMatches(want: FibNextHop, have: FibNextHop): boolean {
  return want.via === have.via && (want.dev === undefined || want.dev === have.dev);
}

function dedupe(hops: readonly FibNextHop[]): readonly FibNextHop[] {
  if (hops.length < 2) return hops;
  const seen = new Map<string, FibNextHop>();
  for (const h of hops) seen.set(hopKey(h), h);
  return seen.size === hops.length ? hops : [...seen.values()];
}
