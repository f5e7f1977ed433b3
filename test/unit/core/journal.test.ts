/**
 * The journal ring (src/core/journal.ts): sequence numbers, wrap, filters, lazy rendering of route
 * events, time from the injected clock; the one-line text form; End-of-RIB detection in frames.
 */
import { describe, expect, it } from 'vitest';
import { Journal, PATH, ROUTE, typeCode } from '../../../src/core/journal.js';
import { formatEvent } from '../../../src/core/journal-text.js';
import { downCause } from '../../../src/core/journal-wiring.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import type { Path } from '../../../src/rib/types.js';
import { ManualClock } from '../../../src/util/clock.js';
import { peer } from './fixtures.js';

const ORIGIN = Date.UTC(2026, 11, 6, 12, 0, 0);

function journal(size: number) {
  const clock = new ManualClock();
  return { clock, j: new Journal({ size, clock, origin: ORIGIN }) };
}

const path = (id: number, nextHop: string): Path => ({
  peer: peer(id, 65000 + id),
  pathId: 0,
  txId: id,
  attrs: { id, attrs: { nextHop }, key: nextHop, refs: 1, owner: 1 } as unknown as Path['attrs'],
  stale: false,
});

describe('Journal', () => {
  it('numbers events from 1 and stamps them with the clock (epoch ms, sub-ms kept)', () => {
    const { clock, j } = journal(10);
    expect(j.next).toBe(1);
    j.add('session-state', { peer: '192.0.2.1', from: 'OpenConfirm', to: 'Established' });
    clock.advance(1.25);
    j.add('eor-received', { peer: '192.0.2.1', family: 'ipv4-unicast' });
    const [a, b] = j.query();
    expect(a).toEqual({
      seq: 1,
      t: ORIGIN,
      time: '2026-12-06T12:00:00.000Z',
      type: 'session-state',
      peer: '192.0.2.1',
      from: 'OpenConfirm',
      to: 'Established',
    });
    expect(b.seq).toBe(2);
    expect(b.t).toBe(ORIGIN + 1.25);
    expect(b.time).toBe('2026-12-06T12:00:00.001Z');
    expect(j.next).toBe(3);
  });

  it('keeps the last `size` events when it wraps, and counts those dropped', () => {
    const { j } = journal(4);
    for (let i = 0; i < 10; i++) j.add('reload', { ok: true, n: i });
    const s = j.stats();
    expect(s).toEqual({ size: 4, length: 4, recorded: 10, dropped: 6, oldest: 7, next: 11 });
    expect(j.query().map((e) => [e.seq, e.n])).toEqual([
      [7, 6],
      [8, 7],
      [9, 8],
      [10, 9],
    ]);
    expect(j.get(6)).toBeUndefined();
    expect(j.get(7)?.n).toBe(6);
    expect(j.get(11)).toBeUndefined();
    // since before the oldest starts at the oldest; since is inclusive.
    expect(j.query({ since: 2 })[0].seq).toBe(7);
    expect(j.query({ since: 9 }).map((e) => e.seq)).toEqual([9, 10]);
    // tail: the last N (matching), oldest first.
    expect(j.query({ tail: 2 }).map((e) => e.seq)).toEqual([9, 10]);
    expect(j.query({ tail: 9 }).map((e) => e.seq)).toEqual([7, 8, 9, 10]);
    expect(j.query({ tail: 1, type: 'session-up' })).toEqual([]);
  });

  it('with size 0 records nothing', () => {
    const { j } = journal(0);
    expect(j.add('reload', { ok: true })).toBe(0);
    expect(j.query()).toEqual([]);
    expect(j.stats().recorded).toBe(0);
  });

  it('filters by type, peer, prefix (any spelling) and limit', () => {
    const { j } = journal(100);
    const k = keyFromText('10.1.0.0/24');
    if (!k) throw new Error('prefix');
    const a = path(1, '192.0.2.1');
    const b = path(2, '192.0.2.2');
    j.add('session-up', { peer: '192.0.2.1', peerAs: 65001 });
    j.push(ROUTE.announce, j.now(), '192.0.2.1', 4, k.key, null, a);
    j.push(ROUTE.best, j.now(), '192.0.2.2', 4, k.key, a, b);
    j.add('fib-install', { prefix: '10.1.0.0/24', nextHops: [{ via: '192.0.2.2' }] });
    j.push(ROUTE.withdraw, j.now(), '192.0.2.2', 4, k.key, b, 'withdrawn');
    j.add('fib-remove', { prefix: '10.2.0.0/24' });

    expect(j.query({ type: 'best-change' }).map((e) => e.seq)).toEqual([3]);
    expect(j.query({ prefix: '10.1.0.0/24' }).map((e) => e.seq)).toEqual([2, 3, 4, 5]);
    // A route event involves a peer whose path is before or after, not only the event's own peer.
    expect(j.query({ peer: '192.0.2.1' }).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(j.query({ peer: '192.0.2.2', type: 'route-withdraw' }).map((e) => e.seq)).toEqual([5]);
    expect(j.query({ limit: 2 }).map((e) => e.seq)).toEqual([1, 2]);

    expect(j.get(3)).toMatchObject({
      type: 'best-change',
      prefix: '10.1.0.0/24',
      before: [{ peer: '192.0.2.1', nextHop: '192.0.2.1' }],
      after: [{ peer: '192.0.2.2', nextHop: '192.0.2.2' }],
    });
    expect(j.get(5)).toMatchObject({ type: 'route-withdraw', after: [], cause: 'withdrawn' });
    expect(formatEvent(j.get(3)!)).toBe(
      '2026-12-06T12:00:00.000Z #3 best-change 192.0.2.2 10.1.0.0/24  192.0.2.1 -> 192.0.2.2',
    );
  });

  it('renders an ECMP set as its paths', () => {
    const { j } = journal(10);
    const k = keyFromText('2001:db8::/48');
    if (!k) throw new Error('prefix');
    j.push(ROUTE.announce, j.now(), '192.0.2.1', 6, k.key, null, [path(1, 'fe80::1'), path(2, 'fe80::2')]);
    const e = j.get(1);
    expect(e?.prefix).toBe('2001:db8::/48');
    expect(e?.after).toEqual([
      { peer: '192.0.2.1', nextHop: 'fe80::1' },
      { peer: '192.0.2.2', nextHop: 'fe80::2' },
    ]);
    expect(formatEvent(e!)).toContain('via fe80::1 (192.0.2.1), fe80::2 (192.0.2.2)');
  });

  it('tells subscribers once per microtask, not per event', async () => {
    const { j } = journal(10);
    let calls = 0;
    const off = j.subscribe(() => calls++);
    j.add('reload', { ok: true });
    j.add('reload', { ok: true });
    expect(calls).toBe(0);
    await Promise.resolve();
    expect(calls).toBe(1);
    off();
    j.add('reload', { ok: true });
    await Promise.resolve();
    expect(calls).toBe(1);
  });

  it('type codes of route events are contiguous (the renderer relies on it)', () => {
    expect([
      ROUTE.announce,
      ROUTE.replace,
      ROUTE.withdraw,
      ROUTE.stale,
      ROUTE.best,
      ROUTE.ecmp,
      PATH.announce,
      PATH.replace,
      PATH.withdraw,
    ]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => typeCode('route-announce') + i));
  });
});

