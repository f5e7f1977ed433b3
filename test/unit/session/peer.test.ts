/**
 * One peer with two connections (RFC 4271 §6.8 collision resolution, RFC 6286 §2.3 tie-break), its
 * restart policy (IdleHold for active peers, none for passive ones) and administrative stop (RFC 8203).
 * A driver-free harness turns timer actions into ManualClock timers and feeds their expiry back.
 */
import { describe, expect, test } from 'vitest';
import type { FsmEvent, TimerName } from '../../../src/session/fsm.js';
import {
  type ConnectionSide,
  collisionWinner,
  initialPeerState,
  type PeerAction,
  type PeerConfig,
  type PeerEvent,
  type PeerState,
  peerSessionState,
  stepPeer,
} from '../../../src/session/peer.js';
import { ManualClock, type Timer } from '../../../src/util/clock.js';
import { shutdownNotification } from '../../../src/wire/index.js';
import { CFG, notif, REMOTE_AS, remoteOpen } from './fixtures.js';

const TIMER_EVENT: Record<TimerName, FsmEvent> = {
  connectRetry: { type: 'ConnectRetryTimerExpires' },
  hold: { type: 'HoldTimerExpires' },
  keepalive: { type: 'KeepaliveTimerExpires' },
  delayOpen: { type: 'DelayOpenTimerExpires' },
};

/** Executes timer actions on a ManualClock (jitter taken at its 1.0 end); records everything else. */
class Harness {
  readonly clock = new ManualClock();
  state: PeerState = initialPeerState;
  /** Every action, in order, with the time it was produced. */
  readonly log: { at: number; a: PeerAction }[] = [];
  /** Timer expiries delivered, as `side:timer @ seconds`. */
  readonly fired: string[] = [];
  private readonly timers = new Map<string, Timer>();

  constructor(readonly cfg: PeerConfig) {}

  dispatch(e: PeerEvent): PeerAction[] {
    const r = stepPeer(this.state, e, this.cfg);
    this.state = r.state;
    for (const a of r.actions) {
      this.log.push({ at: this.clock.now(), a });
      this.execute(a);
    }
    return r.actions;
  }

  conn(conn: ConnectionSide, event: FsmEvent): PeerAction[] {
    return this.dispatch({ type: 'Connection', conn, event });
  }

  /** Advances the clock by `seconds`, firing due timers. */
  advance(seconds: number): void {
    this.clock.advance(seconds * 1000);
  }

  get timersRunning(): string[] {
    return [...this.timers.keys()].sort();
  }

  /** All actions since log index `from`. */
  actions(from = 0): PeerAction[] {
    return this.log.slice(from).map((l) => l.a);
  }

  private set(key: string, seconds: number, fire: () => void): void {
    this.timers.get(key)?.cancel();
    this.timers.set(
      key,
      this.clock.setTimer(seconds * 1000, () => {
        this.timers.delete(key);
        this.fired.push(`${key} @ ${this.clock.now() / 1000}`);
        fire();
      }),
    );
  }

  private clear(key: string): void {
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
  }

  private execute({ conn, action }: PeerAction): void {
    if (conn === 'peer') {
      this.clear('peer:idleHold');
      if (action.type === 'startIdleHold')
        this.set('peer:idleHold', action.seconds, () => this.dispatch({ type: 'IdleHoldTimerExpires' }));
      return;
    }
    if (action.type === 'startTimer')
      this.set(`${conn}:${action.timer}`, action.seconds, () => this.conn(conn, TIMER_EVENT[action.timer]));
    if (action.type === 'stopTimer') this.clear(`${conn}:${action.timer}`);
  }
}

const LOW_ID = '10.0.0.1';
const HIGH_ID = '10.0.0.2';
const PEER: PeerConfig = { ...CFG, routerId: LOW_ID, idleHoldTime: 5 };
const open = (routerId: string, asn = REMOTE_AS): FsmEvent => ({
  type: 'BgpOpen',
  open: remoteOpen({ routerId, asn }),
});
const KA: FsmEvent = { type: 'KeepAliveMsg' };
const TCP_UP: FsmEvent = { type: 'TcpConnected' };
const TCP_DOWN: FsmEvent = { type: 'TcpConnectionFails' };
const COLLISION = notif(6, 7);

const sends = (actions: readonly PeerAction[], conn: ConnectionSide) =>
  actions.flatMap((a) => (a.conn === conn && a.action.type === 'send' ? [a.action.message] : []));
const has = (actions: readonly PeerAction[], conn: PeerAction['conn'], type: string) =>
  actions.some((a) => a.conn === conn && a.action.type === type);
