/**
 * Loc-RIB per family: for each prefix its candidate paths (the post-policy Adj-RIB-In of every
 * peer, stored once) and the selected best and multipath set with the reason. Changes mark the
 * destination dirty; the caller runs the decision for dirty destinations once per turn.
 */
import { AttrStore } from './attr-store.js';
import { type DecisionOptions, type Selection, Step, type StepCode, select } from './decision.js';
import { PathPool, type PooledPath } from './path-pool.js';
import type { PrefixKey } from './prefix-key.js';
import { PrefixTable } from './prefix-table.js';
import type { AttrSet, Path, PeerInfo, RouteAttrs } from './types.js';

export interface Dest {
  readonly family: 4 | 6;
  readonly key: PrefixKey;
  paths: Path[];
  best: Path | null;
  /** The ECMP set (best first) when it has more than one path; empty otherwise. */
  multipath: readonly Path[];
  reason: StepCode;
  /** Queued for the next decide(). */
  dirty: boolean;
  /** Opaque to the RIB, kept by the event journal (src/core/prefix-history.ts): the selection it
   * last saw, and its per-prefix history. Fields of the Dest, so a full table costs no map. */
  journalSeen: unknown;
  journalHistory: unknown;
}

const NO_MULTIPATH: readonly Path[] = Object.freeze([]);

/** The paths to forward over: the ECMP set, or the best alone. */
export const forwardingPaths = (d: Dest): readonly Path[] =>
  d.multipath.length ? d.multipath : d.best ? [d.best] : NO_MULTIPATH;

export class LocRib {
  readonly store = new AttrStore();
  readonly tables: Record<4 | 6, PrefixTable<Dest>> = { 4: new PrefixTable(), 6: new PrefixTable() };
  /** Path objects shared by the prefixes holding them (no Path and no array per prefix). */
  private readonly pool = new PathPool(this.store);
  /** Destinations whose paths changed since the last decide() (each once: `Dest.dirty`). */
  private dirty: Dest[] = [];
  /** decide() took the entries before this index (the queue is not copied per run: 1M dirty). */
  private dirtyHead = 0;
  /** Paths held per peer and family, kept as counts so PfxRcd and max-prefix are O(1). */
  private readonly counts = new Map<PeerInfo, { 4: number; 6: number }>();
  /** The last peer counted and its counts (imports come in runs from one peer). */
  private lastCounted: PeerInfo | null = null;
  private lastCounts: { 4: number; 6: number } | null = null;
  /** Peers gone whose paths are still being removed, a chunk per turn (beginFlush). */
  private readonly gone = new Set<PeerInfo>();
  /** Stale paths being purged (beginPurgeStale), each with whom to tell when it leaves a prefix. */
  private readonly purging = new Map<Path, PurgeJob>();
  /** Walks of the tables still going, oldest first, continued by flushSome(). */
  private walks: Walk[] = [];

  /** Number of paths from `peer` in the RIB, in one family or both. */
  countOf(peer: PeerInfo, family?: 4 | 6): number {
    const c = this.counts.get(peer);
    if (!c) return 0;
    return family ? c[family] : c[4] + c[6];
  }

  private count(peer: PeerInfo, family: 4 | 6, delta: number): void {
    let c = peer === this.lastCounted ? this.lastCounts : this.counts.get(peer);
    if (!c) {
      if (this.gone.has(peer)) return; // its count went to 0 when it went
      c = { 4: 0, 6: 0 };
      this.counts.set(peer, c);
    }
    c[family] += delta;
    this.lastCounted = peer;
    this.lastCounts = c;
    if (c[4] + c[6] <= 0) {
      this.counts.delete(peer);
      this.lastCounted = null;
    }
  }

  private markDirty(d: Dest): void {
    if (d.dirty) return;
    d.dirty = true;
    this.dirty.push(d);
  }

