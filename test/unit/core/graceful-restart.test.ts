/** Both sides of graceful restart with ManualClock: the helper (RFC 4724 §4.2, RFC 8538) and the restarting speaker's deferral (§4.1). */
import { describe, expect, it } from 'vitest';
import { GracefulRestartHelper } from '../../../src/core/graceful-restart.js';
import type { GracefulRestartAnnouncement } from '../../../src/core/journal-wiring.js';
import { RestartingSpeaker } from '../../../src/core/restarting-speaker.js';
import { RoutingEngine } from '../../../src/core/routing.js';
import { keyFromText } from '../../../src/rib/prefix-key.js';
import { withHardReset } from '../../../src/session/hard-reset.js';
import { ManualClock } from '../../../src/util/clock.js';
import { CeaseSubcode, ErrorCode, IPV4_UNICAST, type SessionParams } from '../../../src/wire/index.js';
import { DECISION, LOCAL, PLAIN, params, peer, sender } from './fixtures.js';

const silent = { info() {}, warn() {}, debug() {} };

const withGr = (o: { restarting?: boolean; forwarding?: boolean; n?: boolean } = {}): SessionParams => ({
  ...params(65002),
  localGracefulRestart: true,
  peerGracefulRestart: {
    restartTime: 60,
    restarting: o.restarting ?? false,
    notification: o.n ?? false,
    families: new Map([[IPV4_UNICAST, o.forwarding ?? true]]),
  },
});

function helper() {
  const clock = new ManualClock();
  const calls: string[] = [];
  const announced: GracefulRestartAnnouncement[] = [];
  const h = new GracefulRestartHelper({
    clock,
    log: silent,
    stalePathTime: () => 30,
    announce: (g) => announced.push(g),
    wallClock: () => 0,
    routing: {
      peerDown: (_i, keep) => calls.push(keep ? 'keep' : 'flush'),
      purgeStale: (_i, f) => {
        calls.push(`purge${f ?? ''}`);
        return 1;
      },
      rib: { countOf: () => 3 },
    },
  });
  return { clock, calls, announced, h };
}

const cease = (subcode: number) =>
  ({ type: 'notification', code: ErrorCode.CEASE, subcode, data: new Uint8Array(0) }) as const;

describe('graceful restart helper', () => {
  it('keeps paths stale on a lost session, purges at End-of-RIB after the peer is back', () => {
    const { calls, h, clock } = helper();
    const a = peer(2, 65002);
    h.sessionDown(a.address, a, withGr(), { reason: 'tcp', byNotification: false, notificationGr: false });
    expect(calls).toEqual(['keep', 'purge6']);
    expect(h.state(a.address)).toEqual({ families: ['ipv4-unicast'], until: 60_000 });
    h.sessionUp(a.address, withGr());
    clock.advance(29_000);
    h.endOfRib(a.address, 4);
    expect(calls.at(-1)).toBe('purge4');
    expect(h.state(a.address)).toBeUndefined();
    expect(h.totals).toMatchObject({ started: 1, endOfRib: 1, expired: 0 });
  });

  it('purges after the restart time when the peer does not come back', () => {
    const { calls, h, clock } = helper();
    const a = peer(2, 65002);
    h.sessionDown(a.address, a, withGr(), { reason: 'tcp', byNotification: false, notificationGr: false });
    clock.advance(59_999);
    expect(h.active).toBe(1);
    clock.advance(1);
    expect(calls.at(-1)).toBe('purge4');
    expect(h.active).toBe(0);
    expect(h.totals.expired).toBe(1);
  });

  it('RFC 8538: with N exchanged a soft NOTIFICATION keeps the paths, Hard Reset flushes them', () => {
    const soft = helper();
    const a = peer(2, 65002);
    soft.h.sessionDown(a.address, a, withGr({ n: true }), {
      reason: 'hold timer',
      byNotification: true,
      notification: {
        type: 'notification',
        code: ErrorCode.HOLD_TIMER_EXPIRED,
        subcode: 0,
        data: new Uint8Array(0),
      },
      notificationGr: true,
    });
    expect(soft.calls[0]).toBe('keep');
    const hard = helper();
    hard.h.sessionDown(a.address, a, withGr({ n: true }), {
      reason: 'hard reset',
      byNotification: true,
      notification: cease(CeaseSubcode.HARD_RESET),
      notificationGr: true,
    });
    expect(hard.calls).toEqual(['flush']);
    expect(hard.announced[0]).toMatchObject({ phase: 'skip', why: expect.stringMatching(/Hard Reset/) });
    // Without N any NOTIFICATION ends graceful restart (RFC 4724 §4.2).
    const plain = helper();
    plain.h.sessionDown(a.address, a, withGr(), {
      reason: 'reset',
      byNotification: true,
      notification: cease(CeaseSubcode.ADMINISTRATIVE_RESET),
      notificationGr: false,
    });
    expect(plain.calls).toEqual(['flush']);
  });

  it('a peer back without the F bit loses its stale paths at once', () => {
    const { calls, h } = helper();
    const a = peer(2, 65002);
    h.sessionDown(a.address, a, withGr(), { reason: 'tcp', byNotification: false, notificationGr: false });
    h.sessionUp(a.address, withGr({ forwarding: false }));
    expect(calls.at(-1)).toBe('purge4');
    expect(h.active).toBe(0);
  });
});

