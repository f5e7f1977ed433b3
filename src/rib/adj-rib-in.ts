/**
 * A neighbor's Adj-RIB-In before import policy (RFC 4271 §3.2), kept only with
 * `soft-reconfiguration-inbound` (FRR's `soft-reconfiguration inbound`, BIRD's `import table`): a
 * changed import policy is applied to it again without asking the peer (RFC 2918 ROUTE-REFRESH).
 * Per prefix and path id the attribute set as received, interned in its own store.
 */
import { AttrStore } from './attr-store.js';
import type { PrefixKey } from './prefix-key.js';
import type { AttrSet, RouteAttrs } from './types.js';

export class AdjRibIn {
  private readonly store = new AttrStore();
  /** prefix → set, or path id → set where the peer sends several (ADD-PATH). */
  private readonly tables: Record<4 | 6, Map<PrefixKey, AttrSet | Map<number, AttrSet>>> = {
    4: new Map(),
    6: new Map(),
  };
  private readonly counts = { 4: 0, 6: 0 };

  /** Interns `attrs` for a run of `put`s; release the returned set after the run. */
  intern(attrs: RouteAttrs): AttrSet {
    return this.store.intern(attrs);
  }

  release(set: AttrSet): void {
    this.store.release(set);
  }

  put(family: 4 | 6, key: PrefixKey, pathId: number, set: AttrSet): void {
    const t = this.tables[family];
    const e = t.get(key);
    if (pathId === 0 && !(e instanceof Map)) {
      if (e) this.store.release(e);
      else this.counts[family]++;
      t.set(key, this.store.ref(set));
      return;
    }
    let byId: Map<number, AttrSet>;
    if (e instanceof Map) byId = e;
    else {
      byId = new Map();
      if (e) byId.set(0, e);
      t.set(key, byId);
    }
    const old = byId.get(pathId);
    if (old) this.store.release(old);
    else this.counts[family]++;
    byId.set(pathId, this.store.ref(set));
  }

  delete(family: 4 | 6, key: PrefixKey, pathId: number): void {
    const t = this.tables[family];
    const e = t.get(key);
    if (!e) return;
    if (!(e instanceof Map)) {
      if (pathId !== 0) return;
      this.store.release(e);
      t.delete(key);
      this.counts[family]--;
      return;
    }
    const old = e.get(pathId);
    if (!old) return;
    this.store.release(old);
    e.delete(pathId);
    this.counts[family]--;
    if (e.size === 0) t.delete(key);
  }

  /** Paths held in a family. */
  count(family: 4 | 6): number {
    return this.counts[family];
  }

  /** Every path of a family grouped by attribute set: what re-importing needs. */
  bySet(family: 4 | 6): Map<AttrSet, { key: PrefixKey; pathId: number }[]> {
    const out = new Map<AttrSet, { key: PrefixKey; pathId: number }[]>();
    const add = (set: AttrSet, key: PrefixKey, pathId: number) => {
      let list = out.get(set);
      if (!list) {
        list = [];
        out.set(set, list);
      }
      list.push({ key, pathId });
    };
    for (const [key, e] of this.tables[family]) {
      if (e instanceof Map) for (const [id, set] of e) add(set, key, id);
      else add(e, key, 0);
    }
    return out;
  }
}
