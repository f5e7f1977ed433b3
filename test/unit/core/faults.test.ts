/**
 * The fault registry (src/core/faults.ts) on a ManualClock with recording fakes of the session and
 * the speaker: after/for timing, cancel, session end, errors; the UPDATE delay line; the CLI parser.
 */
import { describe, expect, it } from 'vitest';
import { parseFaultWords } from '../../../src/cli/commands/fault.js';
import {
  FaultError,
  type FaultEvent,
  type FaultPeer,
  FaultRegistry,
  parseDuration,
} from '../../../src/core/faults.js';
import type { UpdateDelayRule } from '../../../src/session/update-delay.js';
import { UpdateDelayLine } from '../../../src/session/update-delay.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { NotificationMessage } from '../../../src/wire/index.js';

function fakePeer(state = 'Established', hardReset = { local: false, peer: false }) {
  const calls: string[] = [];
  const notifications: NotificationMessage[] = [];
  const delays: (UpdateDelayRule | null)[] = [];
  const peer: FaultPeer & { sessionState: string } = {
    sessionState: state,
    params: { holdTime: 3 },
    connection: {
      pauseSending: () => calls.push('pauseSending'),
      resumeSending: () => calls.push('resumeSending'),
      blackhole: (ms) => calls.push(`blackhole ${ms}`),
      endBlackhole: () => calls.push('endBlackhole'),
      abort: () => calls.push('abort'),
    },
    ceaseAndRestart: (n, restart = true) => {
      notifications.push(n);
      if (!restart) calls.push('stop');
    },
    stopWith: (n) => {
      calls.push('stop');
      notifications.push(n);
    },
    start: () => calls.push('start'),
    hardResetBits: () => hardReset,
    setUpdateDelay: (r) => delays.push(r),
  };
  return { peer, calls, notifications, delays };
}

function setup(opts: { state?: string; hardReset?: { local: boolean; peer: boolean }; fib?: boolean } = {}) {
  const clock = new ManualClock();
  const p = fakePeer(opts.state, opts.hardReset);
  const events: FaultEvent[] = [];
  const ports: string[] = [];
  const reg = new FaultRegistry({
    clock,
    wallClock: () => 1_700_000_000_000 + clock.now(),
    peer: (a) => (a === '10.0.0.2' ? p.peer : undefined),
    applyExport: (a) => ports.push(`export ${a} ${reg.blocksExport(a) ? 'blocked' : 'open'}`),
    reannounce: (a) => {
      ports.push(`reannounce ${a}`);
      return true;
    },
    hasFib: () => opts.fib ?? true,
    freezeFib: (frozen) => {
      ports.push(frozen ? 'freeze' : 'thaw');
      return opts.fib ?? true;
    },
    emit: (e) => events.push(e),
  });
  const phases = () => events.map((e) => `${e.id} ${e.kind} ${e.phase}`);
  return { clock, reg, events, ports, phases, ...p };
}

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof FaultError) return [e.status, e.message] as const;
    throw e;
  }
  return null;
};

