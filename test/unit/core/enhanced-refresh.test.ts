/** RFC 7313 §4 receiver: BoRR marks stale, the refresh replaces, EoRR or the stale timer purges. */
import { describe, expect, it } from 'vitest';
import { EnhancedRefreshReceiver, type RefreshOutcome } from '../../../src/core/enhanced-refresh.js';
import { RoutingEngine } from '../../../src/core/routing.js';
import { NlriBuilder } from '../../../src/rib/nlri-builder.js';
import { keyFromText, keyToText } from '../../../src/rib/prefix-key.js';
import type { PeerInfo } from '../../../src/rib/types.js';
import { ManualClock } from '../../../src/util/clock.js';
import {
  Afi,
  AsPathSegmentType,
  decodeMessage,
  IPV4_UNICAST,
  Origin,
  packAnnouncements,
  type UpdateMessage,
} from '../../../src/wire/index.js';
import { DECISION, LOCAL, PLAIN, params, peer, sender, turn } from './fixtures.js';

function announce(info: PeerInfo, prefixes: string[]): UpdateMessage[] {
  const b = new NlriBuilder(Afi.IPV4, false);
  for (const p of prefixes) b.add(keyFromText(p)!.key);
  const ctx = params(info.asn);
  const attrs = {
    origin: Origin.IGP,
    asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [info.asn] }],
    nextHop: '192.0.2.77',
  };
  return packAnnouncements(attrs, b.build(), IPV4_UNICAST, ctx, 4096).messages.map((m) => {
    const r = decodeMessage(m, ctx, 4096);
    if (!r.ok || r.message.type !== 'update') throw new Error('bad UPDATE');
    return r.message;
  });
}

const silent = { info() {}, warn() {}, debug() {} };

async function setup() {
  const clock = new ManualClock();
  const e = new RoutingEngine({ local: LOCAL, decision: DECISION });
  const a = peer(2, 65002);
  const b = peer(3, 65003);
  e.peerUp(
    a,
    params(65002),
    sender(() => {}),
    PLAIN,
  );
  e.peerUp(
    b,
    params(65003),
    sender(() => {}),
    PLAIN,
  );
  await turn();
  const outcomes: RefreshOutcome[] = [];
  const rr = new EnhancedRefreshReceiver({
    clock,
    rib: e,
    log: silent,
    staleTime: () => 30,
    onOutcome: (o) => outcomes.push(o),
  });
  const send = (from: PeerInfo, prefixes: string[]) => {
    for (const u of announce(from, prefixes)) e.receiveUpdate(from, u);
    e.flush();
  };
  const pathsOf = (from: PeerInfo) =>
    [...e.rib.tables[4].values()]
      .flatMap((d) =>
        d.paths.filter((p) => p.peer === from).map((p) => `${keyToText(4, d.key)}${p.stale ? ' stale' : ''}`),
      )
      .sort();
  return { clock, e, a, b, rr, outcomes, send, pathsOf };
}

describe('enhanced route refresh receiver (RFC 7313 §4)', () => {
  it('marks the family stale at BoRR, keeps what is re-sent and purges the rest at EoRR', async () => {
    const { e, a, b, rr, outcomes, send, pathsOf } = await setup();
    send(a, ['10.1.0.0/24', '10.1.1.0/24', '10.1.2.0/24']);
    send(b, ['10.2.0.0/24']);
    rr.begin(a, 4);
    e.flush();
    expect(pathsOf(a).every((p) => p.endsWith(' stale'))).toBe(true);
    expect(pathsOf(a)).toHaveLength(3);
    // Stale paths stay in use until the refresh ends: every prefix still has a best path.
    expect([...e.rib.tables[4].values()].filter((d) => d.best)).toHaveLength(4);
    send(a, ['10.1.0.0/24', '10.1.2.0/24']);
    expect(pathsOf(a).filter((p) => p.endsWith(' stale'))).toHaveLength(1);
    rr.end(a, 4);
    e.flush();
    expect(pathsOf(a)).toHaveLength(2);
    expect(pathsOf(a).some((p) => p.endsWith(' stale'))).toBe(false);
    expect(e.rib.get(4, keyFromText('10.1.1.0/24')!.key)?.best ?? null).toBeNull();
    // The other peer's paths were never touched.
    expect(pathsOf(b)).toHaveLength(1);
    expect(outcomes.map((o) => [o.phase, o.paths])).toEqual([
      ['begin', 3],
      ['end', 1],
    ]);
    expect(rr.totals).toMatchObject({ begun: 1, ended: 1, expired: 0, purged: 1 });
  });

  it('purges on the stale timer when EoRR never comes, and not before', async () => {
    const { clock, e, a, rr, outcomes, send, pathsOf } = await setup();
    send(a, ['10.1.0.0/24', '10.1.1.0/24']);
    rr.begin(a, 4);
    send(a, ['10.1.0.0/24']);
    clock.advance(29_999);
    expect(pathsOf(a)).toHaveLength(2);
    clock.advance(1);
    e.flush();
    expect(pathsOf(a)).toHaveLength(1);
    expect(outcomes.at(-1)).toMatchObject({ phase: 'expired', paths: 1 });
    expect(rr.inProgress(a, 4)).toBe(false);
    // A late EoRR changes nothing.
    rr.end(a, 4);
    expect(outcomes).toHaveLength(2);
  });

  it('a second BoRR restarts the refresh and its timer; peer down forgets it', async () => {
    const { clock, a, rr, send, pathsOf } = await setup();
    send(a, ['10.1.0.0/24', '10.1.1.0/24']);
    rr.begin(a, 4);
    clock.advance(20_000);
    rr.begin(a, 4);
    clock.advance(20_000);
    expect(pathsOf(a)).toHaveLength(2);
    expect(clock.timers).toBe(1);
    rr.peerDown(a);
    expect(clock.timers).toBe(0);
    expect(rr.inProgress(a, 4)).toBe(false);
  });

  it('with soft-reconfiguration-inbound the purged path leaves the kept Adj-RIB-In too', async () => {
    const clock = new ManualClock();
    const e = new RoutingEngine({ local: LOCAL, decision: DECISION });
    const a = peer(2, 65002);
    e.peerUp(
      a,
      params(65002),
      sender(() => {}),
      { ...PLAIN, softReconfigurationInbound: true },
    );
    await turn();
    const rr = new EnhancedRefreshReceiver({ clock, rib: e, log: silent, staleTime: () => 30 });
    for (const u of announce(a, ['10.1.0.0/24', '10.1.1.0/24'])) e.receiveUpdate(a, u);
    e.flush();
    expect(e.adjRibIn(a, 4)).toHaveLength(2);
    rr.begin(a, 4);
    for (const u of announce(a, ['10.1.0.0/24'])) e.receiveUpdate(a, u);
    rr.end(a, 4);
    e.settle(); // the purge walks the table a chunk per turn
    expect(e.adjRibIn(a, 4)?.map((x) => keyToText(4, x.key))).toEqual(['10.1.0.0/24']);
  });
});
