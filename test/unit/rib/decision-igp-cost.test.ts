/**
 * RFC 4271 §9.1.2.2 (e): the lowest interior cost to the NEXT_HOP, after eBGP over iBGP (d) and
 * before the router id (f); paths of unequal cost are not multipath (FRR and BIRD require it).
 * The cost comes from DecisionOptions.igpCost (the resolving kernel route's metric); without it
 * the step is skipped.
 */
import { describe, expect, test } from 'vitest';
import {
  compare,
  type DecisionOptions,
  STEP_NAMES,
  STEP_ORDER,
  Step,
  select,
} from '../../../src/rib/decision.js';
import type { Path } from '../../../src/rib/types.js';
import { attrs, decisionOptions, ebgp, ibgp, pathFactory, seq } from './fixtures.js';

const mk = pathFactory();

/** Kernel metrics by next hop, as the resolver would report them; unknown next hops cost 0. */
const costs = (table: Record<string, number>, o: Partial<DecisionOptions> = {}) =>
  decisionOptions({ igpCost: (p: Path) => table[p.attrs.attrs.nextHop ?? ''] ?? 0, ...o });

/** An iBGP path from router `n` with next hop 10.9.0.n; `extra` overrides attributes. */
const internal = (n: number, extra = {}) =>
  mk(ibgp(`10.0.0.${n}`, false, { routerId: `10.0.0.${n}` }), attrs({ nextHop: `10.9.0.${n}`, ...extra }));

describe('IGP cost step', () => {
  test('sits after eBGP over iBGP and before the router id', () => {
    const at = STEP_ORDER.indexOf(Step.IGP_COST);
    expect(STEP_ORDER[at - 1]).toBe(Step.EBGP_OVER_IBGP);
    expect(STEP_ORDER[at + 1]).toBe(Step.ROUTER_ID);
    expect(STEP_NAMES[Step.IGP_COST]).toBe('lower IGP cost');
  });

  test('the lower cost wins over a lower router id, in both orders, with its reason', () => {
    const o = costs({ '10.9.0.1': 20, '10.9.0.2': 10 });
    const [near, far] = [internal(2), internal(1)];
    expect(compare(near, far, o)).toBe(-(Step.IGP_COST + 1));
    expect(compare(far, near, o)).toBe(Step.IGP_COST + 1);
    for (const order of [
      [near, far],
      [far, near],
    ])
      expect(select(order, o)).toMatchObject({ best: near, reason: Step.IGP_COST });
    // Metrics change (the kernel route was replaced): the other path wins.
    const flipped = costs({ '10.9.0.1': 10, '10.9.0.2': 20 });
    expect(select([near, far], flipped)).toMatchObject({ best: far, reason: Step.IGP_COST });
  });

  test('equal costs fall through to the router id', () => {
    const o = costs({ '10.9.0.1': 10, '10.9.0.2': 10 });
    expect(select([internal(2), internal(1)], o)).toMatchObject({ reason: Step.ROUTER_ID });
  });

  test('without igpCost (fib: false) the step is skipped', () => {
    const [a, b] = [internal(2), internal(1)];
    expect(select([a, b], decisionOptions())).toMatchObject({ best: b, reason: Step.ROUTER_ID });
  });

  test('earlier steps still decide first: eBGP over iBGP despite a higher cost', () => {
    const o = costs({ '10.9.0.1': 5, '192.0.2.1': 500 });
    const e = mk(ebgp('10.0.0.9', 65100, { routerId: '10.0.0.9' }), attrs({ nextHop: '192.0.2.1' }));
    expect(select([internal(1), e], o)).toMatchObject({ best: e, reason: Step.EBGP_OVER_IBGP });
    const pref = internal(2, { localPref: 200 });
    expect(select([internal(1), pref], costs({ '10.9.0.1': 1, '10.9.0.2': 99 }))).toMatchObject({
      best: pref,
      reason: Step.LOCAL_PREF,
    });
  });

  test('applies to eBGP paths too (a connected next hop costs 0)', () => {
    const o = costs({ '192.0.2.1': 0, '192.0.2.2': 30 });
    const a = mk(ebgp('10.0.0.9', 65100, { routerId: '10.0.0.9' }), attrs({ nextHop: '192.0.2.1' }));
    const b = mk(ebgp('10.0.0.1', 65100, { routerId: '10.0.0.1' }), attrs({ nextHop: '192.0.2.2' }));
    expect(select([b, a], o)).toMatchObject({ best: a, reason: Step.IGP_COST });
  });
});

describe('IGP cost and multipath', () => {
  const ecmp = (table: Record<string, number>) => costs(table, { maximumPaths: 8 });
  const paths = () => [1, 2, 3].map((n) => internal(n, { asPath: [seq(65100)] }));

  test('equal costs: every path joins the best', () => {
    const [a, b, c] = paths();
    const s = select([c, b, a], ecmp({ '10.9.0.1': 10, '10.9.0.2': 10, '10.9.0.3': 10 }));
    expect(s.best).toBe(a);
    expect(new Set(s.multipath)).toEqual(new Set([a, b, c]));
  });

  test('a path with a higher cost is left out of the ECMP set', () => {
    const [a, b, c] = paths();
    const s = select([a, b, c], ecmp({ '10.9.0.1': 10, '10.9.0.2': 10, '10.9.0.3': 11 }));
    expect(new Set(s.multipath)).toEqual(new Set([a, b]));
    // The cheapest alone when it is strictly cheaper than the rest.
    const alone = select([a, b, c], ecmp({ '10.9.0.1': 20, '10.9.0.2': 20, '10.9.0.3': 5 }));
    expect(alone).toMatchObject({ best: c, reason: Step.IGP_COST, multipath: [c] });
  });
});