  private static indexOf(paths: readonly Path[], peer: PeerInfo, pathId: number): number {
    for (let i = 0; i < paths.length; i++) if (paths[i].peer === peer && paths[i].pathId === pathId) return i;
    return -1;
  }

  get pathCount(): number {
    let n = 0;
    for (const t of [this.tables[4], this.tables[6]]) for (const d of t.values()) n += d.paths.length;
    return n;
  }

  get(family: 4 | 6, key: PrefixKey): Dest | undefined {
    return this.tables[family].get(key);
  }

  /** Adds or replaces the path (peer, pathId) for a prefix. `attrs` may be an interned set or raw attributes. */
  update(family: 4 | 6, key: PrefixKey, peer: PeerInfo, pathId: number, attrs: RouteAttrs | AttrSet): void {
    const table = this.tables[family];
    const set = isAttrSet(attrs) ? this.store.ref(attrs) : this.store.intern(attrs);
    let d = table.get(key);
    if (!d) {
      // A new prefix: its paths array is the shared path's own one-element array.
      const path = this.pool.take(peer, pathId, set, family);
      d = {
        family,
        key,
        paths: path.solo,
        best: null,
        multipath: NO_MULTIPATH,
        reason: 0,
        dirty: false,
        journalSeen: undefined,
        journalHistory: undefined,
      };
      table.set(key, d);
      this.count(peer, family, 1);
      this.markDirty(d);
      return;
    }
    const i = LocRib.indexOf(d.paths, peer, pathId);
    if (i >= 0) {
      const old = d.paths[i];
      if (old.attrs === set && !old.stale) {
        this.store.release(set);
        return;
      }
      const path = this.pool.take(peer, pathId, set, family);
      this.pool.release(old);
      if (d.paths.length === 1) d.paths = path.solo;
      else d.paths[i] = path;
    } else {
      const path = this.pool.take(peer, pathId, set, family);
      // A shared one-element array is never written: the second path makes the prefix its own.
      d.paths = [...d.paths, path];
      this.count(peer, family, 1);
    }
    this.markDirty(d);
  }

  withdraw(family: 4 | 6, key: PrefixKey, peer: PeerInfo, pathId: number): void {
    const d = this.tables[family].get(key);
    if (!d) return;
    const i = LocRib.indexOf(d.paths, peer, pathId);
    if (i < 0) return;
    this.removeAt(d, i);
    this.count(peer, family, -1);
    this.markDirty(d);
  }

  /** Takes path `i` out of `d` (no count, no dirty mark). */
  private removeAt(d: Dest, i: number): void {
    const paths = d.paths;
    this.pool.release(paths[i]);
    if (paths.length === 1) d.paths = [];
    else if (paths.length === 2) d.paths = (paths[1 - i] as PooledPath).solo;
    else d.paths = paths.filter((_, j) => j !== i);
  }

  /** Removes the paths of `peer` (or its stale ones) from `d` and marks it dirty; returns how many. */
  private removeFrom(d: Dest, peer: PeerInfo, onlyStale: boolean): number {
    let removed = 0;
    for (let i = d.paths.length - 1; i >= 0; i--) {
      const p = d.paths[i];
      if (p.peer !== peer || (onlyStale && !p.stale)) continue;
      this.removeAt(d, i);
      removed++;
    }
    if (removed) this.markDirty(d);
    return removed;
  }

  /** Removes the paths of `peer` (all, only stale ones, or one family's) now; returns how many. */
  flushPeer(peer: PeerInfo, onlyStale = false, family?: 4 | 6): number {
    let n = 0;
    for (const f of family ? [family] : ([4, 6] as const)) {
      let removed = 0;
      for (const d of this.tables[f].values())
        if (d.paths.length) removed += this.removeFrom(d, peer, onlyStale);
      this.count(peer, f, -removed);
      n += removed;
    }
    return n;
  }