const names = (p: PeerState) => [p.out.name, p.in?.name ?? null];

/** Both sides dial at once: our connection and theirs each reach OpenSent (both OPENs sent). */
function bothDial(cfg: PeerConfig): Harness {
  const h = new Harness(cfg);
  h.dispatch({ type: 'Start' });
  h.conn('out', TCP_UP);
  h.dispatch({ type: 'Incoming' });
  expect(names(h.state)).toEqual(['OpenSent', 'OpenSent']);
  return h;
}

describe('connection collision (RFC 4271 §6.8)', () => {
  const keepalivesOn = (h: Harness, conn: ConnectionSide) =>
    sends(h.actions(), conn).filter((m) => m.type === 'keepalive').length;

  test.each([
    { local: HIGH_ID, remote: LOW_ID, winner: 'out', loser: 'in', first: 'out' },
    { local: HIGH_ID, remote: LOW_ID, winner: 'out', loser: 'in', first: 'in' },
    { local: LOW_ID, remote: HIGH_ID, winner: 'in', loser: 'out', first: 'out' },
    { local: LOW_ID, remote: HIGH_ID, winner: 'in', loser: 'out', first: 'in' },
  ] as const)(
    'both dial, local $local, remote $remote, first OPEN on $first: $winner survives, $loser gets 6/7',
    (c) => {
      const h = bothDial({ ...PEER, routerId: c.local });
      const mark = h.log.length;
      // Both connections are in OpenSent: the first OPEN already resolves the collision (§6.8 MAY, as FRR).
      h.conn(c.first, open(c.remote));
      expect(sends(h.actions(mark), c.loser)).toEqual([COLLISION]);
      expect(has(h.actions(mark), c.loser, 'close')).toBe(true);
      if (c.loser === 'in') expect(h.state.in).toBeNull();
      else expect(h.state.out.name).toBe('Idle');
      if (c.first === c.loser) h.conn(c.winner, open(c.remote));
      expect((c.winner === 'out' ? h.state.out : h.state.in)?.name).toBe('OpenConfirm');
      h.conn(c.winner, KA);
      expect(peerSessionState(h.state)).toBe('Established');
      // The loser never sent a KEEPALIVE the peer could take as the go-ahead; the winner got no NOTIFICATION.
      expect(keepalivesOn(h, c.loser)).toBe(0);
      expect(sends(h.actions(), c.winner).filter((m) => m.type === 'notification')).toEqual([]);
      expect(h.timersRunning).toEqual([`${c.winner}:hold`, `${c.winner}:keepalive`]);
    },
  );

  test.each([
    { local: HIGH_ID, loser: 'in' },
    { local: LOW_ID, loser: 'out' },
  ] as const)('theirs arrives while ours is OpenConfirm, local $local: $loser is dumped', (c) => {
    const h = new Harness({ ...PEER, routerId: c.local });
    const remote = c.local === HIGH_ID ? LOW_ID : HIGH_ID;
    h.dispatch({ type: 'Start' });
    h.conn('out', TCP_UP);
    h.conn('out', open(remote));
    h.dispatch({ type: 'Incoming' });
    const mark = h.log.length;
    h.conn('in', open(remote));
    expect(sends(h.actions(mark), c.loser)).toEqual([COLLISION]);
    expect(names(h.state)).toEqual(c.loser === 'in' ? ['OpenConfirm', null] : ['Idle', 'OpenConfirm']);
    expect(keepalivesOn(h, 'in')).toBe(c.loser === 'in' ? 0 : 1);
  });

  test('an invalid OPEN on a colliding connection gets its OPEN error, and the other one is untouched', () => {
    const h = bothDial({ ...PEER, routerId: LOW_ID });
    const actions = h.conn('in', open(HIGH_ID, 65099));
    expect(sends(actions, 'in')).toEqual([notif(2, 2)]);
    expect(actions.filter((a) => a.conn === 'out')).toEqual([]);
    expect(names(h.state)).toEqual(['OpenSent', null]);
  });

  test('with DelayOpen, the losing connection that has not sent its OPEN yet is closed with 6/7', () => {
    const h = new Harness({ ...PEER, routerId: HIGH_ID, delayOpenTime: 3 });
    h.dispatch({ type: 'Start' });
    h.conn('out', TCP_UP);
    h.advance(3); // ours sends OPEN
    h.dispatch({ type: 'Incoming' }); // theirs waits in DelayOpen
    expect(names(h.state)).toEqual(['OpenSent', 'Active']);
    const actions = h.conn('in', open(LOW_ID));
    expect(sends(actions, 'in')).toEqual([COLLISION]);
    expect(names(h.state)).toEqual(['OpenSent', null]);
    expect(h.timersRunning).toEqual(['out:hold']);
  });

  test('collisionWinner compares identifiers as unsigned 32-bit numbers, not as text', () => {
    expect(collisionWinner('200.0.0.1', '10.0.0.1')).toBe('out');
    expect(collisionWinner('128.0.0.1', '127.255.255.255')).toBe('out');
    expect(collisionWinner('10.0.0.1', '200.0.0.1')).toBe('in');
    expect(collisionWinner('10.0.0.10', '10.0.0.9')).toBe('out');
  });

  test.each([
    { localAs: 65001, remoteAs: 65002, winner: 'in' },
    { localAs: 65003, remoteAs: 65002, winner: 'out' },
  ] as const)(
    'equal identifiers (eBGP): the side with the larger AS wins, here $winner (RFC 6286 §2.3)',
    (c) => {
      expect(collisionWinner(LOW_ID, LOW_ID, c.localAs, c.remoteAs)).toBe(c.winner);
      const h = bothDial({ ...PEER, localAsn: c.localAs, peerAs: c.remoteAs });
      const mark = h.log.length;
      h.conn('out', open(LOW_ID, c.remoteAs));
      const loser = c.winner === 'out' ? 'in' : 'out';
      expect(sends(h.actions(mark), loser)).toEqual([COLLISION]);
    },
  );

  test('a connection colliding with an Established one is the one dumped, whatever the identifiers', () => {
    // Local id is lower, so between two OpenConfirm connections theirs would win; ours is Established.
    const h = new Harness(PEER);
    h.dispatch({ type: 'Start' });
    h.conn('out', TCP_UP);
    h.conn('out', open(HIGH_ID));
    h.conn('out', KA);
    expect(h.state.out.name).toBe('Established');
    h.dispatch({ type: 'Incoming' });
    const actions = h.conn('in', open(HIGH_ID));
    expect(sends(actions, 'in')).toEqual([COLLISION]);
    expect(has(actions, 'in', 'close')).toBe(true);
    expect(actions.filter((a) => a.conn === 'out')).toEqual([]);
    expect(names(h.state)).toEqual(['Established', null]);
  });

  test('once one connection is Established the other one is closed (OpenSent: with 6/7)', () => {
    // Theirs connects after ours reached OpenConfirm and has not seen an OPEN yet.
    const h = new Harness({ ...PEER, routerId: HIGH_ID });
    h.dispatch({ type: 'Start' });
    h.conn('out', TCP_UP);
    h.conn('out', open(LOW_ID));
    h.dispatch({ type: 'Incoming' });
    const actions = h.conn('out', KA);
    expect(sends(actions, 'in')).toEqual([COLLISION]);
    expect(has(actions, 'in', 'close')).toBe(true);
    expect(names(h.state)).toEqual(['Established', null]);
    expect(h.timersRunning).toEqual(['out:hold', 'out:keepalive']);
  });

  test('their connection Established while ours still dials: ours is closed without a NOTIFICATION', () => {
    const h = new Harness(PEER);
    h.dispatch({ type: 'Start' });
    expect(h.state.out.name).toBe('Connect');
    h.dispatch({ type: 'Incoming' });
    h.conn('in', open(HIGH_ID));
    const actions = h.conn('in', KA);
    expect(has(actions, 'out', 'close')).toBe(true);
    expect(sends(actions, 'out')).toEqual([]);
    expect(names(h.state)).toEqual(['Idle', 'Established']);
    // Our ConnectRetry timer was stopped: nothing dials while theirs is up (until its 30 s hold expires).
    h.advance(29);
    expect(h.fired.filter((f) => f.startsWith('out:'))).toEqual([]);
    expect(has(h.actions(), 'out', 'connect')).toBe(true);
    expect(h.actions().filter((a) => a.conn === 'out' && a.action.type === 'connect')).toHaveLength(1);
  });
});

