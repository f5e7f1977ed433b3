/**
 * The table walks a chunk per flushSome() (issue 18): a stale mark (graceful restart, BoRR), a purge
 * of stale paths (End-of-RIB, EoRR, timers) and a next-hop recheck. Counts are known at once, the
 * destinations are reached chunk by chunk, and changes meanwhile (a re-announcement, the peer down
 * again, a second recheck) end in the state the one-turn walk would leave.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { Step } from '../../../src/rib/decision.js';
import { LocRib } from '../../../src/rib/loc-rib.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import {
  PEER_A as A,
  PEER_B as B,
  decisionOptions,
  prefix24 as k,
  VIA_A as viaA,
  VIA_B as viaB,
} from './fixtures.js';

const O = decisionOptions();

let rib: LocRib;
/** 10 prefixes from A; the even ones from B too (B loses on AS_PATH length while A is fresh). */
beforeEach(() => {
  rib = new LocRib();
  for (let i = 0; i < 10; i++) rib.update(4, k(i), A, 0, viaA);
  for (let i = 0; i < 10; i += 2) rib.update(4, k(i), B, 0, viaB);
  rib.decide(O);
});

const dest = (i: number) => rib.get(4, k(i))!;
const stale = () => [...rib.tables[4].values()].filter((d) => d.paths.some((p) => p.peer === A && p.stale));

describe('beginMarkStale', () => {
  test('marks at once, counts every prefix, makes the destinations dirty a chunk per call', () => {
    expect(rib.beginMarkStale(A)).toBe(10);
    expect(stale()).toHaveLength(10); // shared paths: the mark is complete at once
    expect(rib.dirtyCount).toBe(0);
    expect(rib.flushSome(4)).toBe(true);
    expect(rib.dirtyCount).toBe(4);
    expect(rib.flushSome(4)).toBe(true);
    expect(rib.dirtyCount).toBe(8);
    expect(rib.flushSome(4)).toBe(false); // the last 2, then the walk ends
    expect(rib.dirtyCount).toBe(10);
    rib.decide(O);
    expect(dest(0)).toMatchObject({ best: { peer: B }, reason: Step.STALE });
    expect(dest(1)).toMatchObject({ best: { peer: A, stale: true } });
    expect(rib.countOf(A)).toBe(10);
    expect(rib.beginMarkStale(A)).toBe(0); // nothing left to mark: no walk
    expect(rib.flushing).toBe(false);
  });

  test('a re-announcement during the walk is fresh, in its prefix only', () => {
    rib.beginMarkStale(A);
    rib.flushSome(2);
    rib.update(4, k(6), A, 0, viaA); // not reached by the walk yet
    while (rib.flushSome(3));
    rib.decide(O);
    expect(dest(6)).toMatchObject({ best: { peer: A, stale: false } });
    expect(dest(4)).toMatchObject({ best: { peer: B }, reason: Step.STALE });
    expect(stale()).toHaveLength(9);
  });

  test('per family: the other family keeps its fresh paths', () => {
    rib.update(6, keyFromText('2001:db8::/32')!.key, A, 0, { ...viaA, nextHop: 'fd00::1' });
    expect(rib.beginMarkStale(A, 6)).toBe(1);
    while (rib.flushSome(100));
    expect(stale()).toHaveLength(0);
    expect(rib.dirtyCount).toBe(1); // the v6 prefix, new and now stale
  });
});

describe('beginPurgeStale', () => {
  test('counts at once, removes a chunk per call, tells each removal, and empties the table of A', () => {
    rib.markStale(A);
    rib.decide(O);
    const told: string[] = [];
    expect(rib.beginPurgeStale(A, 4, (_f, key) => told.push(String(key)))).toBe(10);
    expect(rib.flushSome(3)).toBe(true);
    expect(told).toHaveLength(3);
    expect(rib.countOf(A)).toBe(7);
    while (rib.flushSome(3));
    expect(told).toHaveLength(10);
    rib.decide(O);
    expect(rib.tables[4].size).toBe(5); // the odd prefixes had only A
    expect([...rib.tables[4].values()].every((d) => d.best?.peer === B)).toBe(true);
    expect(rib.countOf(A)).toBe(0);
    expect(rib.store.size).toBe(1); // viaB; viaA released everywhere
  });

  test('a destination decided before the walk reaches it drops the purged path first', () => {
    rib.markStale(A);
    rib.decide(O);
    rib.beginPurgeStale(A);
    rib.flushSome(2);
    rib.update(4, k(8), B, 0, { ...viaB, med: 5 });
    const decided = rib.decide(O);
    expect(decided.map((d) => d.key)).toContain(k(8));
    expect(dest(8).paths.map((p) => p.peer)).toEqual([B]);
    expect(decided.every((d) => d.best === null || !d.best.stale)).toBe(true);
    expect(rib.countOf(A)).toBe(7); // 2 by the walk, 1 by the decision
  });

  test('the peer back during the walk: a re-announcement stays, a second stale mark is not purged', () => {
    rib.markStale(A);
    rib.decide(O);
    expect(rib.beginPurgeStale(A)).toBe(10);
    rib.flushSome(2);
    rib.update(4, k(5), A, 0, viaA); // refreshed by the peer back
    rib.update(4, k(7), A, 0, viaA);
    // The peer goes down again (graceful restart): its fresh paths turn stale, not purged by this walk.
    expect(rib.beginMarkStale(A)).toBe(2);
    expect(rib.beginPurgeStale(A)).toBe(2); // only the new stale ones: the others are taken
    expect(rib.countOf(A)).toBe(8); // 6 of the first purge still held, 2 fresh-then-stale
    rib.markStale(A); // nothing new
    let walks = 0;
    while (rib.flushSome(1)) walks++;
    expect(walks).toBeGreaterThan(10);
    rib.decide(O);
    expect(rib.countOf(A)).toBe(0);
    expect(rib.tables[4].size).toBe(5);
  });

  test('a path re-announced, then marked stale after the purge began, stays', () => {
    rib.markStale(A);
    rib.beginPurgeStale(A);
    rib.update(4, k(3), A, 0, viaA);
    rib.beginMarkStale(A); // marks the fresh k(3) path stale, after the purge took its set
    while (rib.flushSome(4));
    rib.decide(O);
    expect(dest(3)).toMatchObject({ best: { peer: A, stale: true } });
    expect(rib.countOf(A)).toBe(1);
  });
});

describe('beginTouchAll', () => {
  test('marks the destinations dirty a chunk per call; a second recheck starts over', () => {
    rib.beginTouchAll();
    rib.flushSome(4);
    expect(rib.dirtyCount).toBe(4);
    rib.decide(O); // the first 4 decided with the old reachability
    rib.beginTouchAll(); // reachability changed again: the walk starts over
    let turns = 0;
    while (rib.flushSome(4)) turns++;
    expect(turns).toBe(2); // 10 destinations from the start, 4 per call: no second walk behind it
    expect(rib.dirtyCount).toBe(10);
    rib.decide(decisionOptions({ reachable: (p) => p.peer !== A }));
    expect(dest(0)).toMatchObject({ best: { peer: B }, reason: Step.REACHABILITY });
    expect(dest(1).best).toBeNull();
  });

  test('queued behind a flush, it waits its turn and the flush completes first', () => {
    rib.beginFlush(B);
    rib.beginTouchAll();
    rib.flushSome(10);
    expect(rib.dirtyCount).toBe(5); // the flush walked all 10 first, 5 of them held B
    while (rib.flushSome(10));
    expect(rib.dirtyCount).toBe(10);
    rib.decide(O);
    expect(rib.countOf(B)).toBe(0);
  });
});