  /**
   * A peer is gone: its paths leave the RIB over the next flushSome() calls (a chunk per turn, so a
   * full table does not hold the event loop). Until then a destination decided loses them first, so
   * they are never selected again; the peer counts 0 paths at once.
   */
  beginFlush(peer: PeerInfo): void {
    if (this.gone.has(peer)) return;
    this.counts.delete(peer);
    if (this.lastCounted === peer) this.lastCounted = null;
    this.gone.add(peer);
    this.walks.push({
      kind: 'flush',
      tables: this.iterators(),
      visit: (d) => {
        if (d.paths.length) this.removeFrom(d, peer, false);
      },
      end: () => this.gone.delete(peer),
    });
  }

  /** Walks (a peer's flush, stale mark or purge, a recheck) still have destinations to visit. */
  get flushing(): boolean {
    return this.walks.length > 0;
  }

  /** Continues the walks begun (beginFlush, beginMarkStale, ...) over at most `max` destinations; true while work remains. */
  flushSome(max: number): boolean {
    let budget = max;
    while (budget > 0 && this.walks.length) {
      const w = this.walks[0];
      const r = w.tables[0].next();
      if (r.done) {
        w.tables.shift();
        if (w.tables.length === 0) {
          this.walks.shift();
          w.end?.();
        }
        continue;
      }
      budget--;
      w.visit(r.value);
    }
    return this.walks.length > 0;
  }

  private iterators(family?: 4 | 6): IterableIterator<Dest>[] {
    return family ? [this.tables[family].values()] : [this.tables[4].values(), this.tables[6].values()];
  }

  /**
   * Marks every path of `peer` (or one family's) stale (RFC 4724 §4.2, RFC 7313 §4), keeping them in
   * use, and returns how many prefixes hold a path it marked. Paths are shared between prefixes, so
   * the mark is complete at once (a re-announcement meanwhile gets a fresh path); the destinations
   * holding them are made dirty (their decision and history) by a walk, a chunk per flushSome().
   */
  beginMarkStale(peer: PeerInfo, family?: 4 | 6): number {
    const n = this.stalePaths(peer, family);
    if (n)
      this.walks.push({
        kind: 'mark',
        tables: this.iterators(family),
        visit: (d) => {
          for (const p of d.paths)
            if (p.peer === peer && p.stale) {
              this.markDirty(d);
              return;
            }
        },
      });
    return n;
  }

  /** beginMarkStale() with its walk done now. */
  markStale(peer: PeerInfo, family?: 4 | 6): number {
    const n = this.stalePaths(peer, family);
    if (n)
      for (const it of this.iterators(family))
        for (const d of it) if (d.paths.some((p) => p.peer === peer && p.stale)) this.markDirty(d);
    return n;
  }

  /** Marks the peer's pooled paths stale; returns how many prefixes hold one of those it marked. */
  private stalePaths(peer: PeerInfo, family?: 4 | 6): number {
    let n = 0;
    for (const p of this.pool.paths())
      if (p.peer === peer && !p.stale && (!family || p.family === family)) {
        p.stale = true;
        n += p.refs;
      }
    return n;
  }

  /**
   * Removes the stale paths of `peer` (or one family's), a chunk of destinations per flushSome(), and
   * returns how many prefixes held one. Only the paths stale now go: a path marked stale later (the
   * peer down again) stays, and a re-announcement meanwhile replaced its stale path already. Until
   * the walk reaches it, a destination decided drops them first. `onRemove` hears of each removal.
   */
  beginPurgeStale(peer: PeerInfo, family?: 4 | 6, onRemove?: PurgeJob['onRemove']): number {
    const job: PurgeJob = { onRemove };
    const paths: Path[] = [];
    let n = 0;
    for (const p of this.pool.paths())
      if (p.peer === peer && p.stale && (!family || p.family === family) && !this.purging.has(p)) {
        this.purging.set(p, job);
        paths.push(p);
        n += p.refs;
      }
    if (n)
      this.walks.push({
        kind: 'purge',
        tables: this.iterators(family),
        visit: (d) => this.removePurged(d),
        end: () => {
          for (const p of paths) this.purging.delete(p);
        },
      });
    return n;
  }

