/** The pure parts of the FRR-style views: vtysh words, clear words, Adj-RIB, FIB and FRR summary JSON. */
import { describe, expect, it } from 'vitest';
import type { AdjRibView, FibSummary, NeighborView, RibSummary } from '../../../src/api/service.js';
import { parseClearWords } from '../../../src/cli/commands/clear.js';
import { parseFrrWords } from '../../../src/cli/commands/frr-words.js';
import { formatAdjRib } from '../../../src/cli/format/adj-rib.js';
import { formatFib } from '../../../src/cli/format/fib.js';
import { frrSummaryJson } from '../../../src/cli/format/frr-summary.js';
import { newCounters } from '../../../src/session/counters.js';

describe("FRR's show words", () => {
  it('show bgp ...', () => {
    expect(parseFrrWords([], false)).toEqual({ kind: 'routes', longer: false, json: false });
    expect(parseFrrWords(['summary', 'json'], false)).toEqual({ kind: 'summary', json: true });
    expect(parseFrrWords(['ipv6', 'unicast', 'summary'], false)).toEqual({
      kind: 'summary',
      family: 6,
      json: false,
    });
    expect(parseFrrWords(['ipv4'], false)).toEqual({ kind: 'routes', family: 4, longer: false, json: false });
    expect(parseFrrWords(['neighbors'], false)).toEqual({ kind: 'neighbors', json: false });
    expect(
      parseFrrWords(['ipv4', 'unicast', 'neighbors', '10.0.0.1', 'advertised-routes', 'json'], false),
    ).toEqual({
      kind: 'neighbors',
      address: '10.0.0.1',
      view: 'advertised-routes',
      json: true,
    });
    expect(parseFrrWords(['10.1.0.0/16', 'longer-prefixes'], false)).toEqual({
      kind: 'routes',
      prefix: '10.1.0.0/16',
      longer: true,
      json: false,
    });
  });

  it('show ip bgp ... is IPv4 unicast', () => {
    expect(parseFrrWords(['10.1.1.1'], true)).toEqual({
      kind: 'routes',
      family: 4,
      prefix: '10.1.1.1',
      longer: false,
      json: false,
    });
    expect(parseFrrWords(['summary'], true)).toEqual({ kind: 'summary', family: 4, json: false });
  });

  it('says what it does not understand', () => {
    expect(parseFrrWords(['ipv4', 'multicast'], false)).toEqual({
      error: 'only unicast is supported (not multicast)',
    });
    expect(parseFrrWords(['fd00:1::/48'], true)).toEqual({
      error: "'fd00:1::/48' is IPv6: use show bgp ipv6 unicast fd00:1::/48",
    });
    expect(parseFrrWords(['ipv6', '10.1.0.0/16'], false)).toEqual({
      error: "'10.1.0.0/16' is IPv4: use show bgp ipv4 unicast 10.1.0.0/16",
    });
    expect(parseFrrWords(['neighbors', '10.0.0.1', 'routes'], false)).toEqual({
      error: "'routes': expected advertised-routes or received-routes",
    });
    expect(parseFrrWords(['summary', 'extra'], false)).toEqual({ error: "unexpected 'extra'" });
    expect(parseFrrWords(['10.1.0.0/16', 'x'], false)).toEqual({ error: "unexpected 'x'" });
  });

  it('clear bgp ADDR [soft] [in|out]', () => {
    expect([[], ['soft'], ['soft', 'in'], ['SOFT', 'out'], ['in'], ['out']].map(parseClearWords)).toEqual([
      'reset',
      'both',
      'in',
      'out',
      'in',
      'out',
    ]);
    expect(parseClearWords(['hard'])).toEqual({
      error: "'hard': expected soft, soft in, soft out, in or out",
    });
    expect(parseClearWords(['soft', 'in', 'out'])).toHaveProperty('error');
  });
});

const sequence = (...asns: number[]) => [{ type: 'sequence', asns }];

