/**
 * The BGP decision process (RFC 4271 §9.1.2.2 with RFC 4456 §9 and the usual tie-breaks), pure:
 * compare() returns which path wins and at which step, so every best path carries its reason.
 * Multipath (ECMP) collects the paths equal to the best up to and including the IGP-cost step.
 */
import { parseIPv4, parseIPv6 } from '../util/ip.js';
import { AsPathSegmentType } from '../wire/index.js';
import type { Path } from './types.js';

/** Decision steps in order; the reason a path won is the step that separated it from the runner-up. */
export const Step = {
  ONLY_PATH: 0,
  REACHABILITY: 1,
  LOCAL_PREF: 2,
  LOCAL_ORIGIN: 3,
  AS_PATH_LENGTH: 4,
  ORIGIN: 5,
  MED: 6,
  EBGP_OVER_IBGP: 7,
  /** Everything up to here equal: candidates for multipath. */
  ROUTER_ID: 8,
  CLUSTER_LIST_LENGTH: 9,
  PEER_ADDRESS: 10,
  PATH_ID: 11,
  STALE: 12,
  /** RFC 4271 §9.1.2.2 (e); numbered last so the older codes keep their values. */
  IGP_COST: 13,
} as const;
export type StepCode = (typeof Step)[keyof typeof Step];

export const STEP_NAMES: Record<StepCode, string> = {
  0: 'only path',
  1: 'next hop reachable',
  2: 'higher LOCAL_PREF',
  3: 'locally originated',
  4: 'shorter AS_PATH',
  5: 'lower ORIGIN',
  6: 'lower MED',
  7: 'eBGP over iBGP',
  8: 'lower router id',
  9: 'shorter CLUSTER_LIST',
  10: 'lower peer address',
  11: 'lower path id',
  12: 'not stale',
  13: 'lower IGP cost',
};

/** The steps in the order compare() applies them (the codes are not in that order: STALE is 12, IGP_COST 13). */
export const STEP_ORDER: readonly StepCode[] = [
  Step.ONLY_PATH,
  Step.REACHABILITY,
  Step.STALE,
  Step.LOCAL_PREF,
  Step.LOCAL_ORIGIN,
  Step.AS_PATH_LENGTH,
  Step.ORIGIN,
  Step.MED,
  Step.EBGP_OVER_IBGP,
  Step.IGP_COST,
  Step.ROUTER_ID,
  Step.CLUSTER_LIST_LENGTH,
  Step.PEER_ADDRESS,
  Step.PATH_ID,
];
const RANK: readonly number[] = STEP_ORDER.reduce<number[]>((r, step, i) => {
  r[step] = i;
  return r;
}, []);

export interface DecisionOptions {
  /** Compare MED across different neighbor ASes (bgp always-compare-med). */
  readonly alwaysCompareMed: boolean;
  /** ECMP width (maximum-paths); 1 disables multipath. */
  readonly maximumPaths: number;
  /** Allow multipath across different neighbor ASes (bestpath as-path multipath-relax). */
  readonly multipathRelax: boolean;
  /** Next-hop reachability (RFC 4271 §9.1.2.1); paths with unreachable next hops are not eligible. */
  readonly reachable: (p: Path) => boolean;
  /**
   * Interior cost to a path's next hop (RFC 4271 §9.1.2.2 (e)): the metric of the kernel route that
   * resolves it, 0 when connected. Absent (fib: false): the step is skipped, as if all were equal.
   */
  readonly igpCost?: (p: Path) => number;
}

/** AS_PATH length for the decision: a set counts 1, confederation segments 0 (RFC 5065 §5.3). */
export function pathLength(p: Path): number {
  let n = 0;
  for (const s of p.attrs.attrs.asPath ?? []) {
    if (s.type === AsPathSegmentType.AS_SEQUENCE) n += s.asns.length;
    else if (s.type === AsPathSegmentType.AS_SET) n += 1;
  }
  return n;
}

/** The neighbor AS of a path: the first AS of its first AS_SEQUENCE, or 0 (local / iBGP-originated). */
export function neighborAs(p: Path): number {
  for (const s of p.attrs.attrs.asPath ?? []) {
    if (s.type === AsPathSegmentType.AS_SEQUENCE && s.asns.length) return s.asns[0];
    if (s.type === AsPathSegmentType.AS_SET) return 0;
  }
  return 0;
}

const isLocal = (p: Path) => p.peer.id === 0;
const localPref = (p: Path) => p.attrs.attrs.localPref ?? 100;
const routerId = (p: Path) => {
  const o = p.attrs.attrs.originatorId;
  return o !== undefined ? parseIPv4(o) : p.peer.routerIdNum;
};
const clusterLength = (p: Path) => p.attrs.attrs.clusterList?.length ?? 0;