describe('incoming connections', () => {
  test('a second incoming connection while one is alive is closed, the first untouched', () => {
    const h = new Harness({ ...PEER, passive: true });
    h.dispatch({ type: 'Start' });
    h.dispatch({ type: 'Incoming' });
    const before = h.state;
    expect(h.dispatch({ type: 'Incoming' })).toEqual([{ conn: 'in', action: { type: 'close' } }]);
    expect(h.state).toBe(before);
  });

  test('an incoming connection while the peer is stopped is closed', () => {
    const h = new Harness(PEER);
    expect(h.dispatch({ type: 'Incoming' })).toEqual([{ conn: 'in', action: { type: 'close' } }]);
    expect(h.state.in).toBeNull();
  });

  test.each([
    { what: 'NOTIFICATION in OpenSent', events: [{ type: 'NotifMsg', notification: notif(6, 5) }] },
    { what: 'TCP lost in OpenSent', events: [TCP_DOWN] },
    { what: 'TCP lost in OpenConfirm', events: [open(HIGH_ID), TCP_DOWN] },
    { what: 'bad message in OpenConfirm', events: [open(HIGH_ID), { type: 'UpdateMsg' }] },
    { what: 'hold timer in Established', events: [open(HIGH_ID), KA, { type: 'HoldTimerExpires' }] },
  ] as { what: string; events: FsmEvent[] }[])(
    'a passive peer accepts a new incoming connection right after $what (no idle hold)',
    ({ events }) => {
      const h = new Harness({ ...PEER, passive: true });
      h.dispatch({ type: 'Start' });
      h.dispatch({ type: 'Incoming' });
      for (const e of events) h.conn('in', e);
      expect(h.state.in).toBeNull();
      expect(h.state.out.name).toBe('Active');
      expect(has(h.actions(), 'peer', 'startIdleHold')).toBe(false);
      expect(h.timersRunning).toEqual([]);
      const again = h.dispatch({ type: 'Incoming' });
      expect(sends(again, 'in').map((m) => m.type)).toEqual(['open']);
      expect(h.state.in?.name).toBe('OpenSent');
    },
  );

  test('an incoming connection that drops never dials out and never restarts ConnectRetry', () => {
    // Active peer: our own connection is dialing; theirs drops in OpenSent.
    const h = new Harness(PEER);
    h.dispatch({ type: 'Start' });
    h.dispatch({ type: 'Incoming' });
    const mark = h.log.length;
    h.conn('in', TCP_DOWN);
    expect(h.actions(mark).filter((a) => a.conn === 'in' && a.action.type === 'startTimer')).toEqual([]);
    expect(h.state.in).toBeNull();
    h.advance(60);
    expect(h.actions(mark).filter((a) => a.conn === 'in' && a.action.type === 'connect')).toEqual([]);
    expect(h.fired.filter((f) => f.startsWith('in:'))).toEqual([]);
  });

  test('DelayOpen on an incoming connection: their OPEN first is answered with OPEN + KEEPALIVE', () => {
    const h = new Harness({ ...PEER, passive: true, delayOpenTime: 3 });
    h.dispatch({ type: 'Start' });
    h.dispatch({ type: 'Incoming' });
    expect(h.timersRunning).toEqual(['in:delayOpen']);
    const actions = h.conn('in', open(HIGH_ID));
    expect(sends(actions, 'in').map((m) => m.type)).toEqual(['open', 'keepalive']);
    expect(h.state.in?.name).toBe('OpenConfirm');
    expect(h.timersRunning).toEqual(['in:hold', 'in:keepalive']);
  });
});