describe('journal wiring helpers', () => {
  it('names the cause of a session loss from the last error', () => {
    const at = 0;
    expect(downCause({ direction: 'local', reason: 'connection lost', at }, '')).toMatchObject({
      cause: 'tcp-reset',
    });
    expect(
      downCause(
        {
          direction: 'sent',
          code: 4,
          subcode: 0,
          codeName: 'Hold Timer Expired',
          reason: 'hold timer expired',
          at,
        },
        '',
      ),
    ).toMatchObject({ cause: 'hold-timer', notification: { code: 4, subcode: 0 } });
    expect(
      downCause(
        {
          direction: 'received',
          code: 6,
          subcode: 2,
          codeName: 'Cease',
          subcodeName: 'Administrative Shutdown',
          communication: 'maintenance',
          reason: 'Cease/Administrative Shutdown',
          at,
        },
        '',
      ),
    ).toMatchObject({
      cause: 'notification-received',
      notification: {
        code: 6,
        subcode: 2,
        text: 'Cease/Administrative Shutdown',
        communication: 'maintenance',
      },
    });
    expect(
      downCause({ direction: 'sent', code: 6, subcode: 4, reason: 'Cease/Administrative Reset', at }, ''),
    ).toMatchObject({ cause: 'admin' });
    expect(downCause(null, 'x')).toEqual({ cause: 'unknown', reason: 'x' });
  });
});