function compareAddress(a: string, b: string): number {
  const x = parseIPv4(a);
  const y = parseIPv4(b);
  if (x >= 0 && y >= 0) return x - y;
  const bx = parseIPv6(a) ?? new Uint8Array(16);
  const by = parseIPv6(b) ?? new Uint8Array(16);
  for (let i = 0; i < 16; i++) if (bx[i] !== by[i]) return bx[i] - by[i];
  return 0;
}

/**
 * Negative when `a` is better, positive when `b` is; the magnitude is the deciding Step + 1
 * (0 only for identical candidates).
 */
export function compare(a: Path, b: Path, o: DecisionOptions): number {
  const win = (aBetter: boolean, step: StepCode) => (aBetter ? -(step + 1) : step + 1);
  const ra = o.reachable(a);
  if (ra !== o.reachable(b)) return win(ra, Step.REACHABILITY);
  if (a.stale !== b.stale) return win(!a.stale, Step.STALE);
  if (localPref(a) !== localPref(b)) return win(localPref(a) > localPref(b), Step.LOCAL_PREF);
  if (isLocal(a) !== isLocal(b)) return win(isLocal(a), Step.LOCAL_ORIGIN);
  const la = pathLength(a);
  const lb = pathLength(b);
  if (la !== lb) return win(la < lb, Step.AS_PATH_LENGTH);
  const oa = a.attrs.attrs.origin ?? 2;
  const ob = b.attrs.attrs.origin ?? 2;
  if (oa !== ob) return win(oa < ob, Step.ORIGIN);
  // RFC 4271 §9.1.2.2 (c): MED only between routes from the same neighbor AS; absent MED is 0.
  if (o.alwaysCompareMed || neighborAs(a) === neighborAs(b)) {
    const ma = a.attrs.attrs.med ?? 0;
    const mb = b.attrs.attrs.med ?? 0;
    if (ma !== mb) return win(ma < mb, Step.MED);
  }
  if (a.peer.ibgp !== b.peer.ibgp && !isLocal(a) && !isLocal(b))
    return win(!a.peer.ibgp, Step.EBGP_OVER_IBGP);
  if (o.igpCost) {
    // RFC 4271 §9.1.2.2 (e): prefer the lowest interior cost to the NEXT_HOP.
    const ga = o.igpCost(a);
    const gb = o.igpCost(b);
    if (ga !== gb) return win(ga < gb, Step.IGP_COST);
  }
  const ia = routerId(a);
  const ib = routerId(b);
  if (ia !== ib) return win(ia < ib, Step.ROUTER_ID); // RFC 4456 §9: ORIGINATOR_ID stands for the router id
  const ca = clusterLength(a);
  const cb = clusterLength(b);
  if (ca !== cb) return win(ca < cb, Step.CLUSTER_LIST_LENGTH); // RFC 4456 §9
  const pa = compareAddress(a.peer.address, b.peer.address);
  if (pa !== 0) return win(pa < 0, Step.PEER_ADDRESS);
  if (a.pathId !== b.pathId) return win(a.pathId < b.pathId, Step.PATH_ID);
  return 0;
}

export interface Selection {
  readonly best: Path | null;
  /** The step that made `best` win over the runner-up. */
  readonly reason: StepCode;
  /** ECMP set including `best` (length 1 without multipath). */
  readonly multipath: readonly Path[];
}

const NONE: Selection = { best: null, reason: Step.ONLY_PATH, multipath: [] };

/** Picks the best path and its multipath set; unreachable paths are never selected. */
export function select(paths: readonly Path[], o: DecisionOptions): Selection {
  let best: Path | null = null;
  for (const p of paths) if (o.reachable(p) && (!best || compare(p, best, o) < 0)) best = p;
  if (!best) return NONE;
  // The reason is the step that beat the runner-up: the latest step, in decision order, separating
  // best from any other candidate.
  let reason: StepCode = Step.ONLY_PATH;
  for (const p of paths) {
    if (p === best) continue;
    const c = Math.abs(compare(best, p, o));
    if (c > 0 && RANK[c - 1] > RANK[reason]) reason = (c - 1) as StepCode;
  }
  if (o.maximumPaths <= 1) return { best, reason, multipath: [best] };
  const multipath = [best];
  const nextHops = new Set([best.attrs.attrs.nextHop]);
  for (const p of paths) {
    if (p === best || multipath.length >= o.maximumPaths || !o.reachable(p)) continue;
    const c = Math.abs(compare(p, best, o));
    // Equal through the IGP cost, like FRR and BIRD: ECMP over unequal interior costs would send
    // traffic the longer way.
    const equalThroughIgp = c === 0 || RANK[c - 1] >= RANK[Step.ROUTER_ID];
    if (!equalThroughIgp || p.peer.ibgp !== best.peer.ibgp) continue;
    if (!o.multipathRelax && neighborAs(p) !== neighborAs(best)) continue;
    if (nextHops.has(p.attrs.attrs.nextHop)) continue; // ECMP needs distinct next hops
    nextHops.add(p.attrs.attrs.nextHop);
    multipath.push(p);
  }
  return { best, reason, multipath };
}