describe('timers through a ManualClock', () => {
  test('an active peer restarts idleHoldTime after an error, and no stale timer fires in Idle', () => {
    const h = new Harness(PEER);
    h.dispatch({ type: 'Start' });
    h.conn('out', TCP_UP);
    expect(h.timersRunning).toEqual(['out:hold']);
    h.advance(10);
    h.conn('out', { type: 'NotifMsg', notification: notif(6, 2) });
    expect(h.state.out.name).toBe('Idle');
    expect(h.timersRunning).toEqual(['peer:idleHold']);
    h.advance(4.999);
    expect(h.state.out.name).toBe('Idle');
    h.advance(0.001);
    expect(h.state.out.name).toBe('Connect');
    expect(h.log.filter((l) => l.a.action.type === 'connect').map((l) => l.at / 1000)).toEqual([0, 15]);
    // The 240 s OpenSent hold timer started at 0 s was stopped on the way to Idle.
    h.advance(600);
    expect(h.fired.filter((f) => f.includes(':hold'))).toEqual([]);
  });

  test('ConnectRetry redials every connectRetryTime while the peer does not answer', () => {
    const h = new Harness(PEER);
    h.dispatch({ type: 'Start' });
    h.conn('out', TCP_DOWN);
    h.advance(16);
    expect(h.log.filter((l) => l.a.action.type === 'connect').map((l) => l.at / 1000)).toEqual([
      0, 5, 10, 15,
    ]);
    expect(h.state.out.name).toBe('Connect');
  });

  test('Established: KEEPALIVE every hold/3; silence expires the hold timer with 4/0, then a restart', () => {
    const h = new Harness(PEER);
    h.dispatch({ type: 'Start' });
    h.conn('out', TCP_UP);
    h.conn('out', open(HIGH_ID));
    h.conn('out', KA);
    h.advance(20);
    h.conn('out', KA); // hold restarted at 20 s → expires at 50 s
    const mark = h.log.length;
    h.advance(29.999);
    expect(h.state.out.name).toBe('Established');
    h.advance(0.001);
    expect(h.state.out.name).toBe('Idle');
    const keepalives = h.log.filter(
      (l) => l.a.action.type === 'send' && l.a.action.message.type === 'keepalive',
    );
    // One answering the OPEN at 0 s, then the keepalive timer at 10, 20, 30, 40 s.
    expect(keepalives.map((l) => l.at / 1000)).toEqual([0, 10, 20, 30, 40]);
    expect(sends(h.actions(mark), 'out').at(-1)).toEqual(notif(4, 0));
    expect(h.fired).toContain('out:hold @ 50');
    expect(h.timersRunning).toEqual(['peer:idleHold']);
    h.advance(5);
    expect(h.state.out.name).toBe('Connect');
    expect(h.timersRunning).toEqual(['out:connectRetry']);
  });

  test('an active peer whose winning incoming session dies restarts its own connection after idleHoldTime', () => {
    const h = bothDial(PEER); // local id lower: theirs wins
    h.conn('out', open(HIGH_ID));
    h.conn('in', open(HIGH_ID));
    h.conn('in', KA);
    expect(names(h.state)).toEqual(['Idle', 'Established']);
    expect(h.timersRunning).toEqual(['in:hold', 'in:keepalive']);
    h.advance(7);
    h.conn('in', TCP_DOWN);
    expect(h.timersRunning).toEqual(['peer:idleHold']);
    h.advance(5);
    expect(names(h.state)).toEqual(['Connect', null]);
  });

  test('IdleHold expiring while their connection is alive does not dial', () => {
    const h = new Harness(PEER);
    h.dispatch({ type: 'Start' });
    h.conn('out', TCP_UP);
    h.conn('out', { type: 'NotifMsg', notification: notif(6, 2) });
    expect(h.timersRunning).toEqual(['peer:idleHold']);
    h.dispatch({ type: 'Incoming' });
    const mark = h.log.length;
    h.advance(5);
    expect(names(h.state)).toEqual(['Idle', 'OpenSent']);
    expect(has(h.actions(mark), 'out', 'connect')).toBe(false);
  });
});

