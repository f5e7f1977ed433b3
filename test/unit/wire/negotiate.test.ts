/**
 * negotiate(local, remote): families (RFC 4760), ADD-PATH per direction (RFC 7911 §4), 4-octet AS
 * (RFC 6793), extended messages (RFC 8654), hold time (RFC 4271 §4.2), GR/LLGR, route refresh, RFC 8950.
 */
import { describe, expect, it } from 'vitest';
import {
  AddPathMode,
  type Capability,
  family,
  IPV4_UNICAST,
  IPV6_UNICAST,
  makeOpen,
  negotiate,
  type OpenMessage,
} from '../../../src/wire/index.js';

const IPV4_MULTICAST = family(1, 2);
const open = (capabilities: Capability[], p: { asn?: number; holdTime?: number } = {}): OpenMessage =>
  makeOpen({ asn: p.asn ?? 65001, holdTime: p.holdTime ?? 90, routerId: '10.0.0.1', capabilities });
const mp = (f: number): Capability => ({ kind: 'multiprotocol', family: f });
const addPath = (mode: number, f = IPV4_UNICAST): Capability => ({
  kind: 'add-path',
  families: [{ family: f, mode }],
});

/** BIRD 1.6 with Calico's template: ADD-PATH send and receive. */
const BIRD = open([
  mp(IPV4_UNICAST),
  { kind: 'route-refresh' },
  { kind: 'four-octet-as', asn: 64512 },
  addPath(AddPathMode.BOTH),
]);
/** FRR 8.4 default: ADD-PATH receive only, extended message, old route refresh too. */
const FRR = open([
  { kind: 'four-octet-as', asn: 65002 },
  { kind: 'extended-message' },
  addPath(AddPathMode.RECEIVE),
  { kind: 'route-refresh' },
  { kind: 'route-refresh-old' },
  mp(IPV4_UNICAST),
]);

describe('negotiate: families (RFC 4760 §8)', () => {
  it('intersection of multiprotocol capabilities, in local order', () => {
    const p = negotiate(
      open([mp(IPV6_UNICAST), mp(IPV4_UNICAST), mp(IPV4_MULTICAST)]),
      open([mp(IPV4_UNICAST), mp(IPV6_UNICAST)]),
    );
    expect(p.families).toEqual([IPV6_UNICAST, IPV4_UNICAST]);
  });

  it('no multiprotocol capability on one side means IPv4 unicast only', () => {
    expect(negotiate(open([]), open([mp(IPV6_UNICAST), mp(IPV4_UNICAST)])).families).toEqual([IPV4_UNICAST]);
    expect(negotiate(open([mp(IPV6_UNICAST)]), open([])).families).toEqual([]);
    expect(negotiate(open([]), open([])).families).toEqual([IPV4_UNICAST]);
  });
});

describe('negotiate: ADD-PATH per family and direction (RFC 7911 §4)', () => {
  it('BIRD (send+receive) facing FRR (receive): BIRD sends path ids, receives none', () => {
    const p = negotiate(BIRD, FRR);
    expect([...p.addPathTx]).toEqual([IPV4_UNICAST]);
    expect([...p.addPathRx]).toEqual([]);
  });

  it('FRR (receive) facing BIRD (send+receive): FRR receives path ids, sends none', () => {
    const p = negotiate(FRR, BIRD);
    expect([...p.addPathRx]).toEqual([IPV4_UNICAST]);
    expect([...p.addPathTx]).toEqual([]);
  });

  it('both send+receive: both directions; one side silent: neither', () => {
    const both = negotiate(BIRD, BIRD);
    expect([...both.addPathRx, ...both.addPathTx]).toEqual([IPV4_UNICAST, IPV4_UNICAST]);
    const none = negotiate(BIRD, open([mp(IPV4_UNICAST)]));
    expect([...none.addPathRx, ...none.addPathTx]).toEqual([]);
  });

  it('send facing send gives nothing; per family independently', () => {
    const local = open([
      mp(IPV4_UNICAST),
      mp(IPV6_UNICAST),
      { kind: 'add-path', families: [{ family: IPV4_UNICAST, mode: AddPathMode.SEND }] },
      { kind: 'add-path', families: [{ family: IPV6_UNICAST, mode: AddPathMode.RECEIVE }] },
    ]);
    const remote = open([
      mp(IPV4_UNICAST),
      mp(IPV6_UNICAST),
      {
        kind: 'add-path',
        families: [
          { family: IPV4_UNICAST, mode: AddPathMode.SEND },
          { family: IPV6_UNICAST, mode: AddPathMode.SEND },
        ],
      },
    ]);
    const p = negotiate(local, remote);
    expect([...p.addPathTx]).toEqual([]);
    expect([...p.addPathRx]).toEqual([IPV6_UNICAST]);
  });

  it('only for negotiated families', () => {
    const p = negotiate(
      open([mp(IPV4_UNICAST), addPath(AddPathMode.BOTH, IPV6_UNICAST)]),
      open([mp(IPV4_UNICAST), mp(IPV6_UNICAST), addPath(AddPathMode.BOTH, IPV6_UNICAST)]),
    );
    expect([...p.addPathRx, ...p.addPathTx]).toEqual([]);
  });
});

