/**
 * Graceful restart over a table walked a chunk per turn (issue 18): the helper (RFC 4724 §4.2) on a
 * real RoutingEngine with ManualTurns and ManualClock. The stale mark and the purges (timer,
 * End-of-RIB) each leave the turn after a bounded number of destinations, and the peer coming back
 * or going down again while a walk is under way ends in the state RFC 4724 asks for.
 */
import { describe, expect, it } from 'vitest';
import { GracefulRestartHelper } from '../../../src/core/graceful-restart.js';
import { RoutingEngine } from '../../../src/core/routing.js';
import { keyFromText, type PrefixKey } from '../../../src/rib/prefix-key.js';
import { ManualClock } from '../../../src/util/clock.js';
import { ManualTurns } from '../../../src/util/turns.js';
import { AsPathSegmentType, IPV4_UNICAST, Origin, type SessionParams } from '../../../src/wire/index.js';
import { DECISION, LOCAL, params, peer } from './fixtures.js';

const silent = { info() {}, warn() {}, debug() {} };
const N = 100;
const CHUNK = 5; // decided per turn; the walks visit 2 × CHUNK destinations per turn
const k = (i: number): PrefixKey => keyFromText(`10.0.${i}.0/24`)!.key;
const a = peer(2, 65002);
const viaA = {
  origin: Origin.IGP,
  asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65002] }],
  nextHop: '192.0.2.2',
};
const withGr: SessionParams = {
  ...params(65002),
  localGracefulRestart: true,
  peerGracefulRestart: {
    restartTime: 60,
    restarting: false,
    notification: false,
    families: new Map([[IPV4_UNICAST, true]]),
  },
};
const lost = { reason: 'tcp', byNotification: false, notificationGr: false };

function setup() {
  const turns = new ManualTurns();
  const clock = new ManualClock();
  const decided: number[] = [];
  const e = new RoutingEngine({ local: LOCAL, decision: DECISION, flushChunk: CHUNK, turns, clock });
  e.onChange((d) => decided.push(d.length));
  const h = new GracefulRestartHelper({
    clock,
    log: silent,
    stalePathTime: () => 30,
    announce: () => {},
    wallClock: () => 0,
    routing: e,
  });
  for (let i = 0; i < N; i++) e.rib.update(4, k(i), a, 0, viaA);
  e.settle();
  turns.drain(); // the turns settle() asked for find nothing left
  decided.length = 0;
  const dests = () => [...e.rib.tables[4].values()];
  const staleBest = () => dests().filter((d) => d.best?.stale).length;
  return { turns, clock, e, h, decided, dests, staleBest };
}

describe('graceful restart helper over chunked walks', () => {
  it('the stale mark reaches the table a chunk per turn; the restart timer purges it the same way', () => {
    const { turns, clock, e, h, decided, dests, staleBest } = setup();
    h.sessionDown(a.address, a, withGr, lost);
    expect(e.rib.countOf(a, 4)).toBe(N); // kept, all stale at once (shared paths)
    turns.step();
    expect(e.rib.flushing).toBe(true);
    expect(decided).toEqual([CHUNK]); // the walk made 2 × CHUNK dirty, the decision took CHUNK
    const n = turns.drain();
    expect(n).toBeGreaterThanOrEqual(N / CHUNK - 1);
    expect(staleBest()).toBe(N);
    expect(Math.max(...decided)).toBeLessThanOrEqual(CHUNK);
    expect(decided.reduce((x, y) => x + y, 0)).toBe(N);

    clock.advance(59_999);
    expect(dests()).toHaveLength(N);
    clock.advance(1); // restart time over (RFC 4724 §4.2): the purge begins
    expect(h.active).toBe(0);
    expect(dests()).toHaveLength(N); // not in this turn
    turns.step();
    expect(e.rib.countOf(a, 4)).toBe(N - 2 * CHUNK);
    turns.drain();
    expect(dests()).toHaveLength(0);
    expect(e.rib.store.size).toBe(0);
    expect(e.rib.flushing).toBe(false);
  });

  it('the peer back during the End-of-RIB purge keeps what it re-announced, before and after the walk passed', () => {
    const { turns, e, h, dests } = setup();
    h.sessionDown(a.address, a, withGr, lost);
    turns.drain();
    h.sessionUp(a.address, withGr);
    for (let i = 0; i < 10; i++) e.rib.update(4, k(i), a, 0, viaA); // refreshed before End-of-RIB
    h.endOfRib(a.address, 4);
    expect(e.rib.countOf(a, 4)).toBe(N); // the purge has removed nothing yet
    turns.step();
    e.rib.update(4, k(N - 1), a, 0, viaA); // late UPDATE for a prefix the walk has not reached
    e.rib.update(4, k(30), a, 0, viaA); // and for one it purged already: a new destination
    turns.drain();
    const left = dests().map((d) => d.key);
    expect(left).toHaveLength(12);
    expect(left).toEqual(expect.arrayContaining([k(0), k(9), k(30), k(N - 1)]));
    expect(dests().every((d) => d.best?.peer === a && !d.best.stale)).toBe(true);
    expect(e.rib.countOf(a, 4)).toBe(12);
  });

  it('the peer down again during the purge: its fresh paths turn stale and stay until the next timer', () => {
    const { turns, clock, e, h, dests } = setup();
    h.sessionDown(a.address, a, withGr, lost);
    turns.drain();
    h.sessionUp(a.address, withGr);
    for (let i = 0; i < 5; i++) e.rib.update(4, k(i), a, 0, viaA);
    h.endOfRib(a.address, 4);
    turns.step();
    h.sessionDown(a.address, a, withGr, lost); // lost again while the purge walks
    expect(h.active).toBe(1);
    turns.drain();
    expect(dests().map((d) => d.key)).toEqual([0, 1, 2, 3, 4].map(k));
    expect(dests().every((d) => d.best?.stale)).toBe(true);
    clock.advance(60_000);
    turns.drain();
    expect(dests()).toHaveLength(0);
  });
});
