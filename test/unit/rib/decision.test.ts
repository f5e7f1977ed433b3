/**
 * The decision process (RFC 4271 §9.1.2.2, RFC 4456 §9), one test per tie-break step: the winner
 * and the reason, in both argument orders and through select(). Each loser is made better on every
 * later step, so the step under test is the one that decides. Then select(): reasons with several
 * candidates, reachability, and multipath (ECMP) membership.
 */
import { describe, expect, test } from 'vitest';
import {
  compare,
  type DecisionOptions,
  neighborAs,
  pathLength,
  STEP_NAMES,
  Step,
  type StepCode,
  select,
} from '../../../src/rib/decision.js';
import type { Path } from '../../../src/rib/types.js';
import { Origin } from '../../../src/wire/index.js';
import {
  attrs,
  confedSeq,
  confedSet,
  decisionOptions,
  ebgp,
  ibgp,
  LOCAL_PEER,
  pathFactory,
  seq,
  set,
} from './fixtures.js';

const mk = pathFactory();
const O = decisionOptions();

/** `winner` beats `loser` at `step`, whichever side it is on, and select() agrees. */
function decides(winner: Path, loser: Path, step: StepCode, o: DecisionOptions = O): void {
  expect(compare(winner, loser, o)).toBe(-(step + 1));
  expect(compare(loser, winner, o)).toBe(step + 1);
  for (const order of [
    [winner, loser],
    [loser, winner],
  ]) {
    const s = select(order, o);
    expect(s.best).toBe(winner);
    expect(s.reason).toBe(step);
    expect(STEP_NAMES[s.reason]).toBe(STEP_NAMES[step]);
  }
}

