/**
 * The journal's wiring on a Speaker-shaped host (src/core/journal-wiring.ts): session events with
 * their cause and capabilities, graceful-restart outcomes, faults (the contract's `fault` event),
 * reloads; the library's events() iterator (replay, then follow) and waitFor() timing out with the
 * recent journal in its error.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type JournalHost, JournalWiring } from '../../../src/core/journal-wiring.js';
import type { Dest } from '../../../src/rib/loc-rib.js';
import type { LastError } from '../../../src/session/counters.js';
import { ManualClock } from '../../../src/util/clock.js';
import { IPV4_UNICAST } from '../../../src/wire/index.js';
import { params } from './fixtures.js';

function host() {
  const e = new EventEmitter();
  const lastError: { value: LastError | null } = { value: null };
  const listeners: ((d: readonly Dest[]) => void)[] = [];
  const h = Object.assign(e, {
    routing: {
      onChange: (fn: (d: readonly Dest[]) => void) => {
        listeners.push(fn);
        return () => {};
      },
      rib: { get: () => undefined },
    },
    sessions: {
      peers: new Map([
        [
          '192.0.2.1',
          {
            counters: {
              get lastError() {
                return lastError.value;
              },
            },
          },
        ],
      ]),
    },
  });
  return { e: h, lastError };
}

function wired() {
  const clock = new ManualClock();
  const { e, lastError } = host();
  const w = new JournalWiring(e as unknown as JournalHost, { size: 100, clock, origin: 0 });
  return { clock, e, w, lastError };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('JournalWiring', () => {
  it('journals a session going up with its capabilities and down with its cause', () => {
    const { clock, e, w, lastError } = wired();
    const p = {
      ...params(65001),
      peerGracefulRestart: {
        restartTime: 120,
        restarting: false,
        notification: true,
        families: new Map([[IPV4_UNICAST, true]]),
      },
      localGracefulRestart: true,
    };
    e.emit('established', { neighbor: '192.0.2.1', params: p });
    e.emit('state', { neighbor: '192.0.2.1', from: 'OpenConfirm', to: 'Established' });
    clock.advance(5000);
    lastError.value = {
      direction: 'sent',
      code: 4,
      subcode: 0,
      codeName: 'Hold Timer Expired',
      reason: 'hold timer expired',
      at: 0,
    };
    e.emit('state', { neighbor: '192.0.2.1', from: 'Established', to: 'Idle' });
    const ev = w.journal.query();
    expect(ev.map((x) => x.type)).toEqual(['session-up', 'session-state', 'session-state', 'session-down']);
    expect(ev[0]).toMatchObject({
      peer: '192.0.2.1',
      peerAs: 65001,
      capabilities: {
        families: ['ipv4-unicast'],
        holdTime: 90,
        fourOctetAs: true,
        gracefulRestart: { restartTime: 120, R: false, N: true, F: { 'ipv4-unicast': true }, helper: true },
      },
    });
    expect(ev[3]).toMatchObject({ cause: 'hold-timer', notification: { code: 4, subcode: 0 }, t: 5000 });
    clock.advance(2000);
    expect(w.sessionTotals().get('192.0.2.1')).toEqual({ downSeconds: 2, downs: { 'hold-timer': 1 } });
    e.emit('established', { neighbor: '192.0.2.1', params: p });
    clock.advance(2000);
    expect(w.sessionTotals().get('192.0.2.1')?.downSeconds).toBe(2);
  });

  it('journals faults, End-of-RIB both ways, graceful restart and reloads', async () => {
    const { e, w } = wired();
    e.emit('fault', { id: 3, neighbor: '192.0.2.1', kind: 'hold', phase: 'start' });
    e.emit('endOfRib', { neighbor: '192.0.2.1', family: 'ipv4-unicast' });
    e.emit('endOfRibSent', { neighbor: '192.0.2.1', family: 'ipv4-unicast' });
    e.emit('gracefulRestart', {
      neighbor: '192.0.2.1',
      phase: 'start',
      families: ['ipv4-unicast'],
      why: 'TCP session lost',
      restartTime: 120,
      stalePaths: { 'ipv4-unicast': 5 },
    });
    e.emit('gracefulRestart', {
      neighbor: '192.0.2.1',
      phase: 'end',
      families: ['ipv4-unicast'],
      why: 'End-of-RIB',
    });
    await Promise.resolve(); // graceful-restart events are journaled after the state change that caused them
    e.emit('fault', { id: 3, neighbor: '192.0.2.1', kind: 'hold', phase: 'end', detail: 'for elapsed' });
    e.emit('reload', {
      ok: false,
      errors: ['x.yaml:3:1 bad'],
      actions: [],
      networks: { added: [], removed: [], changed: [] },
      restartRequired: [],
    });
    expect(w.journal.query().map((x) => x.type)).toEqual([
      'fault-start',
      'eor-received',
      'eor-sent',
      'gr-helper-start',
      'gr-helper-end',
      'fault-end',
      'reload',
    ]);
    expect(w.journal.query({ type: 'gr-helper-start' })[0]).toMatchObject({
      outcome: 'kept stale',
      stalePaths: { 'ipv4-unicast': 5 },
      restartTime: 120,
    });
    expect(w.journal.query({ type: 'fault-end' })[0]).toMatchObject({
      id: 3,
      kind: 'hold',
      detail: 'for elapsed',
    });
    expect(w.journal.query({ type: 'reload' })[0]).toMatchObject({ ok: false, error: 'x.yaml:3:1 bad' });
  });

  it('events() replays from `since`, then follows new events', async () => {
    const { e, w } = wired();
    e.emit('endOfRib', { neighbor: '192.0.2.1', family: 'ipv4-unicast' });
    e.emit('endOfRib', { neighbor: '192.0.2.1', family: 'ipv6-unicast' });
    const it = w.events({ since: 1 });
    expect((await it.next()).value?.seq).toBe(1);
    expect((await it.next()).value?.seq).toBe(2);
    const third = it.next();
    e.emit('fault', { id: 1, neighbor: '192.0.2.1', kind: 'drop', phase: 'start' });
    expect((await third).value).toMatchObject({ seq: 3, type: 'fault-start' });
    await it.return?.();
    expect((await it.next()).done).toBe(true);
  });

  it('waitFor() resolves with the first matching event, from now by default', async () => {
    const { e, w } = wired();
    e.emit('endOfRib', { neighbor: '192.0.2.1', family: 'ipv4-unicast' });
    const p = w.waitFor((x) => x.type === 'eor-received');
    e.emit('fault', { id: 1, neighbor: '192.0.2.1', kind: 'drop', phase: 'start' });
    e.emit('endOfRib', { neighbor: '192.0.2.1', family: 'ipv6-unicast' });
    expect(await p).toMatchObject({ seq: 3, family: 'ipv6-unicast' });
  });

  it('waitFor() rejects on timeout with the recent journal in the error', async () => {
    vi.useFakeTimers();
    const { e, w } = wired();
    e.emit('fault', { id: 7, neighbor: '192.0.2.1', kind: 'blackhole', phase: 'start' });
    const p = w.waitFor((x) => x.type === 'session-down', { timeout: 1000 });
    const caught = p.catch((err: Error & { events: unknown[] }) => err);
    await vi.advanceTimersByTimeAsync(1000);
    const err = await caught;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /timed out after 1000 ms waiting for a journal event; the last 1:\n.*#1 fault-start 192\.0\.2\.1 {2}blackhole #7/,
    );
    expect((err as { events: unknown[] }).events).toHaveLength(1);
  });
});