describe('fault registry', () => {
  it('starts after `after`, ends after `for`, and restores what it changed (hold)', () => {
    const t = setup();
    const h = t.reg.start('10.0.0.2', { kind: 'hold', after: '2s', for: '5s' });
    expect(h).toMatchObject({ id: 1, state: 'pending', startsAt: new Date(1_700_000_002_000).toISOString() });
    expect(h.endsAt).toBe(new Date(1_700_000_007_000).toISOString());
    t.clock.advance(1999);
    expect(t.calls).toEqual([]);
    t.clock.advance(1);
    expect(t.calls).toEqual(['pauseSending']);
    expect(t.phases()).toEqual(['1 hold start']);
    expect(t.reg.list('10.0.0.2')[0].state).toBe('active');
    t.clock.advance(4999);
    expect(t.calls).toEqual(['pauseSending']);
    t.clock.advance(1);
    expect(t.calls).toEqual(['pauseSending', 'resumeSending']);
    expect(t.events.at(-1)).toMatchObject({ phase: 'end', detail: 'time up' });
    expect(t.reg.list()).toEqual([]);
    expect(t.clock.timers).toBe(0);
  });

  it('cancel ends an active fault now; a pending one is forgotten without events', () => {
    const t = setup();
    const active = t.reg.start('10.0.0.2', { kind: 'blackhole', for: 60_000 });
    const pending = t.reg.start('10.0.0.2', { kind: 'hold', after: '10s' });
    expect(t.calls).toEqual(['blackhole 5000']); // hold 3 s + 2 s: the peer's hold timer runs out first
    expect(active.cancel()).toBe(true);
    expect(active.cancel()).toBe(false);
    expect(t.calls).toEqual(['blackhole 5000', 'endBlackhole']);
    expect(t.reg.cancel(pending.id, '10.0.0.9')).toBe(false); // another neighbor's id
    expect(t.reg.cancel(pending.id, '10.0.0.2')).toBe(true);
    t.clock.advance(20_000);
    expect(t.phases()).toEqual(['1 blackhole start', '1 blackhole end']);
    expect(t.clock.timers).toBe(0);
  });

  it('hold and blackhole end with their session; delays outlive it', () => {
    const t = setup();
    t.reg.start('10.0.0.2', { kind: 'hold' });
    t.reg.start('10.0.0.2', { kind: 'delay-eor', delay: '3s', for: '1m' });
    t.reg.sessionState('10.0.0.2', 'Established', 'Idle');
    expect(t.events.filter((e) => e.phase === 'end')).toEqual([
      { id: 1, neighbor: '10.0.0.2', kind: 'hold', phase: 'end', detail: 'session ended' },
    ]);
    expect(t.reg.list().map((f) => f.kind)).toEqual(['delay-eor']);
    t.reg.sessionState('10.0.0.2', 'Active', 'OpenSent'); // a new session gets the delay too
    t.clock.advance(60_000);
    expect(t.delays).toEqual([{ updatesMs: 0, eorMs: 3000 }, { updatesMs: 0, eorMs: 3000 }, null]);
  });

  it('drop and cease act once; cease sends the chosen subcode with an RFC 8203 text', () => {
    const t = setup();
    const d = t.reg.start('10.0.0.2', { kind: 'drop' });
    expect(d.state).toBe('ended');
    expect(t.calls).toEqual(['abort']);
    t.reg.start('10.0.0.2', { kind: 'cease', subcode: 2 });
    t.reg.start('10.0.0.2', { kind: 'cease', subcode: 8 });
    expect(t.notifications.map((n) => [n.code, n.subcode, n.data.length > 0])).toEqual([
      [6, 2, true],
      [6, 8, false],
    ]);
    expect(t.phases()).toEqual([
      '1 drop start',
      '1 drop end',
      '2 cease start',
      '2 cease end',
      '3 cease start',
      '3 cease end',
    ]);
  });

  it('drop and cease with `for` keep the neighbor down that long, then start it', () => {
    const t = setup();
    const d = t.reg.start('10.0.0.2', { kind: 'drop', for: '5s' });
    expect(d).toMatchObject({ state: 'active', endsAt: new Date(1_700_000_005_000).toISOString() });
    expect(t.calls).toEqual(['abort', 'stop']);
    t.clock.advance(5000);
    expect(t.calls).toEqual(['abort', 'stop', 'start']);
    t.reg.start('10.0.0.2', { kind: 'cease', subcode: 2, for: 1000 });
    expect(t.notifications.at(-1)).toMatchObject({ code: 6, subcode: 2 });
    t.clock.advance(1000);
    expect(t.calls.slice(3)).toEqual(['stop', 'start']);
    expect(t.phases()).toEqual(['1 drop start', '1 drop end', '2 cease start', '2 cease end']);
  });

  it('Hard Reset only where the N bit was negotiated (RFC 8538), with the encapsulated 6/4', () => {
    const no = setup();
    const r = status(() => no.reg.start('10.0.0.2', { kind: 'cease', subcode: 9 }));
    expect(r?.[0]).toBe(409);
    expect(r?.[1]).toMatch(/N bit in both OPENs; rackbgp nor 10.0.0.2 announced it/);
    expect(no.notifications).toEqual([]);
    const half = setup({ hardReset: { local: true, peer: false } });
    expect(status(() => half.reg.start('10.0.0.2', { kind: 'cease', subcode: 9 }))?.[1]).toMatch(
      /; 10.0.0.2 announced it/,
    );
    const yes = setup({ hardReset: { local: true, peer: true } });
    yes.reg.start('10.0.0.2', { kind: 'cease', subcode: 9 });
    expect(yes.notifications[0]).toMatchObject({ code: 6, subcode: 9, data: Uint8Array.of(6, 4) });
  });

  it('withdraw-all blocks the export until its end or a reannounce; reannounce alone re-sends', () => {
    const t = setup();
    t.reg.start('10.0.0.2', { kind: 'withdraw-all', for: '30s' });
    expect(t.reg.blocksExport('10.0.0.2')).toBe(true);
    t.reg.start('10.0.0.2', { kind: 'reannounce' });
    expect(t.reg.blocksExport('10.0.0.2')).toBe(false);
    expect(t.ports).toEqual(['export 10.0.0.2 blocked', 'export 10.0.0.2 open']);
    expect(t.events.find((e) => e.kind === 'withdraw-all' && e.phase === 'end')?.detail).toBe(
      'ended by reannounce #2',
    );
    t.reg.start('10.0.0.2', { kind: 'reannounce' });
    expect(t.ports.at(-1)).toBe('reannounce 10.0.0.2');
    t.clock.advance(30_000);
    expect(t.clock.timers).toBe(0);
  });

  it('fib-freeze: one freeze for overlapping faults, thawed when the last ends; refused without a FIB', () => {
    const t = setup();
    t.reg.start('*', { kind: 'fib-freeze', for: '5s' });
    t.reg.start('10.0.0.2', { kind: 'fib-freeze', for: '8s' });
    t.clock.advance(5000);
    expect(t.ports).toEqual(['freeze']);
    t.clock.advance(3000);
    expect(t.ports).toEqual(['freeze', 'thaw']);
    expect(t.events.at(-1)?.detail).toMatch(/reconciled/);
    const none = setup({ fib: false });
    expect(status(() => none.reg.start('*', { kind: 'fib-freeze' }))).toEqual([
      409,
      'fib-freeze needs the kernel FIB, and this speaker runs with fib: false',
    ]);
    none.reg.start('*', { kind: 'fib-freeze', after: '1s' });
    none.clock.advance(1000);
    expect(none.events).toEqual([
      {
        id: 1, // refused requests take no id
        neighbor: '*',
        kind: 'fib-freeze',
        phase: 'end',
        detail: 'not started: fib-freeze needs the kernel FIB, and this speaker runs with fib: false',
      },
    ]);
    expect(none.ports).toEqual([]);
  });

  it('delay faults combine per neighbor: the longest of each kind applies', () => {
    const t = setup();
    const a = t.reg.start('10.0.0.2', { kind: 'delay-updates', delay: 500 });
    t.reg.start('10.0.0.2', { kind: 'delay-updates', delay: '2s' });
    a.cancel();
    expect(t.delays).toEqual([
      { updatesMs: 500, eorMs: 0 },
      { updatesMs: 2000, eorMs: 0 },
      { updatesMs: 2000, eorMs: 0 },
    ]);
  });

  it('refuses bad input with the reason and its status', () => {
    const t = setup();
    const cases: [string, Parameters<FaultRegistry['start']>[1], number, RegExp][] = [
      ['10.0.0.2', { kind: 'explode' }, 400, /unknown fault kind 'explode'; one of: drop, cease/],
      ['10.9.9.9', { kind: 'hold' }, 404, /no neighbor 10.9.9.9/],
      ['10.0.0.2', { kind: 'hold', for: '-5s' }, 400, /must not be negative/],
      ['10.0.0.2', { kind: 'hold', for: -1 }, 400, /≥ 0/],
      ['10.0.0.2', { kind: 'hold', after: '10 parsecs' }, 400, /not a duration/],
      ['10.0.0.2', { kind: 'reannounce', for: '10s' }, 400, /acts once/],
      ['10.0.0.2', { kind: 'delay-updates' }, 400, /needs a delay/],
      ['10.0.0.2', { kind: 'hold', delay: '1s' }, 400, /delay-updates and delay-eor only/],
      ['10.0.0.2', { kind: 'hold', subcode: 2 }, 400, /cease only/],
      ['10.0.0.2', { kind: 'cease', subcode: 42 }, 400, /1–10/],
      ['*', { kind: 'hold' }, 400, /needs a neighbor address/],
    ];
    for (const [n, spec, code, re] of cases) {
      const r = status(() => t.reg.start(n, spec));
      expect(r?.[0], JSON.stringify(spec)).toBe(code);
      expect(r?.[1]).toMatch(re);
    }
    expect(t.events).toEqual([]);
    expect(t.clock.timers).toBe(0);
  });

  it('session faults need the session up now, or at their start (else they end unstarted)', () => {
    const t = setup({ state: 'Active' });
    expect(status(() => t.reg.start('10.0.0.2', { kind: 'hold' }))?.[0]).toBe(409);
    t.reg.start('10.0.0.2', { kind: 'drop', after: '1s' });
    t.clock.advance(1000);
    expect(t.calls).toEqual([]);
    expect(t.events[0]).toMatchObject({
      phase: 'end',
      detail: expect.stringMatching(/^not started: drop acts/),
    });
    // Neighbor-wide faults do not need the session.
    t.reg.start('10.0.0.2', { kind: 'withdraw-all' });
    expect(t.reg.blocksExport('10.0.0.2')).toBe(true);
  });

  it('stop() ends everything', () => {
    const t = setup();
    t.reg.start('10.0.0.2', { kind: 'hold' });
    t.reg.start('*', { kind: 'fib-freeze' });
    t.reg.start('10.0.0.2', { kind: 'hold', after: '5s' });
    t.reg.stop();
    expect(t.reg.list()).toEqual([]);
    expect(t.calls).toEqual(['pauseSending', 'resumeSending']);
    expect(t.ports).toEqual(['freeze', 'thaw']);
    expect(t.clock.timers).toBe(0);
  });
});