describe('one decision per step', () => {
  test('reachability: an unreachable next hop loses to anything (RFC 4271 §9.1.2.1)', () => {
    const o = decisionOptions({ reachable: (p) => p.attrs.attrs.nextHop !== '198.51.100.9' });
    const good = mk(ebgp('10.0.0.9', 65100, { routerId: '10.0.0.9' }), attrs({ localPref: 50 }));
    const dead = mk(ebgp('10.0.0.1'), attrs({ localPref: 500, nextHop: '198.51.100.9' }));
    decides(good, dead, Step.REACHABILITY, o);
  });

  test('stale (RFC 4724 §4.2): a fresh path beats a stale one with higher LOCAL_PREF', () => {
    const fresh = mk(ebgp('10.0.0.9'), attrs({ localPref: 100 }));
    const stale = mk(ebgp('10.0.0.1'), attrs({ localPref: 200 }), { stale: true });
    decides(fresh, stale, Step.STALE);
  });

  test('LOCAL_PREF: higher wins even with a longer AS_PATH', () => {
    const high = mk(ebgp('10.0.0.9'), attrs({ localPref: 200, asPath: [seq(65100, 1, 2, 3)] }));
    const low = mk(ebgp('10.0.0.1'), attrs({ localPref: 150 }));
    decides(high, low, Step.LOCAL_PREF);
  });

  test('LOCAL_PREF: absent counts as 100', () => {
    const absent = mk(ebgp('10.0.0.9'), attrs({ asPath: [seq(65100, 1, 2)] }));
    decides(absent, mk(ebgp('10.0.0.1'), attrs({ localPref: 99 })), Step.LOCAL_PREF);
    decides(
      mk(ebgp('10.0.0.1'), attrs({ localPref: 101, asPath: [seq(65100, 1, 2)] })),
      absent,
      Step.LOCAL_PREF,
    );
    const explicit100 = mk(ebgp('10.0.0.1'), attrs({ localPref: 100, asPath: [seq(65100, 1)] }));
    decides(explicit100, absent, Step.AS_PATH_LENGTH);
  });

  test('locally originated (peer id 0) beats learned, even with a longer AS_PATH', () => {
    const local = mk(LOCAL_PEER, { origin: Origin.INCOMPLETE, asPath: [seq(1, 2, 3)], nextHop: '0.0.0.0' });
    const learned = mk(ebgp('10.0.0.1', 65100, { routerId: '1.1.1.1' }), attrs());
    decides(local, learned, Step.LOCAL_ORIGIN);
  });

  test('AS_PATH length: shorter wins over a better ORIGIN', () => {
    const short = mk(ebgp('10.0.0.9'), attrs({ asPath: [seq(65100, 1)], origin: Origin.INCOMPLETE }));
    const long = mk(ebgp('10.0.0.1'), attrs({ asPath: [seq(65100, 1, 2)], origin: Origin.IGP }));
    decides(short, long, Step.AS_PATH_LENGTH);
  });

  test('AS_PATH length: AS_SET counts 1, confederation segments 0 (RFC 4271 §9.1.2.2, RFC 5065)', () => {
    expect(pathLength(mk(LOCAL_PEER, { asPath: [seq(1), set(2, 3, 4, 5)] }))).toBe(2);
    expect(pathLength(mk(LOCAL_PEER, { asPath: [confedSeq(7, 8), confedSet(9), seq(1, 2)] }))).toBe(2);
    expect(pathLength(mk(LOCAL_PEER, {}))).toBe(0);
    const withSet = mk(ebgp('10.0.0.9'), attrs({ asPath: [seq(65100), set(2, 3, 4, 5)] }));
    decides(withSet, mk(ebgp('10.0.0.1'), attrs({ asPath: [seq(65100, 2, 3)] })), Step.AS_PATH_LENGTH);
    const confed = mk(ebgp('10.0.0.9'), attrs({ asPath: [confedSeq(64512, 64513, 64514), seq(65100)] }));
    decides(confed, mk(ebgp('10.0.0.1'), attrs({ asPath: [seq(65100, 2)] })), Step.AS_PATH_LENGTH);
  });

  test('ORIGIN: IGP < EGP < INCOMPLETE, over a lower MED', () => {
    const igp = mk(ebgp('10.0.0.9'), attrs({ origin: Origin.IGP, med: 50 }));
    const egp = mk(ebgp('10.0.0.8'), attrs({ origin: Origin.EGP, med: 10 }));
    const inc = mk(ebgp('10.0.0.1'), attrs({ origin: Origin.INCOMPLETE, med: 0 }));
    decides(igp, egp, Step.ORIGIN);
    decides(egp, inc, Step.ORIGIN);
    decides(igp, inc, Step.ORIGIN);
  });

  test('MED: lower wins between routes from the same neighbor AS, over eBGP-vs-iBGP', () => {
    const low = mk(ibgp('10.0.0.9'), attrs({ med: 10, asPath: [seq(65100, 1)] }));
    const high = mk(ebgp('10.0.0.1'), attrs({ med: 20, asPath: [seq(65100, 2)] }));
    expect(neighborAs(low)).toBe(65100);
    decides(low, high, Step.MED);
  });

  test('MED: not compared across neighbor ASes unless alwaysCompareMed', () => {
    const low = mk(
      ebgp('10.0.0.9', 65200, { routerId: '10.0.0.9' }),
      attrs({ med: 10, asPath: [seq(65200)] }),
    );
    const high = mk(
      ebgp('10.0.0.1', 65100, { routerId: '10.0.0.1' }),
      attrs({ med: 20, asPath: [seq(65100)] }),
    );
    decides(high, low, Step.ROUTER_ID);
    decides(low, high, Step.MED, decisionOptions({ alwaysCompareMed: true }));
  });

  test('MED: absent counts as 0, the lowest (RFC 4271 §9.1.2.2 c)', () => {
    const absent = mk(ebgp('10.0.0.9'), attrs());
    decides(absent, mk(ebgp('10.0.0.1'), attrs({ med: 1 })), Step.MED);
    decides(mk(ebgp('10.0.0.9'), attrs({ med: 0 })), mk(ebgp('10.0.0.1'), attrs({ med: 1 })), Step.MED);
  });

  test('MED: routes with an empty AS_PATH or a leading AS_SET all count as the local AS', () => {
    expect(neighborAs(mk(LOCAL_PEER, {}))).toBe(0);
    expect(neighborAs(mk(LOCAL_PEER, { asPath: [set(1, 2)] }))).toBe(0);
    const a = mk(ibgp('10.0.0.9'), { origin: 0, asPath: [], med: 5, nextHop: '10.9.0.1' });
    const b = mk(ibgp('10.0.0.1'), { origin: 0, asPath: [], med: 6, nextHop: '10.9.0.2' });
    decides(a, b, Step.MED);
  });

  test('eBGP over iBGP (RFC 4271 §9.1.2.2 d), over a lower router id', () => {
    const external = mk(ebgp('10.0.0.9', 65100, { routerId: '10.0.0.9' }), attrs());
    const internal = mk(ibgp('10.0.0.1', false, { routerId: '1.1.1.1' }), attrs());
    decides(external, internal, Step.EBGP_OVER_IBGP);
  });

  test('router id: lowest BGP identifier, compared as a number, over a lower peer address', () => {
    const low = mk(ebgp('10.0.0.99', 65100, { routerId: '9.255.255.255' }), attrs());
    const high = mk(ebgp('10.0.0.1', 65100, { routerId: '10.0.0.1' }), attrs());
    decides(low, high, Step.ROUTER_ID);
    const top = mk(ebgp('10.0.0.0', 65100, { routerId: '200.0.0.1' }), attrs());
    decides(high, top, Step.ROUTER_ID);
  });

  test('router id: ORIGINATOR_ID stands in for the advertiser id when present (RFC 4456 §9)', () => {
    const viaRr = mk(ibgp('10.0.0.1', false, { routerId: '1.1.1.1' }), attrs({ originatorId: '9.9.9.9' }));
    const direct = mk(ibgp('10.0.0.9', false, { routerId: '5.5.5.5' }), attrs());
    decides(direct, viaRr, Step.ROUTER_ID);
    const viaRr2 = mk(ibgp('10.0.0.9', false, { routerId: '1.1.1.2' }), attrs({ originatorId: '2.2.2.2' }));
    decides(viaRr2, direct, Step.ROUTER_ID);
  });

  test('CLUSTER_LIST: shorter wins when the originator is the same (RFC 4456 §9)', () => {
    const a = { originatorId: '7.7.7.7' };
    const one = mk(
      ibgp('10.0.0.9', false, { routerId: '3.3.3.3' }),
      attrs({ ...a, clusterList: ['1.0.0.1'] }),
    );
    const two = mk(
      ibgp('10.0.0.1', false, { routerId: '2.2.2.2' }),
      attrs({ ...a, clusterList: ['1.0.0.2', '1.0.0.1'] }),
    );
    decides(one, two, Step.CLUSTER_LIST_LENGTH);
    const none = mk(ibgp('10.0.0.10', false, { routerId: '7.7.7.7' }), attrs());
    decides(none, one, Step.CLUSTER_LIST_LENGTH);
  });

  test('peer address: lowest IPv4, compared as a number', () => {
    const id = { routerId: '7.7.7.7' };
    const dot2 = mk(ebgp('10.0.0.2', 65100, id), attrs(), { pathId: 9 });
    const dot10 = mk(ebgp('10.0.0.10', 65100, id), attrs(), { pathId: 1 });
    decides(dot2, dot10, Step.PEER_ADDRESS);
  });

  test('peer address: lowest IPv6, compared as 128-bit numbers', () => {
    const id = { routerId: '7.7.7.7' };
    const two = mk(ebgp('2001:db8::2', 65100, id), attrs({ nextHop: '2001:db8::2' }), { pathId: 5 });
    const ten = mk(ebgp('2001:db8::10', 65100, id), attrs({ nextHop: '2001:db8::10' }), { pathId: 1 });
    decides(two, ten, Step.PEER_ADDRESS);
    const ll = mk(ebgp('fe80::1', 65100, id), attrs({ nextHop: 'fe80::1' }));
    decides(ten, ll, Step.PEER_ADDRESS);
  });

  test('path id: lowest RFC 7911 path identifier from the same peer', () => {
    const from = ebgp('10.0.0.1');
    const first = mk(from, attrs({ nextHop: '192.0.2.7' }), { pathId: 1 });
    const second = mk(from, attrs({ nextHop: '192.0.2.6' }), { pathId: 2 });
    decides(first, second, Step.PATH_ID);
    const v6 = ebgp('2001:db8::7');
    const low = mk(v6, attrs({ nextHop: '2001:db8::7' }), { pathId: 3 });
    decides(low, mk(v6, attrs({ nextHop: '2001:db8::8' }), { pathId: 4 }), Step.PATH_ID);
  });

  test('identical candidates compare equal', () => {
    const p = mk(ebgp('10.0.0.1'), attrs());
    expect(compare(p, p, O)).toBe(0);
  });

  test('every step has its own name', () => {
    const codes = Object.values(Step);
    expect(new Set(codes.map((c) => STEP_NAMES[c])).size).toBe(codes.length);
  });
});