describe('show neighbor X advertised-routes | received-routes', () => {
  it("FRR's columns, one line per path, the total", () => {
    const v: AdjRibView = {
      neighbor: '10.0.0.2',
      direction: 'advertised',
      state: 'Established',
      routes: [
        {
          family: 4,
          prefix: '10.1.0.0/24',
          pathId: 0,
          nextHop: '10.0.0.1',
          attributes: { origin: 'igp', asPath: sequence(65000, 65001), med: 5 },
        },
        {
          family: 4,
          prefix: '10.2.0.0/24',
          pathId: 0,
          nextHop: '10.0.0.1',
          attributes: { origin: 'incomplete', asPath: sequence(65000), communities: ['65000:1'] },
        },
      ],
    };
    expect(formatAdjRib(v)).toBe(`Routes advertised to 10.0.0.2 (Adj-RIB-Out)
Origin codes: i - IGP, e - EGP, ? - incomplete

Network     Next Hop Metric LocPrf Path          Communities
10.1.0.0/24 10.0.0.1      5        65000 65001 i
10.2.0.0/24 10.0.0.1               65000 ?       65000:1

Total number of prefixes 2
`);
  });

  it('ADD-PATH paths with their ids; IPv6 link-local next hops beside the global one; an empty view says why', () => {
    const v: AdjRibView = {
      neighbor: 'fd00::2',
      direction: 'received',
      state: 'Established',
      routes: [
        {
          family: 6,
          prefix: 'fd01::/64',
          pathId: 1,
          nextHop: 'fd00::2',
          linkLocalNextHop: 'fe80::2',
          attributes: { origin: 'igp', asPath: sequence(65002), localPref: 100 },
        },
        {
          family: 6,
          prefix: 'fd01::/64',
          pathId: 2,
          nextHop: 'fd00::3',
          attributes: { origin: 'igp', asPath: sequence(65002, 65003) },
        },
      ],
    };
    expect(
      formatAdjRib(v),
    ).toBe(`Routes received from fd00::2 before import policy (Adj-RIB-In, soft-reconfiguration-inbound)
Origin codes: i - IGP, e - EGP, ? - incomplete

Network   PathId Next Hop          Metric LocPrf Path          Communities
fd01::/64      1 fd00::2 (fe80::2)           100 65002 i
               2 fd00::3                         65002 65003 i

Total number of prefixes 1, 2 paths
`);
    expect(formatAdjRib({ ...v, state: 'Active', routes: [] })).toBe(
      'Routes received from fd00::2 before import policy (Adj-RIB-In, soft-reconfiguration-inbound): none (session Active).\n',
    );
  });
});

describe('show fib', () => {
  const summary: FibSummary = {
    enabled: true,
    available: true,
    state: {
      desired: 3,
      installed: 3,
      dirty: 0,
      failed: 1,
      operations: {
        add: { ok: 3, refused: 1 },
        replace: { ok: 0, refused: 0 },
        delete: { ok: 0, refused: 0 },
      },
      method: 'netlink',
    },
  };
  it('ip route lines: one next hop inline, ECMP on nexthop lines, the state and the kernel error', () => {
    expect(
      formatFib(summary, [
        {
          family: 4,
          prefix: '10.1.0.0/24',
          nextHops: [{ via: '10.0.0.2', dev: 'eth0' }],
          state: 'installed',
        },
        {
          family: 4,
          prefix: '10.2.0.0/24',
          nextHops: [
            { via: '10.0.0.2', dev: 'eth0' },
            { via: '10.0.1.2', dev: 'eth1' },
          ],
          state: 'waiting',
        },
        {
          family: 4,
          prefix: '10.3.0.0/24',
          nextHops: [{ via: '10.0.0.9' }],
          state: 'refused',
          error: 'Nexthop has invalid gateway',
        },
        { family: 6, prefix: 'fd01::/64', nextHops: [{ via: 'fe80::2', dev: 'eth0' }], state: 'leftover' },
      ]),
    ).toBe(`FIB via rtnetlink: 3 routes wanted: 1 installed, 1 waiting, 1 refused by the kernel; 1 left by an earlier run
10.1.0.0/24 via 10.0.0.2 dev eth0  [installed]
10.2.0.0/24  [waiting]
\tnexthop via 10.0.0.2 dev eth0
\tnexthop via 10.0.1.2 dev eth1
10.3.0.0/24 via 10.0.0.9  [refused: Nexthop has invalid gateway]
fd01::/64 via fe80::2 dev eth0  [leftover]
`);
  });
  it('without a FIB', () => {
    expect(formatFib({ enabled: false, available: false }, undefined)).toBe(
      'FIB disabled in the configuration; no FIB in this daemon (fib: false)\n',
    );
  });
});

