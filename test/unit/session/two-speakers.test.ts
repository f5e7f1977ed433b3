/**
 * Two speakers A and B (both this implementation) dial each other at once. C1 is A→B (A out, B in),
 * C2 is B→A. Messages travel FIFO per direction and every interleaving of the four directions is
 * explored (memoised on the visible state). No time passes, so only the collision logic (RFC 4271
 * §6.8, RFC 6286 §2.3) settles it.
 */
import { describe, expect, test } from 'vitest';
import type { FsmEvent } from '../../../src/session/fsm.js';
import {
  type ConnectionSide,
  collisionWinner,
  initialPeerState,
  type PeerConfig,
  type PeerEvent,
  type PeerState,
  stepPeer,
} from '../../../src/session/peer.js';
import { CFG, remoteOpen } from './fixtures.js';

const LOW_ID = '10.0.0.1';
const HIGH_ID = '10.0.0.2';
const PEER: PeerConfig = { ...CFG, idleHoldTime: 5 };
const KA: FsmEvent = { type: 'KeepAliveMsg' };
const TCP_UP: FsmEvent = { type: 'TcpConnected' };
const TCP_DOWN: FsmEvent = { type: 'TcpConnectionFails' };
const names = (p: PeerState) => [p.out.name, p.in?.name ?? null];

