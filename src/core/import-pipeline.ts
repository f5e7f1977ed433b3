/**
 * Import: a received UPDATE into the Loc-RIB (RFC 4271 §9.1). Withdrawals and RFC 7606
 * treat-as-withdraw first, then per announced run the import rules (AS loop, RR loop: rib/
 * import-rules.ts), RFC 8212, and the import policy; the kept Adj-RIB-In (soft reconfiguration)
 * takes what arrived before policy; max-prefix (RFC 4486 §4) is checked after each UPDATE. It does
 * not run the decision: it tells `changed` and the engine schedules it.
 */
import { evaluateChain } from '../policy/index.js';
import type { LocalInfo } from '../rib/export-rules.js';
import { checkImport } from '../rib/import-rules.js';
import type { LocRib } from '../rib/loc-rib.js';
import { keyFromWire, type PrefixKey } from '../rib/prefix-key.js';
import type { AttrSet, PeerInfo, RouteAttrs } from '../rib/types.js';
import type { NlriList, UpdateMessage } from '../wire/index.js';
import { familyOf, type PeerRuntime } from './peer-registry.js';
import { policyRoute, withNextHop } from './policy-route.js';

export interface ImportDeps {
  readonly rib: LocRib;
  readonly local: LocalInfo;
  /** Told why received routes were not accepted (for debug logs). */
  readonly onRejected?: (peer: PeerInfo, family: 4 | 6, prefixes: number, reason: string) => void;
  /** The RIB changed: the decision has work. */
  readonly changed: () => void;
}

export class ImportPipeline {
  constructor(private readonly d: ImportDeps) {}

  receive(rt: PeerRuntime, m: UpdateMessage): void {
    const { rib } = this.d;
    const info = rt.info;
    const withdraw = (family: 4 | 6, list: NlriList) =>
      list.forEach((b, off, len, pathId) => {
        const key = keyFromWire(family, b, off, len);
        rt.adjIn?.delete(family, key, pathId);
        rib.withdraw(family, key, info, pathId);
      });
    withdraw(4, m.withdrawn);
    const unreach = m.mpUnreach && familyOf(m.mpUnreach.family);
    if (m.mpUnreach && unreach) withdraw(unreach, m.mpUnreach.withdrawn);
    const reach = m.mpReach && familyOf(m.mpReach.family);
    if (m.attributes === null) {
      // RFC 7606 treat-as-withdraw: every prefix the UPDATE announced is withdrawn.
      withdraw(4, m.nlri);
      if (m.mpReach && reach) withdraw(reach, m.mpReach.nlri);
    } else {
      const octets = m.attributeOctets;
      const four = rt.params.fourOctetAs;
      if (m.nlri.count)
        this.importList(rt, 4, m.nlri, m.attributes, octets && rib.store.receivedKey(octets, four));
      if (m.mpReach && reach && m.mpReach.nlri.count) {
        const { nextHop: _v4, ...rest } = m.attributes;
        const { nextHop, linkLocalNextHop } = m.mpReach;
        const attrs: RouteAttrs = {
          ...rest,
          nextHop,
          ...(linkLocalNextHop !== undefined && { linkLocalNextHop }),
        };
        const key = octets && rib.store.receivedKey(octets, four, nextHop, linkLocalNextHop);
        this.importList(rt, reach, m.mpReach.nlri, attrs, key);
      }
    }
    // RFC 4486 §4: over the limit, the session ends (the caller's `exceeded`); nothing to decide.
    const mp = rt.maxPrefix;
    if (mp) {
      for (const f of rt.families) {
        if (rib.countOf(info, f) > mp.limit) {
          mp.exceeded(f, mp.limit);
          return;
        }
      }
    }
    this.d.changed();
  }

  /**
   * Soft reconfiguration inbound: the peer's kept Adj-RIB-In through import rules and policy again
   * (after a policy change), instead of a ROUTE-REFRESH. False when the peer keeps none.
   */
  reimport(rt: PeerRuntime): boolean {
    if (!rt.adjIn) return false;
    for (const f of rt.families) {
      for (const [set, paths] of rt.adjIn.bySet(f)) {
        this.importPaths(rt, f, set.attrs, paths.length, undefined, (visit) => {
          for (const p of paths) visit(p.key, p.pathId);
        });
      }
    }
    this.d.changed();
    return true;
  }

  /** `received`: the store's key of `attrs` as the peer sent them (AttrStore.receivedKey). */
  private importList(
    rt: PeerRuntime,
    family: 4 | 6,
    list: NlriList,
    attrs: RouteAttrs,
    received?: string,
  ): void {
    const adjIn = rt.adjIn;
    const kept = adjIn?.intern(attrs); // soft reconfiguration: as received, before policy
    this.importPaths(rt, family, attrs, list.count, received, (visit) =>
      list.forEach((b, off, len, pathId) => {
        const key = keyFromWire(family, b, off, len);
        if (kept) adjIn?.put(family, key, pathId, kept);
        visit(key, pathId);
      }),
    );
    if (kept) adjIn?.release(kept);
  }

  /**
   * Import rules and policy for the paths `each` visits, all received with `attrs`. Attributes the
   * rules and policy leave as they are keep the set under `received`: no encoding to find it.
   */
  private importPaths(
    rt: PeerRuntime,
    family: 4 | 6,
    attrs: RouteAttrs,
    count: number,
    received: string | undefined,
    each: (visit: (key: PrefixKey, pathId: number) => void) => void,
  ): void {
    const { rib, onRejected } = this.d;
    const checked = checkImport(attrs, rt.info, this.d.local, rt.importOptions);
    // An ineligible route replaces any earlier path for the prefix (implicit withdraw).
    if ('reject' in checked || rt.blockImport) {
      each((key, pathId) => rib.withdraw(family, key, rt.info, pathId));
      const reason =
        'reject' in checked ? checked.reject : 'no import policy (RFC 8212 ebgp-requires-policy)';
      onRejected?.(rt.info, family, count, reason);
      return;
    }
    if (!rt.importPolicy.length) {
      const set =
        received !== undefined && checked.attrs === attrs
          ? rib.store.internKeyed(received, attrs)
          : rib.store.intern(checked.attrs);
      each((key, pathId) => rib.update(family, key, rt.info, pathId, set));
      rib.store.release(set);
      return;
    }
    // Per-prefix policy; results that are the same object share one interned set.
    const sets = new Map<RouteAttrs, AttrSet>();
    /** Rejections per "policy/term", reported once per UPDATE. */
    const rejected = new Map<string, number>();
    each((key, pathId) => {
      const r = evaluateChain(rt.importPolicy, policyRoute(family, key, checked.attrs, rt.info));
      if (r.action === 'reject') {
        rib.withdraw(family, key, rt.info, pathId);
        const why = `rejected by import policy ${r.policy ?? '?'}${r.matchedTerm ? ` term ${r.matchedTerm}` : ' (default)'}`;
        rejected.set(why, (rejected.get(why) ?? 0) + 1);
        return;
      }
      const out = r.nextHopSelf
        ? withNextHop(r.attrs, family === 4 ? rt.info.localAddress4 : rt.info.localAddress6)
        : r.attrs;
      let set = sets.get(out);
      if (!set) {
        set = rib.store.intern(out);
        sets.set(out, set);
      }
      rib.update(family, key, rt.info, pathId, set);
    });
    for (const set of sets.values()) rib.store.release(set);
    for (const [why, n] of rejected) onRejected?.(rt.info, family, n, why);
  }
}
