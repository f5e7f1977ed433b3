import { describe, expect, it } from 'vitest';
import {
  BfdDiag,
  BfdState,
  type ControlPacket,
  decodeControl,
  encodeControl,
} from '../../../src/bfd/packet.js';
import { BfdSession } from '../../../src/bfd/session.js';
import type { Transition } from '../../../src/bfd/state-machine.js';
import { ManualClock } from '../../../src/util/clock.js';
import { controlPacket } from './fixtures.js';

const T = { desiredMinTx: 300_000, requiredMinRx: 300_000, detectMult: 3 };

/** Two sessions over a link that can drop everything; packets go through the codec. */
function pair(random = () => 0.5) {
  const clock = new ManualClock();
  const link = { up: true, delayMs: 1 };
  const log: { side: 'a' | 'b'; t: number; tr: Transition }[] = [];
  const sent: { side: 'a' | 'b'; t: number; p: ControlPacket }[] = [];
  const sessions: Record<'a' | 'b', BfdSession> = {} as never;
  const make = (side: 'a' | 'b', discr: number) =>
    new BfdSession(T, discr, {
      clock,
      random,
      send: (p) => {
        sent.push({ side, t: clock.now(), p });
        if (!link.up) return;
        const bytes = encodeControl(p);
        clock.setTimer(link.delayMs, () => {
          const r = decodeControl(bytes);
          if (r.ok) sessions[side === 'a' ? 'b' : 'a'].receive(r.packet);
        });
      },
      changed: (tr) => log.push({ side, t: clock.now(), tr }),
    });
  sessions.a = make('a', 101);
  sessions.b = make('b', 202);
  return { clock, link, log, sent, ...sessions };
}