describe('select()', () => {
  const permutations = <T>(xs: readonly T[]): T[][] =>
    xs.length <= 1
      ? [[...xs]]
      : xs.flatMap((x, i) => permutations(xs.filter((_, j) => j !== i)).map((r) => [x, ...r]));

  test('a single candidate wins as the only path', () => {
    const p = mk(ebgp('10.0.0.1'), attrs());
    expect(select([p], O)).toEqual({ best: p, reason: Step.ONLY_PATH, multipath: [p] });
  });

  test('no candidates: nothing selected', () => {
    expect(select([], O)).toMatchObject({ best: null, multipath: [] });
  });

  test('with 3+ candidates the reason is the step that beat the runner-up, in any order', () => {
    const best = mk(ebgp('10.0.0.5', 65100, { routerId: '1.1.1.1' }), attrs({ localPref: 200 }));
    const lowPref = mk(ebgp('10.0.0.1', 65100, { routerId: '0.0.0.1' }), attrs({ localPref: 100 }));
    const runnerUp = mk(ebgp('10.0.0.2', 65100, { routerId: '2.2.2.2' }), attrs({ localPref: 200 }));
    const longer = mk(ebgp('10.0.0.3'), attrs({ localPref: 200, asPath: [seq(65100, 1)] }));
    for (const order of permutations([best, lowPref, runnerUp, longer])) {
      expect(select(order, O)).toMatchObject({ best, reason: Step.ROUTER_ID });
    }
  });

  test('the reason follows the decision order, not the step codes: a stale loser is eliminated first', () => {
    const best = mk(ebgp('10.0.0.5'), attrs({ localPref: 200 }));
    const runnerUp = mk(ebgp('10.0.0.1'), attrs({ localPref: 150 }));
    const stale = mk(ebgp('10.0.0.2'), attrs({ localPref: 200 }), { stale: true });
    for (const order of permutations([best, runnerUp, stale])) {
      expect(select(order, O)).toMatchObject({ best, reason: Step.LOCAL_PREF });
    }
  });

  test('an unreachable path is never selected, however good', () => {
    const o = decisionOptions({ reachable: (p) => p.attrs.attrs.nextHop !== '198.51.100.9' });
    const dead = mk(LOCAL_PEER, { origin: 0, localPref: 1000, nextHop: '198.51.100.9' });
    const alive = mk(ebgp('10.0.0.1'), attrs({ localPref: 10 }));
    const alive2 = mk(ebgp('10.0.0.2'), attrs({ localPref: 5 }));
    expect(select([dead, alive, alive2], o)).toMatchObject({ best: alive, reason: Step.LOCAL_PREF });
    expect(select([dead], o)).toEqual({ best: null, reason: Step.ONLY_PATH, multipath: [] });
    expect(select([dead, mk(ebgp('10.0.0.3'), attrs({ nextHop: '198.51.100.9' }))], o).best).toBeNull();
  });
});