describe('parseDuration', () => {
  it('reads ms, s, m, h and plain milliseconds', () => {
    expect(['500ms', '1.5s', '10s', '1m', '1h', '250', 42].map((v) => parseDuration(v, 'x'))).toEqual([
      500, 1500, 10_000, 60_000, 3_600_000, 250, 42,
    ]);
  });
});

describe('UPDATE delay line', () => {
  const EOR = new Uint8Array(23).fill(0xff).fill(0, 16);
  const upd = (n: number) => Uint8Array.of(...new Array(18).fill(0), 2, n);
  const isEor = (f: Uint8Array) => f.length === 23;

  it('holds UPDATEs by the delay, in order, and releases the rest on flushAll', () => {
    const clock = new ManualClock();
    const out: number[] = [];
    const line = new UpdateDelayLine({ updatesMs: 1000, eorMs: 0 }, clock, isEor, (frames) =>
      out.push(...frames.map((f) => f[19])),
    );
    line.push([upd(1)]);
    clock.advance(400);
    line.push([upd(2)]);
    clock.advance(599);
    expect(out).toEqual([]);
    clock.advance(1);
    expect(out).toEqual([1]);
    line.push([upd(3)]);
    line.flushAll();
    expect(out).toEqual([1, 2, 3]);
    expect(clock.timers).toBe(0);
  });

  it('delay-eor holds only End-of-RIB, and what follows it waits behind it', () => {
    const clock = new ManualClock();
    const out: (number | 'eor')[] = [];
    const counted: number[] = [];
    const line = new UpdateDelayLine({ updatesMs: 0, eorMs: 2000 }, clock, isEor, (frames, uncounted) => {
      out.push(...frames.map((f) => (f.length === 23 ? ('eor' as const) : f[19])));
      counted.push(uncounted.length);
    });
    line.push([upd(1), EOR]);
    line.push([upd(2)], true);
    clock.advance(0);
    expect(out).toEqual([1]);
    clock.advance(1999);
    expect(out).toEqual([1]);
    clock.advance(1);
    expect(out).toEqual([1, 'eor', 2]);
    expect(counted).toEqual([1, 1]); // upd(2) was counted by whoever queued it
  });
});