describe('two speakers dialing each other: every delivery order ends with one session', () => {
  type Speaker = 'a' | 'b';
  type End = `${Speaker}:${ConnectionSide}`;
  /** A message or TCP event for the receiving end: 'accept' = the listener accepts, 'fin' = the peer closed. */
  type Item = FsmEvent | 'fin' | 'accept';
  interface World {
    readonly peers: Record<Speaker, PeerState>;
    readonly queues: Readonly<Record<End, readonly Item[]>>; // keyed by the receiving end
    readonly closed: Readonly<Record<End, boolean>>;
  }
  const PEER_OF: Record<End, End> = { 'a:out': 'b:in', 'b:in': 'a:out', 'b:out': 'a:in', 'a:in': 'b:out' };
  const ENDS = Object.keys(PEER_OF) as End[];
  const toEvent = (m: { type: string }): FsmEvent => {
    if (m.type === 'open') return { type: 'BgpOpen', open: m as never };
    if (m.type === 'notification') return { type: 'NotifMsg', notification: m as never };
    if (m.type === 'keepalive') return KA;
    throw new Error(`unexpected ${m.type}`);
  };

  function apply(w: World, who: Speaker, e: PeerEvent, cfg: PeerConfig): World {
    const r = stepPeer(w.peers[who], e, cfg);
    const queues = { ...w.queues };
    const closed = { ...w.closed };
    for (const { conn, action } of r.actions) {
      if (conn === 'peer') continue;
      const from: End = `${who}:${conn}`;
      const to = PEER_OF[from];
      if (closed[from]) continue;
      if (action.type === 'send') queues[to] = [...queues[to], toEvent(action.message)];
      if (action.type === 'close') {
        queues[to] = [...queues[to], 'fin'];
        closed[from] = true;
      }
    }
    return { peers: { ...w.peers, [who]: r.state }, queues, closed };
  }

  function deliver(w: World, end: End, cfgs: Record<Speaker, PeerConfig>): World {
    const [item, ...rest] = w.queues[end];
    const after: World = { ...w, queues: { ...w.queues, [end]: rest } };
    if (w.closed[end]) return after;
    const [who, conn] = end.split(':') as [Speaker, ConnectionSide];
    if (item === 'accept') return apply(after, who, { type: 'Incoming' }, cfgs[who]);
    const event = item === 'fin' ? TCP_DOWN : item;
    const next = apply(after, who, { type: 'Connection', conn, event }, cfgs[who]);
    return item === 'fin' ? { ...next, closed: { ...next.closed, [end]: true } } : next;
  }

  const key = (w: World) =>
    JSON.stringify([
      ENDS.map((e) => w.queues[e].map((i) => (typeof i === 'string' ? i : i.type))),
      w.closed,
      (['a', 'b'] as const).map((x) => names(w.peers[x])),
    ]);

  /**
   * Both dial at once. Each dialer's TcpConnected and each listener's accept are queued items like
   * the messages, so the handshakes interleave with everything else; `handshakesFirst` completes
   * both before any message is read.
   */
  function explore(
    cfgs: Record<Speaker, PeerConfig>,
    handshakesFirst: boolean,
  ): { finals: Set<string>; states: number } {
    let w: World = {
      peers: { a: initialPeerState, b: initialPeerState },
      queues: { 'a:out': [TCP_UP], 'b:in': ['accept'], 'b:out': [TCP_UP], 'a:in': ['accept'] },
      closed: { 'a:out': false, 'a:in': false, 'b:out': false, 'b:in': false },
    };
    for (const x of ['a', 'b'] as const) w = apply(w, x, { type: 'Start' }, cfgs[x]);
    if (handshakesFirst) for (const e of ENDS) w = deliver(w, e, cfgs);
    const finals = new Set<string>();
    const seen = new Set<string>();
    const walk = (cur: World) => {
      const k = key(cur);
      if (seen.has(k)) return;
      seen.add(k);
      const ready = ENDS.filter((e) => cur.queues[e].length > 0);
      if (ready.length === 0) finals.add(JSON.stringify({ a: names(cur.peers.a), b: names(cur.peers.b) }));
      for (const e of ready) walk(deliver(cur, e, cfgs));
    };
    walk(w);
    return { finals, states: seen.size };
  }

  const C1 = JSON.stringify({ a: ['Established', null], b: ['Idle', 'Established'] });
  const C2 = JSON.stringify({ a: ['Idle', 'Established'], b: ['Established', null] });
  const NONE = JSON.stringify({ a: ['Idle', null], b: ['Idle', null] });
  const cases = [
    { what: 'A has the higher identifier', a: { id: HIGH_ID, as: 65001 }, b: { id: LOW_ID, as: 65002 } },
    { what: 'B has the higher identifier', a: { id: LOW_ID, as: 65001 }, b: { id: HIGH_ID, as: 65002 } },
    {
      what: 'equal identifiers, B has the larger AS',
      a: { id: LOW_ID, as: 65001 },
      b: { id: LOW_ID, as: 65002 },
    },
  ];
  type Side = (typeof cases)[number]['a'];
  const cfgFor = (me: Side, them: Side): PeerConfig => ({
    ...PEER,
    routerId: me.id,
    localAsn: me.as,
    peerAs: them.as,
    localOpen: { ...remoteOpen({ routerId: me.id, asn: me.as }), holdTime: 90 },
  });

  test.each(cases)('$what, both handshakes done first: always the higher side’s connection', ({ a, b }) => {
    const r = explore({ a: cfgFor(a, b), b: cfgFor(b, a) }, true);
    const aWins = collisionWinner(a.id, b.id, a.as, b.as) === 'out';
    expect([...r.finals]).toEqual([aWins ? C1 : C2]);
    expect(r.states).toBeGreaterThan(50);
  });

  test.each(cases)(
    '$what, handshakes in any order: one agreed session or both down, never two',
    ({ a, b }) => {
      // One connection may finish its OPEN exchange before the other exists; the later OPEN then makes
      // one side close it while the other already took its KEEPALIVE (RFC 4271 §6.8 race): both go
      // down and retry. What must never happen: two sessions, or a session up on one side only.
      const r = explore({ a: cfgFor(a, b), b: cfgFor(b, a) }, false);
      for (const f of r.finals) expect([C1, C2, NONE]).toContain(f);
      expect(r.finals).toContain(collisionWinner(a.id, b.id, a.as, b.as) === 'out' ? C1 : C2);
      expect(r.states).toBeGreaterThan(200);
    },
  );
});