describe('multipath', () => {
  const ecmp = (o: Partial<DecisionOptions> = {}) => decisionOptions({ maximumPaths: 8, ...o });
  const from = (n: number, asn = 65100) => ebgp(`10.0.0.${n}`, asn, { routerId: `10.0.0.${n}` });
  const via = (n: number, asn = 65100, extra = {}) =>
    mk(from(n, asn), attrs({ asPath: [seq(asn, 64999)], nextHop: `192.0.2.${n}`, ...extra }));

  test('paths equal up to the router id step join the best, best first', () => {
    const [a, b, c] = [via(1), via(2), via(3)];
    const s = select([c, a, b], ecmp());
    expect(s.best).toBe(a);
    expect(s.reason).toBe(Step.ROUTER_ID);
    expect(s.multipath[0]).toBe(a);
    expect(new Set(s.multipath)).toEqual(new Set([a, b, c]));
  });

  test('maximumPaths 1 disables multipath', () => {
    const [a, b] = [via(1), via(2)];
    expect(select([a, b], ecmp({ maximumPaths: 1 })).multipath).toEqual([a]);
  });

  test('a worse path (higher MED, longer AS_PATH, lower LOCAL_PREF) is not a multipath', () => {
    const a = via(1);
    const worse = [
      via(2, 65100, { med: 5 }),
      via(3, 65100, { asPath: [seq(65100, 1, 2)] }),
      via(4, 65100, { localPref: 90 }),
    ];
    expect(select([a, ...worse], ecmp()).multipath).toEqual([a]);
  });

  test('different neighbor ASes only with multipathRelax', () => {
    const [a, b, c] = [via(1), via(2, 65200), via(3, 65300)];
    expect(select([a, b, c], ecmp()).multipath).toEqual([a]);
    expect(new Set(select([a, b, c], ecmp({ multipathRelax: true })).multipath)).toEqual(new Set([a, b, c]));
  });

  test('eBGP and iBGP paths are never mixed', () => {
    const local = mk(LOCAL_PEER, attrs({ nextHop: '192.0.2.50' }));
    const e = via(1);
    const i = mk(
      ibgp('10.0.0.2', false, { routerId: '10.0.0.2' }),
      attrs({ asPath: [seq(65100, 64999)], nextHop: '192.0.2.2' }),
    );
    expect(select([e, i], ecmp({ multipathRelax: true })).multipath).toEqual([e]);
    expect(select([local, e], ecmp({ multipathRelax: true })).multipath).toEqual([local]);
    const i2 = mk(
      ibgp('10.0.0.3', false, { routerId: '10.0.0.3' }),
      attrs({ asPath: [seq(65100, 64999)], nextHop: '192.0.2.3' }),
    );
    expect(select([i2, i], ecmp()).multipath).toEqual([i, i2]);
  });

  test('next hops must be distinct', () => {
    const a = via(1);
    const sameHop = mk(from(2), attrs({ asPath: [seq(65100, 64999)], nextHop: '192.0.2.1' }));
    const b = via(3);
    expect(select([a, sameHop, b], ecmp()).multipath).toEqual([a, b]);
  });

  test('capped at maximumPaths', () => {
    const paths = [1, 2, 3, 4, 5].map((n) => via(n));
    const s = select(paths, ecmp({ maximumPaths: 2 }));
    expect(s.multipath).toHaveLength(2);
    expect(s.multipath[0]).toBe(paths[0]);
  });

  test('unreachable and stale paths are not multipaths of a fresh, reachable best', () => {
    const a = via(1);
    const dead = via(2);
    const stale: Path = { ...via(3), stale: true };
    const o = ecmp({ reachable: (p) => p !== dead });
    expect(select([a, dead, stale], o)).toMatchObject({ best: a, multipath: [a] });
  });
});