  /** Takes the paths being purged out of `d` (counted, told) and marks it dirty. */
  private removePurged(d: Dest): void {
    let removed = false;
    for (let i = d.paths.length - 1; i >= 0; i--) {
      const p = d.paths[i];
      const job = this.purging.get(p);
      if (!job) continue;
      job.onRemove?.(d.family, d.key, p.pathId);
      this.removeAt(d, i);
      this.count(p.peer, d.family, -1);
      removed = true;
    }
    if (removed) this.markDirty(d);
  }

  /** Marks every destination dirty (e.g. next-hop reachability changed) now. */
  touchAll(): void {
    for (const table of [this.tables[4], this.tables[6]]) for (const d of table.values()) this.markDirty(d);
  }

  /**
   * touchAll() a chunk per flushSome(). A recheck asked again meanwhile starts over: destinations
   * the earlier walk passed may have been decided before the second change.
   */
  beginTouchAll(): void {
    this.walks = this.walks.filter((w) => w.kind !== 'touch');
    this.walks.push({ kind: 'touch', tables: this.iterators(), visit: (d) => this.markDirty(d) });
  }

  /**
   * Runs the decision for the dirty destinations (the oldest `max` of them) and returns them (their
   * paths changed, so ADD-PATH peers may need updates even when the best did not). Empty ones leave
   * their table.
   */
  decide(o: DecisionOptions, max = Number.POSITIVE_INFINITY): Dest[] {
    let done: Dest[];
    const queue = this.dirty;
    const head = this.dirtyHead;
    if (queue.length - head <= max) {
      done = head === 0 ? queue : queue.slice(head);
      this.dirty = [];
      this.dirtyHead = 0;
    } else {
      done = queue.slice(head, head + max);
      this.dirtyHead = head + max;
      // Compacted once half is taken: a copy per run of the rest would be 8 MB a turn for 1M.
      if (this.dirtyHead * 2 > queue.length) {
        this.dirty = queue.slice(this.dirtyHead);
        this.dirtyHead = 0;
      }
    }
    for (const d of done) {
      // Paths of a peer gone or being purged are never selected, though the walk has not reached them yet.
      if (this.purging.size) this.removePurged(d);
      if (this.gone.size) for (const peer of this.gone) this.removeFrom(d, peer, false);
      d.dirty = false;
      if (d.paths.length === 1) {
        // The common case of a full table: one candidate, no selection object.
        const p = d.paths[0];
        d.best = o.reachable(p) ? p : null;
        d.multipath = NO_MULTIPATH;
        d.reason = Step.ONLY_PATH;
        continue;
      }
      const s: Selection = select(d.paths, o);
      d.best = s.best;
      // Only a real ECMP set is kept: a lone best costs no array per prefix (1M-route tables).
      d.multipath = s.multipath.length > 1 ? s.multipath : NO_MULTIPATH;
      d.reason = s.reason;
      if (d.paths.length === 0) this.tables[d.family].delete(d.key);
    }
    return done;
  }

  get dirtyCount(): number {
    return this.dirty.length - this.dirtyHead;
  }
}

/** A purge of stale paths begun (beginPurgeStale). */
interface PurgeJob {
  readonly onRemove: ((family: 4 | 6, key: PrefixKey, pathId: number) => void) | undefined;
}

/** A walk over one table or both, a chunk of destinations per flushSome(). */
interface Walk {
  readonly kind: 'flush' | 'mark' | 'purge' | 'touch';
  readonly tables: IterableIterator<Dest>[];
  visit(d: Dest): void;
  end?(): void;
}

const isAttrSet = (a: RouteAttrs | AttrSet): a is AttrSet =>
  typeof (a as AttrSet).key === 'string' && 'refs' in a;
