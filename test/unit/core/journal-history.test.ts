/**
 * Route events per prefix from decision runs and the per-prefix summary (src/core/prefix-history.ts):
 * announce, implicit replace, best and ECMP changes, withdraw, stale; flaps and outage windows (no
 * best path, no FIB route) with their durations from a ManualClock, surviving ring wrap.
 */
import { describe, expect, it } from 'vitest';
import { Journal } from '../../../src/core/journal.js';
import { PrefixHistory } from '../../../src/core/prefix-history.js';
import type { FibChange } from '../../../src/fib/types.js';
import type { DecisionOptions } from '../../../src/rib/decision.js';
import { LocRib } from '../../../src/rib/loc-rib.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import type { RouteAttrs } from '../../../src/rib/types.js';
import { ManualClock } from '../../../src/util/clock.js';
import { AsPathSegmentType, Origin } from '../../../src/wire/index.js';
import { DECISION, peer } from './fixtures.js';

const ORIGIN = Date.UTC(2026, 11, 6, 12, 0, 0);
const P = '10.1.0.0/24';
const K = keyFromText(P)!.key;
const A = peer(1, 65001);
const B = peer(2, 65002);

const attrs = (nextHop: string, asPathLength = 1, med?: number): RouteAttrs => ({
  origin: Origin.IGP,
  asPath: [
    { type: AsPathSegmentType.AS_SEQUENCE, asns: Array.from({ length: asPathLength }, (_, i) => 65001 + i) },
  ],
  nextHop,
  ...(med !== undefined && { med }),
});

function setup(o: { size?: number; decision?: Partial<DecisionOptions> } = {}) {
  const clock = new ManualClock();
  const journal = new Journal({ size: o.size ?? 1000, clock, origin: ORIGIN });
  const rib = new LocRib();
  const history = new PrefixHistory({ journal, lookup: (f, k) => rib.get(f, k) });
  const decision: DecisionOptions = { ...DECISION, reachable: () => true, ...o.decision };
  const decide = () => history.decided(rib.decide(decision));
  return { clock, journal, rib, history, decide };
}