describe('rackbgp fault words', () => {
  it('parses start, list and cancel', () => {
    expect(parseFaultWords(['10.0.0.2', 'hold'], { for: '10s' })).toEqual({
      op: 'start',
      neighbor: '10.0.0.2',
      spec: { kind: 'hold', for: '10s' },
    });
    expect(parseFaultWords(['10.0.0.2', 'delay-updates', '3s'], {})).toMatchObject({
      spec: { kind: 'delay-updates', delay: '3s' },
    });
    expect(parseFaultWords(['fib-freeze'], { for: '5s' })).toMatchObject({ neighbor: '*' });
    expect(parseFaultWords(['list'], {})).toEqual({ op: 'list', neighbor: '*' });
    expect(parseFaultWords(['cancel', '10.0.0.2', '3'], {})).toEqual({
      op: 'cancel',
      neighbor: '10.0.0.2',
      id: 3,
    });
  });

  it('refuses bad input before asking the daemon', () => {
    expect(() => parseFaultWords(['10.0.0.2', 'explode'], {})).toThrow(/unknown fault kind 'explode'/);
    expect(() => parseFaultWords(['10.0.0.2', 'hold'], { for: '-1s' })).toThrow(/must not be negative/);
    expect(() => parseFaultWords(['10.0.0.2', 'cease'], { subcode: 'x' })).toThrow(/integer/);
    expect(() => parseFaultWords(['cancel', '10.0.0.2', 'abc'], {})).toThrow(/positive integer/);
    expect(() => parseFaultWords(['10.0.0.2'], {})).toThrow(/usage/);
  });
});
