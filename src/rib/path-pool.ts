/**
 * Shared Path objects: a path (peer, path id, attribute set) is one object for every prefix that
 * holds it, with a one-element paths array of its own, so a full table from one peer costs no Path
 * and no array per prefix. Not the Loc-RIB's per-prefix data (loc-rib.ts) nor the decision.
 * A stale path (RFC 4724 §4.2) is marked on the shared object and never handed out again.
 */
import type { AttrStore } from './attr-store.js';
import type { AttrSet, Path, PeerInfo } from './types.js';

/** A Path held by `refs` prefixes; `solo` is the paths array of a prefix with this path alone. */
export class PooledPath implements Path {
  stale = false;
  refs = 0;
  readonly solo: Path[];

  constructor(
    readonly family: 4 | 6,
    readonly peer: PeerInfo,
    readonly pathId: number,
    readonly txId: number,
    readonly attrs: AttrSet,
  ) {
    this.solo = [this];
  }
}

export class PathPool {
  /** Paths by attribute set (few per set: one per peer and path id, plus stale ones). */
  private readonly bySet = new Map<AttrSet, PooledPath[]>();
  /** Our ADD-PATH identifiers per (peer, path id): a path replaced in place keeps its id (RFC 7911). */
  private readonly txIds = new WeakMap<PeerInfo, Map<number, number>>();
  private nextTxId = 1;
  /** Runs of prefixes share their path: the last one handed out skips the lookup. */
  private last: PooledPath | null = null;

  constructor(private readonly store: AttrStore) {}

  /**
   * The shared, not-stale path for (family, peer, pathId, set) with one more reference. Takes over
   * the caller's reference on `set` (a store's set is referenced once per prefix holding it).
   */
  take(peer: PeerInfo, pathId: number, set: AttrSet, family: 4 | 6): PooledPath {
    const l = this.last;
    if (
      l !== null &&
      l.attrs === set &&
      l.peer === peer &&
      l.pathId === pathId &&
      l.family === family &&
      !l.stale
    ) {
      l.refs++;
      return l;
    }
    const list = this.bySet.get(set);
    let p: PooledPath | undefined;
    if (list) {
      for (let i = 0; i < list.length; i++) {
        const c = list[i];
        if (c.peer === peer && c.pathId === pathId && c.family === family && !c.stale) {
          p = c;
          break;
        }
      }
    }
    if (!p) {
      p = new PooledPath(family, peer, pathId, this.txIdOf(peer, pathId), set);
      // Sized for one: most sets have one path (an empty array grows to 17 slots on its first push).
      if (list) list.push(p);
      else this.bySet.set(set, [p]);
    }
    p.refs++;
    this.last = p;
    return p;
  }

  /** Drops one prefix's reference to the path and to its attribute set; the last one frees the path. */
  release(path: Path): void {
    const p = path as PooledPath;
    this.store.release(p.attrs);
    if (--p.refs > 0) return;
    if (this.last === p) this.last = null;
    const list = this.bySet.get(p.attrs);
    if (list) {
      const i = list.indexOf(p);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.bySet.delete(p.attrs);
    }
  }

  /** Every path held by some prefix (few: per attribute set, one per peer and path id, plus stale ones). */
  *paths(): IterableIterator<PooledPath> {
    for (const list of this.bySet.values()) yield* list;
  }

  private txIdOf(peer: PeerInfo, pathId: number): number {
    let ids = this.txIds.get(peer);
    if (!ids) {
      ids = new Map();
      this.txIds.set(peer, ids);
    }
    let id = ids.get(pathId);
    if (id === undefined) {
      id = this.nextTxId;
      this.nextTxId = (id % 0xffffffff) + 1;
      ids.set(pathId, id);
    }
    return id;
  }
}
