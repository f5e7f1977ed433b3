/**
 * A peer gone with a full table (beginFlush/flushSome): its paths leave a chunk of destinations per
 * call, are never selected meanwhile, and count 0 at once. Paths are shared objects between the
 * prefixes that hold them (path-pool.ts): stale marking and replacement stay per prefix in effect.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { RoutingEngine } from '../../../src/core/routing.js';
import { LocRib } from '../../../src/rib/loc-rib.js';
import { Origin } from '../../../src/wire/index.js';
import {
  PEER_A as A,
  attrs,
  PEER_B as B,
  decisionOptions,
  prefix24 as k,
  seq,
  VIA_A as viaA,
  VIA_B as viaB,
} from './fixtures.js';

const O = decisionOptions();

let rib: LocRib;
beforeEach(() => {
  rib = new LocRib();
});

describe('beginFlush / flushSome', () => {
  test('removes a chunk per call; the peer counts 0 at once; its paths are never selected again', () => {
    for (let i = 0; i < 10; i++) rib.update(4, k(i), A, 0, viaA);
    for (let i = 0; i < 10; i += 2) rib.update(4, k(i), B, 0, viaB); // B loses to A (longer AS_PATH)
    rib.decide(O);
    expect(rib.get(4, k(0))!.best?.peer).toBe(A);
    rib.beginFlush(A);
    expect(rib.countOf(A)).toBe(0);
    expect(rib.flushing).toBe(true);
    expect(rib.flushSome(4)).toBe(true);
    const withA = () => [...rib.tables[4].values()].filter((d) => d.paths.some((p) => p.peer === A)).length;
    expect(withA()).toBe(6);
    // A destination not reached by the flush yet, decided now (a change from B), drops A first.
    rib.update(4, k(8), B, 0, { ...viaB, med: 5 });
    const decided = rib.decide(O);
    const d8 = rib.get(4, k(8))!;
    expect(d8.paths.map((p) => p.peer)).toEqual([B]);
    expect(d8.best?.peer).toBe(B);
    expect(decided.every((d) => d.best?.peer !== A)).toBe(true);
    while (rib.flushSome(3));
    expect(withA()).toBe(0);
    expect(rib.flushing).toBe(false);
    rib.decide(O);
    expect(rib.tables[4].size).toBe(5); // the odd prefixes had only A
    expect([...rib.tables[4].values()].every((d) => d.best?.peer === B)).toBe(true);
    expect(rib.countOf(B)).toBe(5);
    expect(rib.store.size).toBe(2); // viaB and viaB with MED 5; viaA released everywhere
  });

  test('the engine spreads a peer-down flush over turns (flushChunk) and settles', () => {
    const engine = new RoutingEngine({
      local: { asn: 65000, routerId: '10.0.0.1', clusterId: '10.0.0.1' },
      decision: { alwaysCompareMed: false, maximumPaths: 1, multipathRelax: false },
      flushChunk: 2,
    });
    for (let i = 0; i < 20; i++)
      engine.rib.update(
        4,
        k(i),
        A,
        0,
        attrs({ origin: Origin.IGP, asPath: [seq(65100)], nextHop: '10.1.0.1' }),
      );
    engine.settle();
    engine.peerDown(A);
    engine.flush();
    expect(engine.rib.flushing).toBe(true); // 4 destinations per turn (2 × flushChunk)
    engine.settle();
    expect(engine.rib.flushing).toBe(false);
    expect(engine.rib.tables[4].size).toBe(0);
    expect(engine.rib.store.size).toBe(0);
  });
});

describe('shared paths', () => {
  test('prefixes with the same (peer, path id, set) share one path; a replaced one keeps its send id', () => {
    rib.update(4, k(1), A, 0, viaA);
    rib.update(4, k(2), A, 0, { ...viaA });
    const p1 = rib.get(4, k(1))!.paths[0];
    expect(rib.get(4, k(2))!.paths[0]).toBe(p1);
    rib.update(4, k(2), A, 0, { ...viaA, med: 7 });
    const p2 = rib.get(4, k(2))!.paths[0];
    expect(p2).not.toBe(p1);
    expect(p2.txId).toBe(p1.txId);
    expect(rib.get(4, k(1))!.paths[0]).toBe(p1); // the other prefix is untouched
    expect(p1.attrs.refs).toBe(1);
  });

  test('a second path makes the prefix its own array; withdrawing it goes back to one path', () => {
    rib.update(4, k(1), A, 0, viaA);
    rib.update(4, k(2), A, 0, viaA);
    rib.update(4, k(1), B, 0, viaB);
    expect(rib.get(4, k(1))!.paths.map((p) => p.peer)).toEqual([A, B]);
    expect(rib.get(4, k(2))!.paths.map((p) => p.peer)).toEqual([A]);
    rib.withdraw(4, k(1), A, 0);
    expect(rib.get(4, k(1))!.paths.map((p) => p.peer)).toEqual([B]);
    expect(rib.get(4, k(2))!.paths.map((p) => p.peer)).toEqual([A]);
  });

  test('markStale counts every prefix of a shared path; a re-announcement is fresh in that prefix only', () => {
    for (let i = 0; i < 3; i++) rib.update(4, k(i), A, 0, viaA);
    rib.decide(O);
    expect(rib.markStale(A)).toBe(3);
    expect(rib.dirtyCount).toBe(3);
    expect(rib.markStale(A)).toBe(0);
    rib.update(4, k(0), A, 0, viaA);
    expect(rib.get(4, k(0))!.paths[0].stale).toBe(false);
    expect(rib.get(4, k(1))!.paths[0].stale).toBe(true);
    expect(rib.flushPeer(A, true)).toBe(2);
    expect(rib.countOf(A)).toBe(1);
  });
});