describe('RFC 8538 Hard Reset encapsulation', () => {
  it('wraps the Cease subcodes that end a session for good, keeps the others', () => {
    const n = withHardReset({
      ...cease(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN),
      data: Uint8Array.of(3, 0x62, 0x79, 0x65),
    });
    expect(n.subcode).toBe(CeaseSubcode.HARD_RESET);
    expect([...n.data]).toEqual([6, 2, 3, 0x62, 0x79, 0x65]);
    expect(withHardReset(cease(CeaseSubcode.OTHER_CONFIGURATION_CHANGE)).subcode).toBe(
      CeaseSubcode.OTHER_CONFIGURATION_CHANGE,
    );
    const hold = {
      type: 'notification',
      code: ErrorCode.HOLD_TIMER_EXPIRED,
      subcode: 0,
      data: new Uint8Array(0),
    } as const;
    expect(withHardReset(hold)).toBe(hold);
  });
});

describe('restarting speaker: selection deferral (RFC 4724 §4.1)', () => {
  function deferral(neighbors: string[]) {
    const clock = new ManualClock();
    const released: string[] = [];
    const r = new RestartingSpeaker({
      clock,
      log: silent,
      deferralTime: 30,
      release: (why) => released.push(why),
    });
    r.begin(neighbors);
    return { clock, r, released };
  }

  it('ends when every GR neighbor sent End-of-RIB; non-GR and restarting neighbors are not waited for', () => {
    const { clock, r, released } = deferral(['a', 'b', 'c']);
    r.established('b', params(65003)); // no GR capability
    r.established('c', withGr({ restarting: true })); // R bit
    r.established('a', withGr());
    expect(r.view().waitingFor).toEqual({ a: ['ipv4-unicast'] });
    clock.advance(1234);
    r.endOfRib('a', 4);
    expect(released).toEqual(['End-of-RIB from every GR neighbor']);
    expect(r.view()).toMatchObject({
      deferring: false,
      restarted: true,
      endOfRib: { a: 1234 },
      ended: { ms: 1234 },
    });
  });

  it('ends on the selection-deferral timer when a neighbor never sends End-of-RIB', () => {
    const { clock, r, released } = deferral(['a', 'b']);
    r.established('a', withGr());
    r.endOfRib('a', 4);
    clock.advance(29_999);
    expect(released).toEqual([]);
    expect(r.view().waitingFor).toEqual({ b: ['(session not up)'] });
    clock.advance(1);
    expect(released).toEqual(['selection-deferral timer (30 s) expired']);
    r.endOfRib('b', 4);
    expect(released).toHaveLength(1);
  });
});

describe('end of the deferral: the routing engine', () => {
  it('settle() decides every dirty destination at once, so the FIB sees whole routes', () => {
    const e = new RoutingEngine({ local: LOCAL, decision: DECISION, flushChunk: 2 });
    for (let i = 0; i < 7; i++) {
      const k = keyFromText(`10.9.${i}.0/24`)!;
      e.originate(k.family, k.key, { origin: 0, asPath: [] });
    }
    expect(e.rib.dirtyCount).toBe(7);
    e.settle();
    expect(e.rib.dirtyCount).toBe(0);
    expect([...e.rib.tables[4].values()].every((d) => d.best)).toBe(true);
  });

  it('deferExport holds initial tables (and End-of-RIB) until releaseExport', async () => {
    const e = new RoutingEngine({ local: LOCAL, decision: DECISION });
    e.deferExport();
    const sent: number[] = [];
    e.peerUp(
      peer(2, 65002),
      params(65002),
      sender((m) => sent.push(m.length)),
      PLAIN,
    );
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]);
    expect(e.exportDeferred).toBe(true);
    e.releaseExport();
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    expect(sent.length).toBeGreaterThan(0);
    expect(e.exportDeferred).toBe(false);
  });
});
