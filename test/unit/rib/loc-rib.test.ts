/**
 * Loc-RIB bookkeeping: update / withdraw / implicit withdraw (RFC 4271 §3.1: a new advertisement
 * of a path replaces the old), ADD-PATH path ids (RFC 7911), dirty tracking and decide(), store
 * reference counts, and the graceful-restart helper operations (RFC 4724 §4.2: stale marking,
 * refresh by re-advertisement, purge of what stayed stale).
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { AttrStore } from '../../../src/rib/attr-store.js';
import { Step } from '../../../src/rib/decision.js';
import { LocRib } from '../../../src/rib/loc-rib.js';
import { keyFromText, type PrefixKey } from '../../../src/rib/prefix-key.js';
import { attrs, decisionOptions, ebgp, ibgp, seq } from './fixtures.js';

const O = decisionOptions();
const k = (text: string): PrefixKey => keyFromText(text)!.key;
const P1 = k('10.0.0.0/24');
const P2 = k('10.0.1.0/24');
const P6 = k('2001:db8::/48');

const A = ebgp('10.1.0.1', 65100, { routerId: '1.0.0.1' });
const B = ebgp('10.2.0.1', 65200, { routerId: '2.0.0.1' });
const C = ibgp('10.3.0.1', false, { routerId: '3.0.0.1' });
const viaA = attrs({ asPath: [seq(65100)], nextHop: '10.1.0.1' });
const viaB = attrs({ asPath: [seq(65200, 1)], nextHop: '10.2.0.1' });

let rib: LocRib;
beforeEach(() => {
  rib = new LocRib();
});

describe('update, withdraw, decide', () => {
  test('a new prefix creates a dirty destination; decide() selects and clears the dirty set', () => {
    rib.update(4, P1, A, 0, viaA);
    expect(rib.dirtyCount).toBe(1);
    const done = rib.decide(O);
    expect(done.map((d) => d.key)).toEqual([P1]);
    const d = rib.get(4, P1)!;
    expect(d.best?.peer).toBe(A);
    expect(d.reason).toBe(Step.ONLY_PATH);
    expect(d.multipath).toEqual([]); // a lone best is not stored as an ECMP set
    expect(rib.decide(O)).toEqual([]);
  });

  test('the best of several peers, with its reason', () => {
    rib.update(4, P1, B, 0, viaB);
    rib.update(4, P1, A, 0, viaA);
    rib.update(4, P1, C, 0, attrs({ asPath: [seq(65100)], nextHop: '10.1.0.1' }));
    rib.decide(O);
    expect(rib.get(4, P1)).toMatchObject({ reason: Step.EBGP_OVER_IBGP, best: { peer: A } });
    expect(rib.pathCount).toBe(3);
  });

  test('the same path again with equal attributes changes nothing', () => {
    rib.update(4, P1, A, 0, viaA);
    rib.decide(O);
    rib.update(4, P1, A, 0, attrs({ asPath: [seq(65100)], nextHop: '10.1.0.1' }));
    expect(rib.dirtyCount).toBe(0);
    expect(rib.get(4, P1)!.paths[0].attrs.refs).toBe(1);
  });

  test('implicit withdraw: a new advertisement from the same peer and path id replaces the old path', () => {
    rib.update(4, P1, A, 0, viaA);
    rib.decide(O);
    const first = rib.get(4, P1)!.paths[0].attrs;
    rib.update(4, P1, A, 0, { ...viaA, med: 5 });
    expect(rib.dirtyCount).toBe(1);
    const d = rib.get(4, P1)!;
    expect(d.paths).toHaveLength(1);
    expect(d.paths[0].attrs.attrs.med).toBe(5);
    expect(first.refs).toBe(0);
    expect(rib.store.size).toBe(1);
  });

  test('ADD-PATH: the same peer with different path ids holds several paths', () => {
    rib.update(4, P1, A, 1, viaA);
    rib.update(4, P1, A, 2, { ...viaA, nextHop: '10.1.0.9' });
    rib.decide(O);
    const d = rib.get(4, P1)!;
    expect(d.paths.map((p) => p.pathId)).toEqual([1, 2]);
    expect(d).toMatchObject({ reason: Step.PATH_ID, best: { pathId: 1 } });
    rib.withdraw(4, P1, A, 1);
    rib.decide(O);
    expect(rib.get(4, P1)).toMatchObject({ best: { pathId: 2 }, reason: Step.ONLY_PATH });
  });

  test('withdrawing the last path: decide() reports the destination, with no best, and removes it', () => {
    rib.update(4, P1, A, 0, viaA);
    rib.decide(O);
    rib.withdraw(4, P1, A, 0);
    const [d] = rib.decide(O);
    expect(d).toMatchObject({ key: P1, best: null, multipath: [] });
    expect(rib.get(4, P1)).toBeUndefined();
    expect(rib.store.size).toBe(0);
  });

  test('a withdrawal then a new advertisement before decide() keeps the destination', () => {
    rib.update(4, P1, A, 0, viaA);
    rib.decide(O);
    rib.withdraw(4, P1, A, 0);
    rib.update(4, P1, B, 0, viaB);
    rib.decide(O);
    expect(rib.get(4, P1)?.best?.peer).toBe(B);
  });

  test('withdrawing what is not there is a no-op', () => {
    rib.withdraw(4, P1, A, 0);
    rib.update(4, P1, A, 0, viaA);
    rib.decide(O);
    rib.withdraw(4, P1, B, 0);
    rib.withdraw(4, P1, A, 7);
    expect(rib.dirtyCount).toBe(0);
    expect(rib.pathCount).toBe(1);
  });

  test('families are separate tables', () => {
    rib.update(6, P6, A, 0, { ...viaA, nextHop: 'fd00:1::1' });
    rib.update(4, P1, A, 0, viaA);
    expect(rib.tables[4].size).toBe(1);
    expect(rib.tables[6].size).toBe(1);
    expect(rib.get(4, P6)).toBeUndefined();
  });

  test('paths share interned sets; an interned set may be passed in, even one from another store', () => {
    rib.update(4, P1, A, 0, viaA);
    rib.update(4, P2, A, 0, { ...viaA });
    expect(rib.store.size).toBe(1);
    const set = rib.get(4, P1)!.paths[0].attrs;
    expect(set.refs).toBe(2);
    rib.update(6, P6, A, 0, set);
    expect(set.refs).toBe(3);
    const foreign = new AttrStore().intern(viaA);
    rib.update(4, P1, B, 0, foreign);
    expect(rib.get(4, P1)!.paths[1].attrs).toBe(set);
    expect([set.refs, foreign.refs]).toEqual([4, 1]);
    for (const [f, key, p] of [
      [4, P1, A],
      [4, P2, A],
      [6, P6, A],
      [4, P1, B],
    ] as const)
      rib.withdraw(f, key, p, 0);
    expect(rib.store.size).toBe(0);
  });

  test('touchAll() marks every destination dirty', () => {
    rib.update(4, P1, A, 0, viaA);
    rib.update(4, P2, A, 0, viaA);
    rib.update(6, P6, A, 0, viaA);
    rib.decide(O);
    rib.touchAll();
    expect(rib.dirtyCount).toBe(3);
  });

  test('a changed reachability is picked up by the next decide()', () => {
    rib.update(4, P1, A, 0, viaA);
    rib.update(4, P1, B, 0, viaB);
    rib.decide(O);
    expect(rib.get(4, P1)!.best?.peer).toBe(A);
    rib.touchAll();
    rib.decide(decisionOptions({ reachable: (p) => p.peer !== A }));
    expect(rib.get(4, P1)).toMatchObject({ best: { peer: B }, reason: Step.REACHABILITY });
  });
});

describe('session down and graceful restart (RFC 4724 §4.2)', () => {
  const load = () => {
    rib.update(4, P1, A, 0, viaA);
    rib.update(4, P2, A, 0, viaA);
    rib.update(6, P6, A, 0, { ...viaA, nextHop: 'fd00:1::1' });
    rib.update(4, P1, B, 0, viaB);
    rib.decide(O);
  };

  test('flushPeer() removes every path of the peer in both families and releases the sets', () => {
    load();
    expect(rib.flushPeer(A)).toBe(3);
    const done = rib.decide(O);
    expect(done).toHaveLength(3);
    expect(rib.get(4, P1)?.best?.peer).toBe(B);
    expect(rib.get(4, P2)).toBeUndefined();
    expect(rib.get(6, P6)).toBeUndefined();
    expect(rib.store.size).toBe(1);
    expect(rib.flushPeer(A)).toBe(0);
  });

  test('markStale() keeps the paths in use but loses to fresh ones', () => {
    load();
    expect(rib.markStale(A)).toBe(3);
    expect(rib.markStale(A)).toBe(0);
    expect(rib.decide(O)).toHaveLength(3);
    expect(rib.get(4, P1)).toMatchObject({ best: { peer: B }, reason: Step.STALE });
    expect(rib.get(4, P2)).toMatchObject({ best: { peer: A, stale: true } });
    expect(rib.pathCount).toBe(4);
  });

  test('re-advertisement clears the stale mark; flushPeer(onlyStale) purges the rest at End-of-RIB', () => {
    load();
    rib.markStale(A);
    rib.decide(O);
    rib.update(4, P1, A, 0, viaA);
    rib.update(6, P6, A, 0, { ...viaA, med: 1, nextHop: 'fd00:1::1' });
    expect(rib.dirtyCount).toBe(2);
    rib.decide(O);
    expect(rib.get(4, P1)).toMatchObject({ best: { peer: A, stale: false } });
    expect(rib.flushPeer(A, true)).toBe(1);
    rib.decide(O);
    expect(rib.get(4, P2)).toBeUndefined();
    expect(rib.get(4, P1)?.paths).toHaveLength(2);
    expect(rib.get(6, P6)?.best?.attrs.attrs.med).toBe(1);
    expect(rib.store.size).toBe(3);
  });

  test('flushPeer() of one family leaves the other (RFC 4724 §4.2: per-AFI purge)', () => {
    load();
    rib.markStale(A);
    expect(rib.flushPeer(A, true, 6)).toBe(1);
    expect(rib.get(6, P6)?.paths).toEqual([]);
    expect(rib.get(4, P2)?.paths[0]).toMatchObject({ peer: A, stale: true });
    expect([rib.countOf(A, 4), rib.countOf(A, 6), rib.countOf(A)]).toEqual([2, 0, 2]);
  });

  test('countOf() follows updates, replacements, withdrawals and flushes per family', () => {
    load();
    expect([rib.countOf(A, 4), rib.countOf(A, 6), rib.countOf(B), rib.countOf(C)]).toEqual([2, 1, 1, 0]);
    rib.update(4, P1, A, 0, { ...viaA, med: 9 });
    rib.update(4, P1, A, 3, viaA);
    expect(rib.countOf(A, 4)).toBe(3);
    rib.withdraw(4, P1, A, 3);
    rib.withdraw(4, P1, A, 3);
    expect(rib.countOf(A, 4)).toBe(2);
    rib.flushPeer(A);
    expect(rib.countOf(A)).toBe(0);
  });

  test('a replaced path keeps its ADD-PATH send id; a new path gets a fresh one', () => {
    rib.update(4, P1, A, 0, viaA);
    const before = rib.get(4, P1)!.paths[0].txId;
    rib.update(4, P1, A, 0, { ...viaA, med: 3 });
    expect(rib.get(4, P1)!.paths[0].txId).toBe(before);
    rib.update(4, P1, B, 0, viaB);
    expect(rib.get(4, P1)!.paths[1].txId).not.toBe(before);
  });

  test('flushPeer(onlyStale) leaves other peers alone, stale or not', () => {
    load();
    rib.markStale(A);
    rib.markStale(B);
    expect(rib.flushPeer(A, true)).toBe(3);
    expect(rib.get(4, P1)?.paths.map((p) => [p.peer, p.stale])).toEqual([[B, true]]);
  });
});