describe('PrefixHistory', () => {
  it('journals announce, implicit replace, best change and withdraw with before/after next hops', () => {
    const { clock, journal, rib, decide } = setup();
    rib.update(4, K, A, 0, attrs('192.0.2.1', 2));
    decide();
    clock.advance(10);
    rib.update(4, K, A, 0, attrs('192.0.2.11', 2)); // same peer, new attributes: implicit replace
    decide();
    clock.advance(10);
    rib.update(4, K, B, 0, attrs('192.0.2.2', 1)); // shorter AS path wins
    decide();
    clock.advance(10);
    rib.withdraw(4, K, B, 0);
    rib.withdraw(4, K, A, 0);
    decide();
    const events = journal.query({ prefix: P });
    expect(events.map((e) => [e.type, e.peer, e.t - ORIGIN])).toEqual([
      ['route-announce', '192.0.2.1', 0],
      ['route-replace', '192.0.2.1', 10],
      ['best-change', '192.0.2.2', 20],
      ['route-withdraw', '192.0.2.2', 30],
      // A's path, no longer best, goes too: a path event of its own.
      ['path-withdraw', '192.0.2.1', 30],
    ]);
    expect(events[1]).toMatchObject({
      before: [{ peer: '192.0.2.1', nextHop: '192.0.2.1' }],
      after: [{ peer: '192.0.2.1', nextHop: '192.0.2.11' }],
    });
    expect(events[2]).toMatchObject({
      before: [{ nextHop: '192.0.2.11' }],
      after: [{ nextHop: '192.0.2.2' }],
    });
    expect(events[3]).toMatchObject({ before: [{ nextHop: '192.0.2.2' }], after: [], cause: 'withdrawn' });
    expect(events[4]).toMatchObject({ before: [{ nextHop: '192.0.2.11' }], after: [], cause: 'withdrawn' });
  });

  it('journals announce, implicit replace and withdraw of a path that is not best', () => {
    const { clock, journal, rib, history, decide } = setup();
    rib.update(4, K, A, 0, attrs('192.0.2.1', 1));
    decide();
    clock.advance(5);
    rib.update(4, K, B, 0, attrs('192.0.2.2', 3)); // a worse path: the best stays
    decide();
    clock.advance(5);
    rib.update(4, K, B, 0, attrs('192.0.2.22', 3)); // still worse, new attributes
    decide();
    clock.advance(5);
    rib.update(4, K, B, 0, attrs('192.0.2.22', 3)); // the same again: nothing changed
    decide();
    rib.withdraw(4, K, B, 0);
    decide();
    const events = journal.query({ prefix: P });
    expect(events.map((e) => [e.type, e.peer, e.t - ORIGIN])).toEqual([
      ['route-announce', '192.0.2.1', 0],
      ['path-announce', '192.0.2.2', 5],
      ['path-replace', '192.0.2.2', 10],
      ['path-withdraw', '192.0.2.2', 15],
    ]);
    expect(events[1]).toMatchObject({ before: [], after: [{ peer: '192.0.2.2', nextHop: '192.0.2.2' }] });
    expect(events[2]).toMatchObject({
      before: [{ nextHop: '192.0.2.2' }],
      after: [{ nextHop: '192.0.2.22' }],
    });
    expect(events[3]).toMatchObject({ before: [{ nextHop: '192.0.2.22' }], after: [], cause: 'withdrawn' });
    // The peer filter finds them by their sender; the selection never changed, so no flap, no record.
    expect(journal.query({ peer: '192.0.2.2' }).map((e) => e.type)).toEqual([
      'path-announce',
      'path-replace',
      'path-withdraw',
    ]);
    expect(history.summary(P)).toMatchObject({ changes: 0, flaps: 0 });
    expect(history.totals().records).toBe(0);
  });

  it('a path that becomes best or stops being best is the selection event alone', () => {
    const { journal, rib, decide } = setup();
    rib.update(4, K, A, 0, attrs('192.0.2.1', 1));
    rib.update(4, K, B, 0, attrs('192.0.2.2', 3));
    decide(); // both at once: the best is announced, the other path too
    rib.update(4, K, A, 0, attrs('192.0.2.1', 5)); // A gets worse: B becomes best
    decide();
    rib.update(4, K, B, 0, attrs('192.0.2.2', 6)); // B gets worse still: A is best again
    decide();
    expect(journal.query().map((e) => [e.type, e.peer])).toEqual([
      ['route-announce', '192.0.2.1'],
      ['path-announce', '192.0.2.2'],
      ['best-change', '192.0.2.2'],
      ['best-change', '192.0.2.1'],
    ]);
  });

  it('journals ECMP set changes: a member added or lost while the best stays, and a new best', () => {
    const { journal, rib, decide } = setup({ decision: { maximumPaths: 4, multipathRelax: true } });
    const C = peer(3, 65003);
    rib.update(4, K, A, 0, attrs('192.0.2.1', 1));
    decide();
    rib.update(4, K, B, 0, attrs('192.0.2.2', 1)); // joins the ECMP set
    decide();
    rib.update(4, K, C, 0, attrs('192.0.2.3', 1));
    decide();
    rib.update(4, K, C, 0, attrs('192.0.2.3', 4)); // C leaves the set, still a path
    decide();
    rib.withdraw(4, K, A, 0); // the best goes: B is best alone
    decide();
    const hopsOf = (v: unknown) => (v as { nextHop: string }[]).map((h) => h.nextHop);
    const e = journal.query({ prefix: P });
    expect(e.map((x) => [x.type, hopsOf(x.before), hopsOf(x.after)])).toEqual([
      ['route-announce', [], ['192.0.2.1']],
      ['ecmp-change', ['192.0.2.1'], ['192.0.2.1', '192.0.2.2']],
      ['ecmp-change', ['192.0.2.1', '192.0.2.2'], ['192.0.2.1', '192.0.2.2', '192.0.2.3']],
      ['ecmp-change', ['192.0.2.1', '192.0.2.2', '192.0.2.3'], ['192.0.2.1', '192.0.2.2']],
      ['best-change', ['192.0.2.1', '192.0.2.2'], ['192.0.2.2']],
    ]);
    // C, no longer in the set, is then withdrawn: a path event.
    rib.withdraw(4, K, C, 0);
    decide();
    expect(journal.query({ type: 'path-withdraw' }).map((x) => [x.peer, hopsOf(x.before)])).toEqual([
      ['192.0.2.3', ['192.0.2.3']],
    ]);
  });

  it('counts flaps and outage windows with their durations; the summary survives ring wrap', () => {
    const { clock, journal, rib, history, decide } = setup({ size: 3 });
    rib.update(4, K, A, 0, attrs('192.0.2.1'));
    decide();
    expect(history.summary(P)).toMatchObject({
      flaps: 0,
      changes: 0,
      outages: [],
      lastChange: '2026-12-06T12:00:00.000Z',
    });
    clock.advance(1000);
    rib.withdraw(4, K, A, 0);
    decide(); // no best from t=1000
    clock.advance(250);
    expect(history.summary(P)?.outages).toEqual([
      { kind: 'no-best', start: '2026-12-06T12:00:01.000Z', end: null, ms: 250 },
    ]);
    clock.advance(250);
    rib.update(4, K, A, 0, attrs('192.0.2.1'));
    decide(); // back at t=1500
    clock.advance(500);
    rib.withdraw(4, K, A, 0);
    decide(); // gone at 2000
    clock.advance(100);
    rib.update(4, K, B, 0, attrs('192.0.2.2'));
    decide(); // back at 2100
    // Fill the ring with other prefixes so the prefix's own events are gone.
    for (let i = 2; i < 10; i++) {
      rib.update(4, keyFromText(`10.${i}.0.0/24`)!.key, A, 0, attrs('192.0.2.1'));
      decide();
    }
    expect(journal.query({ prefix: P })).toEqual([]);
    const s = history.summary(P);
    expect(s).toMatchObject({
      prefix: P,
      firstSeen: '2026-12-06T12:00:00.000Z',
      lastChange: '2026-12-06T12:00:02.100Z',
      flaps: 2,
      changes: 4,
      outageCount: 2,
      outageMs: { 'no-best': 600, 'no-fib': 0 },
    });
    expect(s?.outages.map((o) => [o.kind, o.ms, o.end])).toEqual([
      ['no-best', 500, '2026-12-06T12:00:01.500Z'],
      ['no-best', 100, '2026-12-06T12:00:02.100Z'],
    ]);
    expect(history.totals()).toMatchObject({ records: 1, detached: 0, flaps: 2 });
    expect(history.totals().outageSeconds['no-best']).toBeCloseTo(0.6);
  });

  it('a next hop that becomes unreachable is an outage with its own cause', () => {
    let reachable = true;
    const { clock, journal, rib, history, decide } = setup({ decision: { reachable: () => reachable } });
    rib.update(4, K, A, 0, attrs('192.0.2.1'));
    decide();
    reachable = false;
    clock.advance(40);
    rib.touchAll();
    decide();
    expect(journal.query({ type: 'route-withdraw' })[0]).toMatchObject({ cause: 'no usable path' });
    reachable = true;
    clock.advance(60);
    rib.touchAll();
    decide();
    expect(history.summary(P)).toMatchObject({ flaps: 1, outageMs: { 'no-best': 60 } });
  });

  it('FIB removal and refusal open a no-fib outage, the next install closes it', () => {
    const { clock, journal, rib, history, decide } = setup();
    rib.update(4, K, A, 0, attrs('192.0.2.1'));
    decide();
    const route = { family: 4 as const, prefix: P, nextHops: [{ via: '192.0.2.1' }] };
    const add: FibChange = { op: 'add', route };
    const del: FibChange = { op: 'delete', family: 4, prefix: P };
    history.fibApplied([add], [], journal.now());
    clock.advance(100);
    history.fibApplied([del], [], journal.now());
    clock.advance(30);
    history.fibApplied([add], [{ change: add, error: 'Nexthop has invalid gateway' }], journal.now());
    clock.advance(70);
    history.fibApplied([add], [], journal.now());
    expect(journal.query({ prefix: P }).map((e) => e.type)).toEqual([
      'route-announce',
      'fib-install',
      'fib-remove',
      'fib-refuse',
      'fib-install',
    ]);
    expect(journal.query({ type: 'fib-refuse' })[0]).toMatchObject({
      op: 'add',
      error: 'Nexthop has invalid gateway',
    });
    expect(history.summary(P)).toMatchObject({
      outageCount: 1,
      outageMs: { 'no-best': 0, 'no-fib': 100 },
      outages: [{ kind: 'no-fib', ms: 100 }],
    });
  });

  it('marks paths kept by the graceful-restart helper as stale events', () => {
    const { journal, rib, history, decide } = setup();
    rib.update(4, K, A, 0, attrs('192.0.2.1'));
    decide();
    history.staleFor(A.address, true);
    rib.markStale(A);
    decide();
    history.staleFor(A.address, false);
    expect(journal.query({ type: 'route-stale' })).toEqual([
      expect.objectContaining({
        prefix: P,
        peer: A.address,
        before: [{ peer: A.address, nextHop: '192.0.2.1' }],
        after: [{ peer: A.address, nextHop: '192.0.2.1', stale: true }],
        stale: [{ peer: A.address, nextHop: '192.0.2.1', stale: true }],
      }),
    ]);
  });

  it('journals stale paths that are not best, and a best one that loses for being stale', () => {
    const { journal, rib, history, decide } = setup();
    const Q = '10.2.0.0/24';
    const KQ = keyFromText(Q)!.key;
    rib.update(4, K, A, 0, attrs('192.0.2.1', 1)); // P: A best (shorter AS path), B not
    rib.update(4, K, B, 0, attrs('192.0.2.2', 2));
    rib.update(4, KQ, B, 0, attrs('192.0.2.2', 1)); // Q: B best, A not
    rib.update(4, KQ, A, 0, attrs('192.0.2.1', 2));
    decide();
    const from = journal.next;
    history.staleFor(B.address, true);
    rib.markStale(B);
    decide();
    const hop = (p: typeof A, stale?: true) => ({
      peer: p.address,
      nextHop: p.address,
      ...(stale && { stale }),
    });
    // P: B's path is not best and stays so; Q: B's best path is stale now, A's wins (RFC 4724 §4.2
    // keeps it usable, the decision prefers a path that is not stale).
    expect(journal.query({ since: from }).map((e) => [e.type, e.prefix, e.peer])).toEqual([
      ['route-stale', P, B.address],
      ['best-change', Q, A.address],
      ['route-stale', Q, B.address],
    ]);
    const [onP, , onQ] = journal.query({ since: from });
    expect(onP).toMatchObject({ before: [hop(A)], after: [hop(A)], stale: [hop(B, true)] });
    expect(onQ).toMatchObject({ before: [hop(A)], after: [hop(A)], stale: [hop(B, true)] });
    // Filtered by the restarting neighbor, both prefixes show up.
    expect(journal.query({ type: 'route-stale', peer: B.address }).map((e) => e.prefix)).toEqual([P, Q]);
  });

  it('journals a prefix stale once: a new decision run or another path is no new stale event', () => {
    const { journal, rib, history, decide } = setup();
    const C = peer(3, 65003);
    rib.update(4, K, A, 0, attrs('192.0.2.1', 1));
    rib.update(4, K, B, 0, attrs('192.0.2.2', 2));
    decide();
    history.staleFor(B.address, true);
    rib.markStale(B);
    decide();
    rib.touchAll(); // e.g. next-hop reachability rechecked
    decide();
    rib.update(4, K, C, 0, attrs('192.0.2.3', 3));
    decide();
    // A second neighbor's restart while B's paths are kept: only A's path is new to the journal.
    history.staleFor(A.address, true);
    rib.markStale(A);
    decide();
    rib.touchAll();
    decide();
    const stale = journal.query({ type: 'route-stale' });
    expect(stale.map((e) => e.peer)).toEqual([B.address, A.address]);
    expect(stale[1].stale).toEqual([
      { peer: A.address, nextHop: '192.0.2.1', stale: true },
      { peer: B.address, nextHop: '192.0.2.2', stale: true },
    ]);
    expect(journal.query().map((e) => e.type)).toEqual([
      'route-announce',
      'path-announce',
      'route-stale',
      'path-announce',
      'best-change',
      'route-stale',
    ]);
  });

  it('one stale event per prefix of a full table, bounded by the ring', () => {
    const { journal, rib, history, decide } = setup({ size: 50 });
    const keys = Array.from({ length: 200 }, (_, n) => keyFromText(`10.${n >> 8}.${n & 255}.0/24`)!.key);
    for (const k of keys) rib.update(4, k, A, 0, attrs('192.0.2.1'));
    decide();
    const before = journal.stats().recorded;
    history.staleFor(A.address, true);
    rib.markStale(A);
    decide();
    rib.touchAll();
    decide();
    expect(journal.stats()).toMatchObject({ recorded: before + 200, length: 50 });
    expect(journal.query().every((e) => e.type === 'route-stale')).toBe(true);
  });

  it("a restarted neighbor's fresh path replaces its stale one (a new session, the same address)", () => {
    const { journal, rib, decide } = setup();
    rib.update(4, K, A, 0, attrs('192.0.2.1'));
    decide();
    rib.markStale(A);
    decide();
    const again = { ...A }; // the new session's PeerInfo
    rib.update(4, K, again, 0, attrs('192.0.2.1'));
    decide();
    rib.flushPeer(A, true);
    decide();
    expect(journal.query().map((e) => e.type)).toEqual(['route-announce', 'route-replace']);
  });

  it('a prefix never seen has no summary; a malformed one neither', () => {
    const { history } = setup();
    expect(history.summary('10.9.0.0/24')).toBeUndefined();
    expect(history.summary('nonsense')).toBeUndefined();
  });

  it('keeps at most maxDetached records of withdrawn prefixes, the oldest go first', () => {
    const clock = new ManualClock();
    const journal = new Journal({ size: 10, clock, origin: ORIGIN });
    const rib = new LocRib();
    const history = new PrefixHistory({ journal, lookup: (f, k) => rib.get(f, k), maxDetached: 2 });
    const decision: DecisionOptions = { ...DECISION, reachable: () => true };
    for (const p of ['10.1.0.0/24', '10.2.0.0/24', '10.3.0.0/24']) {
      const k = keyFromText(p)!.key;
      rib.update(4, k, A, 0, attrs('192.0.2.1'));
      history.decided(rib.decide(decision));
      rib.withdraw(4, k, A, 0);
      history.decided(rib.decide(decision));
    }
    expect(history.totals()).toMatchObject({ records: 2, detached: 2 });
    expect(history.summary('10.1.0.0/24')).toBeUndefined();
    expect(history.summary('10.3.0.0/24')?.flaps).toBe(1);
  });

  it('orders eviction by the last withdrawal: a prefix that came back and left again is newest', () => {
    const clock = new ManualClock();
    const journal = new Journal({ size: 10, clock, origin: ORIGIN });
    const rib = new LocRib();
    const history = new PrefixHistory({ journal, lookup: (f, k) => rib.get(f, k), maxDetached: 2 });
    const decision: DecisionOptions = { ...DECISION, reachable: () => true };
    const flap = (p: string) => {
      const k = keyFromText(p)!.key;
      rib.update(4, k, A, 0, attrs('192.0.2.1'));
      history.decided(rib.decide(decision));
      rib.withdraw(4, k, A, 0);
      history.decided(rib.decide(decision));
    };
    flap('10.1.0.0/24');
    flap('10.2.0.0/24');
    flap('10.1.0.0/24'); // back and gone again: now the newer of the two
    flap('10.3.0.0/24');
    expect(history.totals()).toMatchObject({ records: 2, detached: 2 });
    expect(history.summary('10.2.0.0/24')).toBeUndefined();
    expect(history.summary('10.1.0.0/24')?.flaps).toBe(2);
    // Thousands of flaps of the same prefixes (queue compaction) keep the records and counts.
    for (let i = 0; i < 3000; i++) flap(i % 2 ? '10.1.0.0/24' : '10.3.0.0/24');
    expect(history.totals()).toMatchObject({ records: 2, detached: 2 });
    expect(history.summary('10.1.0.0/24')?.flaps).toBe(1502);
    expect(history.summary('10.3.0.0/24')?.flaps).toBe(1501);
  });
});