describe('show summary --json --frr', () => {
  /** A peer that never came up, as FRR 8.4's `show bgp summary json` printed it (captured in a lab). */
  const FRR_ACTIVE_PEER = {
    remoteAs: 65009,
    localAs: 65002,
    version: 4,
    msgRcvd: 0,
    msgSent: 0,
    tableVersion: 0,
    outq: 0,
    inq: 0,
    peerUptime: 'never',
    peerUptimeMsec: 0,
    pfxRcd: 0,
    pfxSnt: 0,
    state: 'Active',
    peerState: 'OK',
    connectionsEstablished: 0,
    connectionsDropped: 0,
    idType: 'ipv4',
  };
  const view = (over: Partial<NeighborView>): NeighborView => ({
    address: '10.99.7.9',
    dynamic: false,
    state: 'Active',
    enabled: true,
    peerAs: 65009,
    prefixesReceived: 0,
    prefixesSent: 0,
    inQueue: 0,
    outQueue: 0,
    counters: newCounters(),
    localAs: 65002,
    families: ['ipv4-unicast'],
    upDownSeconds: null,
    prefixesByFamily: {
      'ipv4-unicast': { received: 0, accepted: 0, advertised: 0 },
      'ipv6-unicast': { received: 0, accepted: 0, advertised: 0 },
    },
    ...over,
  });
  const status = {
    routerId: '10.99.7.2',
    asn: 65002,
    neighbors: 2,
    established: 1,
    uptimeSeconds: 50,
    multipathRelax: false,
  };
  const rib: RibSummary = {
    families: [
      { family: 'ipv4-unicast', prefixes: 3, paths: 3, best: 3, multipath: 0 },
      { family: 'ipv6-unicast', prefixes: 0, paths: 0, best: 0, multipath: 0 },
    ],
    attributeSets: 1,
    exportedAttributeSets: 1,
    updateGroups: [],
    sharedUpdates: 0,
    memory: { rss: 0, heapUsed: 0 },
  };

  it("a peer that never came up is exactly FRR's", () => {
    const out = frrSummaryJson(status, [view({})], rib) as Record<string, { peers: Record<string, unknown> }>;
    expect(out.ipv4Unicast.peers['10.99.7.9']).toEqual(FRR_ACTIVE_PEER);
  });

  it('an Established peer: uptime, epoch, accepted and advertised prefixes, one object per family with peers', () => {
    const now = Date.UTC(2026, 11, 6, 12, 0, 0);
    const up = view({
      address: '10.99.7.1',
      state: 'Established',
      peerAs: 65001,
      upDownSeconds: 3,
      description: 'leafy',
      counters: {
        ...newCounters(),
        messagesIn: { open: 1, update: 2, notification: 0, keepalive: 1, 'route-refresh': 0 },
        messagesOut: { open: 1, update: 3, notification: 0, keepalive: 1, 'route-refresh': 0 },
        establishedTransitions: 2,
      },
      prefixesByFamily: {
        'ipv4-unicast': { received: 4, accepted: 1, advertised: 2 },
        'ipv6-unicast': { received: 0, accepted: 0, advertised: 0 },
      },
    });
    const out = frrSummaryJson(status, [up, view({ enabled: false, state: 'Idle' })], rib, now) as Record<
      string,
      Record<string, unknown> & { peers: Record<string, Record<string, unknown>> }
    >;
    expect(Object.keys(out)).toEqual(['ipv4Unicast']);
    const { peers, ...top } = out.ipv4Unicast;
    expect(top).toEqual({
      routerId: '10.99.7.2',
      as: 65002,
      vrfId: 0,
      vrfName: 'default',
      tableVersion: 0,
      ribCount: 3,
      ribMemory: 0,
      peerCount: 2,
      peerMemory: 0,
      failedPeers: 1,
      displayedPeers: 2,
      totalPeers: 2,
      dynamicPeers: 0,
      bestPath: { multiPathRelax: 'false' },
    });
    expect(peers['10.99.7.1']).toEqual({
      remoteAs: 65001,
      localAs: 65002,
      version: 4,
      msgRcvd: 4,
      msgSent: 5,
      tableVersion: 0,
      outq: 0,
      inq: 0,
      peerUptime: '00:00:03',
      peerUptimeMsec: 3000,
      peerUptimeEstablishedEpoch: now / 1000 - 3,
      pfxRcd: 1,
      pfxSnt: 2,
      state: 'Established',
      peerState: 'OK',
      connectionsEstablished: 2,
      connectionsDropped: 1,
      desc: 'leafy',
      idType: 'ipv4',
    });
    expect(peers['10.99.7.9']).toMatchObject({ state: 'Idle', peerState: 'Admin' });
  });
});