describe('negotiate: AS numbers, message size, hold time', () => {
  it('4-octet AS only when both sides announce it (RFC 6793 §4)', () => {
    expect(negotiate(BIRD, FRR).fourOctetAs).toBe(true);
    expect(negotiate(BIRD, open([])).fourOctetAs).toBe(false);
    expect(negotiate(open([]), FRR).fourOctetAs).toBe(false);
  });

  it('peer AS from the 4-octet capability, else My AS', () => {
    const big = makeOpen({
      asn: 4200000000,
      holdTime: 90,
      routerId: '10.0.0.9',
      capabilities: [{ kind: 'four-octet-as', asn: 4200000000 }],
    });
    expect(big.myAs).toBe(23456);
    const p = negotiate(open([]), big);
    expect([p.localAsn, p.peerAsn, p.peerRouterId]).toEqual([65001, 4200000000, '10.0.0.9']);
  });

  it('extended message on both sides raises the limit to 65535 (RFC 8654 §4)', () => {
    const ext: Capability = { kind: 'extended-message' };
    expect(negotiate(open([ext]), FRR)).toMatchObject({ extendedMessage: true, maxMessageLength: 65535 });
    expect(negotiate(BIRD, FRR)).toMatchObject({ extendedMessage: false, maxMessageLength: 4096 });
    expect(negotiate(FRR, BIRD)).toMatchObject({ extendedMessage: false, maxMessageLength: 4096 });
  });

  it.each([
    [90, 240, 90],
    [240, 90, 90],
    [0, 90, 0],
    [90, 0, 0],
    [3, 3, 3],
  ])('hold time: local %i, remote %i → %i (the smaller, RFC 4271 §4.2)', (l, r, want) => {
    expect(negotiate(open([], { holdTime: l }), open([], { holdTime: r })).holdTime).toBe(want);
  });
});

describe('negotiate: route refresh, GR, LLGR, extended next hop', () => {
  it('route refresh with the new code, the old code 128, or a mix', () => {
    const rr: Capability = { kind: 'route-refresh' };
    const old: Capability = { kind: 'route-refresh-old' };
    expect(negotiate(open([rr]), open([old])).routeRefresh).toBe(true);
    expect(negotiate(open([old]), open([rr])).routeRefresh).toBe(true);
    expect(negotiate(open([old]), open([old])).routeRefresh).toBe(true);
    expect(negotiate(open([rr]), open([])).routeRefresh).toBe(false);
    expect(negotiate(open([]), open([rr, old])).routeRefresh).toBe(false);
  });

  it('enhanced route refresh only when both announce it (RFC 7313 §4)', () => {
    const err: Capability = { kind: 'enhanced-route-refresh' };
    expect(negotiate(open([err]), open([err])).enhancedRouteRefresh).toBe(true);
    expect(negotiate(open([err]), open([])).enhancedRouteRefresh).toBe(false);
  });

  it("graceful restart: the peer's restart time, flags and per-family forwarding bit (RFC 4724 §3)", () => {
    const gr: Capability = {
      kind: 'graceful-restart',
      restarting: true,
      notification: true,
      restartTime: 120,
      families: [
        { family: IPV4_UNICAST, forwarding: true },
        { family: IPV6_UNICAST, forwarding: false },
      ],
    };
    const p = negotiate(open([]), open([gr]));
    expect(p.localGracefulRestart).toBe(false);
    expect(p.peerGracefulRestart).toEqual({
      restartTime: 120,
      restarting: true,
      notification: true,
      families: new Map([
        [IPV4_UNICAST, true],
        [IPV6_UNICAST, false],
      ]),
    });
    const q = negotiate(open([gr]), open([]));
    expect([q.localGracefulRestart, q.peerGracefulRestart]).toEqual([true, null]);
  });

  it("long-lived GR: the peer's stale time per family (RFC 9494)", () => {
    const llgr: Capability = {
      kind: 'long-lived-graceful-restart',
      families: [
        { family: IPV6_UNICAST, forwarding: true, staleTime: 3600 },
        { family: IPV4_UNICAST, forwarding: false, staleTime: 0xffffff },
      ],
    };
    expect(negotiate(open([]), open([llgr])).peerLongLivedGr).toEqual(
      new Map([
        [IPV6_UNICAST, 3600],
        [IPV4_UNICAST, 0xffffff],
      ]),
    );
    expect(negotiate(open([llgr]), open([])).peerLongLivedGr.size).toBe(0);
  });

  it('extended next hop: the entries both sides announce (RFC 8950 §4)', () => {
    const local: Capability = {
      kind: 'extended-next-hop',
      entries: [
        { family: IPV4_UNICAST, nextHopAfi: 2 },
        { family: IPV4_MULTICAST, nextHopAfi: 2 },
      ],
    };
    const remote: Capability = {
      kind: 'extended-next-hop',
      entries: [
        { family: IPV4_MULTICAST, nextHopAfi: 1 },
        { family: IPV4_UNICAST, nextHopAfi: 2 },
      ],
    };
    expect(negotiate(open([local]), open([remote])).extendedNextHop).toEqual([
      { family: IPV4_UNICAST, nextHopAfi: 2 },
    ]);
    expect(negotiate(open([local]), open([])).extendedNextHop).toEqual([]);
  });

  it('hostname from the FQDN capability; unknown capabilities are ignored', () => {
    const p = negotiate(
      open([mp(IPV4_UNICAST)]),
      open([
        { kind: 'unknown', code: 239, value: Uint8Array.of(1, 2) },
        { kind: 'fqdn', hostname: 'leaf1', domain: 'lab' },
        mp(IPV4_UNICAST),
      ]),
    );
    expect(p.peerHostname).toBe('leaf1');
    expect(p.families).toEqual([IPV4_UNICAST]);
    expect(negotiate(open([]), open([])).peerHostname).toBeUndefined();
  });
});