describe('BfdSession on a ManualClock', () => {
  it('comes Up on both sides through Down → Init → Up and exchanges discriminators', () => {
    const { clock, a, b, log } = pair();
    a.start();
    clock.advance(500);
    b.start();
    clock.advance(3000);
    expect(a.state).toBe(BfdState.Up);
    expect(b.state).toBe(BfdState.Up);
    expect(a.vars.remoteDiscr).toBe(202);
    expect(b.vars.remoteDiscr).toBe(101);
    // a heard b's first Down (→ Init); b then heard a's Init (→ Up straight from Down).
    expect(log.filter((l) => l.side === 'a').map((l) => l.tr.to)).toEqual([BfdState.Init, BfdState.Up]);
    expect(log.filter((l) => l.side === 'b').map((l) => l.tr.to)).toEqual([BfdState.Up]);
  });

  it('sends at the slow rate when Down and at 300 ms with 0–25 % jitter when Up, Poll/Final done', () => {
    const { clock, a, b, sent } = pair(() => 0.999);
    a.start();
    b.start();
    clock.advance(5000);
    const upAt = clock.now();
    clock.advance(3000);
    const gaps = (from: number, to: number) => {
      const ts = sent.filter((s) => s.side === 'a' && s.t >= from && s.t < to && !s.p.final).map((s) => s.t);
      return ts.slice(1).map((t, i) => t - ts[i]);
    };
    // Down: a packet at 0, the next one second less 25 % later.
    expect(gaps(0, 760).map(Math.round)).toEqual([750]);
    for (const g of gaps(upAt, upAt + 3000)) expect(g).toBeCloseTo(225, 0);
    expect(a.vars.polling).toBe(false);
    expect(b.vars.polling).toBe(false);
    expect(sent.some((s) => s.p.poll)).toBe(true);
    expect(sent.some((s) => s.p.final)).toBe(true);
  });

  it('never sends two periodic packets closer than 75 % of the interval', () => {
    const { clock, a, b, sent } = pair(Math.random);
    a.start();
    b.start();
    clock.advance(20_000);
    const ts = sent.filter((s) => s.side === 'a' && !s.p.final && s.t > 5000).map((s) => s.t);
    expect(ts.length).toBeGreaterThan(40);
    for (let i = 1; i < ts.length; i++) expect(ts[i] - ts[i - 1]).toBeGreaterThanOrEqual(225);
  });

  it('detects a silent link within multiplier × interval and comes back when it heals', () => {
    const { clock, a, b, link, log } = pair(Math.random);
    a.start();
    b.start();
    clock.advance(5000);
    expect(a.state).toBe(BfdState.Up);
    link.up = false;
    const cut = clock.now();
    clock.advance(2000);
    const downs = log.filter((l) => l.t > cut && l.tr.to === BfdState.Down);
    expect(downs.map((d) => d.side).sort()).toEqual(['a', 'b']);
    for (const d of downs) {
      expect(d.tr.diag).toBe(BfdDiag.ControlDetectionTimeExpired);
      expect(d.t - cut).toBeLessThanOrEqual(900 + 1);
      expect(d.t - cut).toBeGreaterThan(900 - 300);
    }
    expect(a.lastDown?.diag).toBe(BfdDiag.ControlDetectionTimeExpired);
    expect(a.vars.remoteDiscr).toBe(0);
    link.up = true;
    clock.advance(4000);
    expect(a.state).toBe(BfdState.Up);
    expect(b.state).toBe(BfdState.Up);
  });

  it('does not go down before the detection time', () => {
    const { clock, a, b, link } = pair(Math.random);
    a.start();
    b.start();
    clock.advance(5000);
    link.up = false;
    clock.advance(599);
    expect(a.state).toBe(BfdState.Up);
  });

  it('administrative down: the remote goes Down with diag 3, back Up after', () => {
    const { clock, a, b, log } = pair();
    a.start();
    b.start();
    clock.advance(5000);
    a.setAdminDown(true);
    clock.advance(10);
    expect(a.state).toBe(BfdState.AdminDown);
    expect(b.state).toBe(BfdState.Down);
    expect(b.lastDown).toEqual({
      from: BfdState.Up,
      to: BfdState.Down,
      diag: BfdDiag.NeighborSignaledSessionDown,
    });
    // b keeps seeing AdminDown: no detection expiry while packets arrive.
    clock.advance(5000);
    expect(log.filter((l) => l.side === 'b' && l.tr.diag === BfdDiag.ControlDetectionTimeExpired)).toEqual(
      [],
    );
    a.setAdminDown(false);
    clock.advance(4000);
    expect(a.state).toBe(BfdState.Up);
    expect(b.state).toBe(BfdState.Up);
  });

  it('a timer change while Up runs a Poll Sequence and then the new rate', () => {
    const { clock, a, b, sent } = pair(() => 0);
    a.start();
    b.start();
    clock.advance(5000);
    a.setTimers({ desiredMinTx: 600_000, requiredMinRx: 600_000, detectMult: 3 });
    expect(a.vars.polling).toBe(true);
    clock.advance(1000);
    expect(a.vars.polling).toBe(false);
    const from = clock.now();
    clock.advance(3000);
    const ts = sent.filter((s) => s.side === 'a' && !s.p.final && s.t >= from).map((s) => s.t);
    for (let i = 1; i < ts.length; i++) expect(ts[i] - ts[i - 1]).toBe(600);
    const bts = sent.filter((s) => s.side === 'b' && !s.p.final && s.t >= from).map((s) => s.t);
    for (let i = 1; i < bts.length; i++) expect(bts[i] - bts[i - 1]).toBe(600);
    expect(b.state).toBe(BfdState.Up);
  });

  it('stop() cancels both timers', () => {
    const { clock, a, b } = pair();
    a.start();
    b.start();
    clock.advance(5000);
    a.stop();
    b.stop();
    expect(clock.timers).toBe(0);
  });
});

describe('detection after a busy event loop', () => {
  it('reads the sockets before declaring Down: a packet queued behind the timer counts', () => {
    const clock = new ManualClock();
    const queued: ControlPacket[] = [];
    let session: BfdSession | undefined;
    const changes: Transition[] = [];
    session = new BfdSession(T, 1, {
      clock,
      random: () => 0,
      send: () => {},
      changed: (t) => changes.push(t),
      drain: () => {
        for (const p of queued.splice(0)) session?.receive(p);
      },
    });
    session.start();
    const p = (state: ControlPacket['state'], yourDiscr: number) =>
      controlPacket(state, { myDiscr: 9, yourDiscr });
    session.receive(p(BfdState.Down, 0));
    session.receive(p(BfdState.Up, 1));
    expect(session.state).toBe(BfdState.Up);
    // The loop was busy: the packet sent in time sits in the socket when the timer fires.
    queued.push(p(BfdState.Up, 1));
    clock.advance(901);
    expect(session.state).toBe(BfdState.Up);
    clock.advance(901);
    expect(session.state).toBe(BfdState.Down);
    expect(changes.at(-1)?.diag).toBe(BfdDiag.ControlDetectionTimeExpired);
  });
});
