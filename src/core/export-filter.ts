/**
 * A peer's export policy chain applied to the attribute set rewritten for it. When no term of the
 * chain reads the prefix (no `prefix-list`), the answer depends on the set alone, so it is
 * computed once per set and family: a full table to a filtered peer costs one evaluation per
 * attribute set, not one per prefix.
 */
import { type CompiledPolicy, evaluateChain } from '../policy/index.js';
import type { AttrStore } from '../rib/attr-store.js';
import { selfNextHop } from '../rib/export-rules.js';
import type { PrefixKey } from '../rib/prefix-key.js';
import type { AttrSet, PeerInfo } from '../rib/types.js';
import { policyRoute, withNextHop } from './policy-route.js';

export class ExportFilter {
  /** Input set → output set (null: rejected); absent when the chain reads the prefix. */
  private readonly cache: Record<4 | 6, WeakMap<AttrSet, AttrSet | null>> | null;

  constructor(
    readonly chain: readonly CompiledPolicy[],
    private readonly peer: PeerInfo,
    private readonly store: AttrStore,
  ) {
    this.cache = chain.some((p) => p.readsPrefix) ? null : { 4: new WeakMap(), 6: new WeakMap() };
  }

  /** Takes over the caller's reference to `set`; returns a referenced set of `store`, or null. */
  apply(family: 4 | 6, key: PrefixKey, set: AttrSet): AttrSet | null {
    if (!this.chain.length) return set;
    const cached = this.cache?.[family].get(set);
    if (cached === null) {
      this.store.release(set);
      return null;
    }
    if (cached === set) return set;
    if (cached && cached.refs > 0) {
      this.store.release(set);
      return this.store.ref(cached);
    }
    const out = this.evaluate(family, key, set);
    this.cache?.[family].set(set, out);
    return out;
  }

  private evaluate(family: 4 | 6, key: PrefixKey, set: AttrSet): AttrSet | null {
    const r = evaluateChain(this.chain, policyRoute(family, key, set.attrs, this.peer));
    if (r.action === 'reject') {
      this.store.release(set);
      return null;
    }
    if (r.attrs === set.attrs && !r.nextHopSelf) return set;
    const self = r.nextHopSelf ? selfNextHop(this.peer, family) : null;
    const out = self ? withNextHop(r.attrs, self.self, self.linkLocal) : r.attrs;
    this.store.release(set);
    return this.store.intern(out);
  }
}