describe('administrative stop (RFC 4486, RFC 8203)', () => {
  const STOP: PeerEvent = {
    type: 'Stop',
    event: { type: 'ManualStop', notification: shutdownNotification(2, 'rack maintenance') },
  };

  test('Stop sends Cease/Administrative Shutdown with the message on every live connection', () => {
    const h = new Harness(PEER);
    h.dispatch({ type: 'Start' });
    h.conn('out', TCP_UP);
    h.conn('out', open(HIGH_ID));
    h.dispatch({ type: 'Incoming' });
    expect(names(h.state)).toEqual(['OpenConfirm', 'OpenSent']);
    const actions = h.dispatch(STOP);
    const expected = notif(6, 2, [16, ...new TextEncoder().encode('rack maintenance')]);
    expect(sends(actions, 'out')).toEqual([expected]);
    expect(sends(actions, 'in')).toEqual([expected]);
    expect(has(actions, 'out', 'close') && has(actions, 'in', 'close')).toBe(true);
    expect(names(h.state)).toEqual(['Idle', null]);
    expect(h.state.enabled).toBe(false);
    h.advance(600);
    expect(h.fired).toEqual([]);
    expect(h.timersRunning).toEqual([]);
  });

  test('Stop while dialing sends nothing (no OPEN exchanged) and cancels a pending IdleHold', () => {
    const h = new Harness(PEER);
    h.dispatch({ type: 'Start' });
    h.conn('out', TCP_UP);
    h.conn('out', { type: 'HoldTimerExpires' });
    expect(h.timersRunning).toEqual(['peer:idleHold']);
    const actions = h.dispatch(STOP);
    expect(sends(actions, 'out')).toEqual([]);
    expect(h.timersRunning).toEqual([]);
    h.advance(60);
    expect(h.state.out.name).toBe('Idle');
  });

  test('Start after Stop starts again; Start twice is a no-op', () => {
    const h = new Harness(PEER);
    h.dispatch({ type: 'Start' });
    expect(h.dispatch({ type: 'Start' })).toEqual([]);
    h.dispatch(STOP);
    h.dispatch({ type: 'Start' });
    expect(h.state.out.name).toBe('Connect');
  });
});
