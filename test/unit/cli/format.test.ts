/** Golden outputs of the CLI's pure formatters, from hand-made API snapshots. */
import { describe, expect, it } from 'vitest';
import type { NeighborDetail, NeighborView, RibSummary } from '../../../src/api/service.js';
import { apiBase } from '../../../src/cli/api-client.js';
import { capabilityRows, formatNeighbor } from '../../../src/cli/format/neighbor.js';
import { formatReload, formatRibSummary } from '../../../src/cli/format/rib.js';
import { asPathText, formatRoutes } from '../../../src/cli/format/routes.js';
import { formatSummary } from '../../../src/cli/format/summary.js';
import { table, upDown } from '../../../src/cli/format/text.js';
import type { RouteSnapshot } from '../../../src/core/snapshot.js';
import { newCounters } from '../../../src/session/counters.js';

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);
const status = {
  routerId: '10.0.0.1',
  asn: 65000,
  neighbors: 3,
  established: 1,
  uptimeSeconds: 100,
  multipathRelax: false,
};

function view(over: Partial<NeighborView> & { address: string }): NeighborView {
  return {
    dynamic: false,
    state: 'Idle',
    enabled: true,
    peerAs: 65001,
    prefixesReceived: 0,
    prefixesSent: 0,
    inQueue: 0,
    outQueue: 0,
    counters: newCounters(),
    localAs: 65000,
    families: ['ipv4-unicast'],
    upDownSeconds: null,
    prefixesByFamily: {
      'ipv4-unicast': { received: 0, accepted: 0, advertised: 0 },
      'ipv6-unicast': { received: 0, accepted: 0, advertised: 0 },
    },
    ...over,
  };
}

const up = view({
  address: '10.0.1.1',
  state: 'Established',
  description: 'leaf1',
  prefixesReceived: 12,
  prefixesSent: 3,
  upDownSeconds: 3725,
  counters: {
    ...newCounters(),
    messagesIn: { open: 1, update: 4, notification: 0, keepalive: 20, 'route-refresh': 0 },
    messagesOut: { open: 1, update: 2, notification: 0, keepalive: 21, 'route-refresh': 1 },
    establishedTransitions: 2,
    lastTransitionAt: AT,
  },
});

describe('text helpers', () => {
  it('Up/Down like FRR: never, hh:mm:ss, days, weeks', () => {
    expect([null, 0, 59, 3725, 86399, 90061, 8 * 86400 + 3 * 3600].map(upDown)).toEqual([
      'never',
      '00:00:00',
      '00:00:59',
      '01:02:05',
      '23:59:59',
      '1d01h01m',
      '01w1d03h',
    ]);
  });

  it('tables pad to the widest cell and trim trailing blanks', () => {
    expect(
      table(
        ['a', 'bb'],
        [
          ['xxx', '1'],
          ['y', ''],
        ],
        ['left', 'right'],
      ),
    ).toBe('a   bb\nxxx  1\ny');
  });

  it('--api accepts host:port, [v6]:port, a port or a URL', () => {
    expect(['10.0.0.1:50179', '::1:50179', '[::1]:1', '8080', 'http://h:1/'].map(apiBase)).toEqual([
      'http://10.0.0.1:50179',
      'http://[::1]:50179',
      'http://[::1]:1',
      'http://127.0.0.1:8080',
      'http://h:1',
    ]);
  });
});

describe('show summary', () => {
  it("prints FRR's columns, prefixes when Established, the state otherwise", () => {
    const out = formatSummary(status, [
      up,
      view({ address: '10.0.2.1', state: 'Active', peerAs: 65002, upDownSeconds: 61 }),
      view({ address: '10.1.1.23', dynamic: true, state: 'Idle', enabled: false, peerAs: 64512 }),
    ]);
    expect(out).toBe(
      [
        'BGP router identifier 10.0.0.1, local AS number 65000',
        '',
        'Neighbor   V    AS MsgRcvd MsgSent InQ OutQ  Up/Down State/PfxRcd PfxSnt Desc',
        '10.0.1.1   4 65001      25      25   0    0 01:02:05           12      3 leaf1',
        '10.0.2.1   4 65002       0       0   0    0 00:01:01       Active      0 N/A',
        '*10.1.1.23 4 64512       0       0   0    0    never Idle (Admin)      0 N/A',
        '',
        'Total number of neighbors 3, 1 established',
        '* - dynamic neighbor (listen range)',
        '',
      ].join('\n'),
    );
  });

  it('says so when there are no neighbors', () => {
    expect(formatSummary(status, [])).toBe(
      'BGP router identifier 10.0.0.1, local AS number 65000\nNo neighbors configured.\n',
    );
  });
});

describe('show routes', () => {
  const routes: RouteSnapshot[] = [
    {
      family: 4,
      prefix: '10.244.1.0/26',
      reason: 'router-id',
      paths: [
        {
          peer: '10.0.1.1',
          pathId: 0,
          best: true,
          multipath: true,
          stale: false,
          nextHop: '10.0.1.1',
          attributes: {
            origin: 'igp',
            asPath: [{ type: 'sequence', asns: [65001, 64512] }],
            communities: ['65001:7'],
          },
        },
        {
          peer: '10.0.2.1',
          pathId: 0,
          best: false,
          multipath: true,
          stale: true,
          nextHop: '10.0.2.1',
          attributes: { origin: 'incomplete', asPath: [{ type: 'sequence', asns: [65002, 64512] }], med: 5 },
        },
      ],
    },
    {
      family: 4,
      prefix: '192.0.2.0/24',
      reason: 'only path',
      paths: [
        {
          peer: 'local',
          pathId: 0,
          best: true,
          multipath: true,
          stale: false,
          attributes: { origin: 'igp', asPath: [], localPref: 200 },
        },
      ],
    },
  ];

  it('marks best (*>) and multipath (=), shows next hop, AS path with origin, communities and the reason', () => {
    expect(formatRoutes(routes)).toBe(
      [
        'Status codes: * valid, > best, = multipath, S stale; origin codes: i IGP, e EGP, ? incomplete',
        '',
        '    Network       Next Hop Metric LocPrf Path          Communities From     Best-path reason',
        ' *> 10.244.1.0/26 10.0.1.1               65001 64512 i 65001:7     10.0.1.1 router-id',
        'S*=               10.0.2.1      5        65002 64512 ?             10.0.2.1',
        ' *> 192.0.2.0/24  0.0.0.0            200 i                         local    only path',
        '',
        'Displayed 2 prefixes, 3 paths',
        '',
      ].join('\n'),
    );
    expect(formatRoutes([])).toBe('No routes.\n');
  });

  it('prints sets and confederation segments the FRR way', () => {
    expect(
      asPathText({
        origin: 'egp',
        asPath: [
          { type: 'confed-sequence', asns: [1, 2] },
          { type: 'sequence', asns: [65001] },
          { type: 'set', asns: [3, 4] },
        ],
      }),
    ).toBe('(1 2) 65001 {3,4} e');
  });
});

describe('show neighbor', () => {
  const detail: NeighborDetail = {
    ...up,
    remoteRouterId: '10.0.1.1',
    localAddress: '10.0.1.2',
    negotiated: {
      holdTime: 90,
      fourOctetAs: true,
      families: ['ipv4-unicast'],
      addPathRx: ['ipv4-unicast'],
      addPathTx: [],
      routeRefresh: true,
      enhancedRouteRefresh: false,
      extendedMessage: false,
      peerGracefulRestart: true,
    },
    counters: {
      ...up.counters,
      notificationsOut: { '6/4': 1 },
      lastError: {
        direction: 'sent',
        code: 6,
        subcode: 4,
        codeName: 'cease',
        subcodeName: 'administrative-reset',
        communication: 'maintenance',
        reason: 'cease/administrative-reset',
        at: AT,
      },
    },
    effective: { holdTime: 30, keepaliveTime: 10 },
    configured: {
      holdTime: 90,
      keepaliveTime: 30,
      connectRetryTime: 5,
      passive: false,
      port: 179,
      import: ['from-leaf'],
      export: [],
    },
    capabilities: {
      advertised: [
        { kind: 'multiprotocol', family: 'ipv4-unicast' },
        { kind: 'route-refresh' },
        { kind: 'four-octet-as', asn: 65000 },
        { kind: 'graceful-restart', restarting: false, notification: false, restartTime: 120, families: [] },
      ],
      received: [
        { kind: 'multiprotocol', family: 'ipv4-unicast' },
        { kind: 'route-refresh' },
        { kind: 'four-octet-as', asn: 65001 },
        { kind: 'add-path', families: [{ family: 'ipv4-unicast', mode: 2 }] },
        { kind: 'fqdn', hostname: 'leaf1', domain: '' },
      ],
    },
    endOfRib: { received: { 'ipv4-unicast': AT }, sent: true },
    prefixesByFamily: {
      'ipv4-unicast': { received: 12, accepted: 12, advertised: 3 },
      'ipv6-unicast': { received: 0, accepted: 0, advertised: 0 },
    },
  };

  it('prints state, timers, capabilities both ways, counters, the last error and EoR', () => {
    expect(formatNeighbor(detail)).toBe(
      `BGP neighbor is 10.0.1.1, remote AS 65001, local AS 65000, external link
 Description: leaf1
  BGP state = Established, up for 01:02:05
  Remote router ID 10.0.1.1
  Local address 10.0.1.2
  Hold time is 30 seconds, keepalive interval is 10 seconds (in use)
  Configured hold time is 90 seconds, keepalive interval is 30 seconds, connect retry 5 seconds
  Connection: connects to the peer and accepts its connections, port 179
  Policies: import [from-leaf], export []

  Capabilities:
    Capability                 Advertised                     Received
    multiprotocol ipv4-unicast yes                            yes
    route-refresh              yes                            yes
    four-octet-as              AS 65000                       AS 65001
    graceful-restart           restart time 120s, helper only -
    add-path ipv4-unicast      -                              send
    fqdn                       -                              leaf1
  Negotiated: families ipv4-unicast; four-octet AS, route refresh, peer graceful restart
  ADD-PATH: receive [ipv4-unicast], send []

  Graceful restart and End-of-RIB:
    Helper: no stale routes kept
    End-of-RIB sent: yes; received: ipv4-unicast 2026-01-02T03:04:05Z

  Message statistics:
                   Sent Rcvd
    Opens:            1    1
    Notifications:    0    0
    Updates:          2    4
    Keepalives:      21   20
    Route Refresh:    1    0
    Total:           25   25
  Notifications sent: 6/4 x1; received: none
  Established 2 time(s)
  Last error: NOTIFICATION sent 6/4 (cease/administrative-reset) "maintenance" (2026-01-02T03:04:05Z)

  Prefixes:
    ipv4-unicast: received 12, advertised 3
    ipv6-unicast: received 0, advertised 0
`,
    );
  });

  it('capability rows: one per family for per-family capabilities', () => {
    expect(
      capabilityRows({
        kind: 'add-path',
        families: [
          { family: 'ipv4-unicast', mode: 3 },
          { family: 'ipv6-unicast', mode: 1 },
        ],
      }),
    ).toEqual([
      ['add-path ipv4-unicast', 'receive+send'],
      ['add-path ipv6-unicast', 'receive'],
    ]);
  });
});

describe('rib summary and reload', () => {
  it('rib summary', () => {
    const r: RibSummary = {
      families: [
        { family: 'ipv4-unicast', prefixes: 100, paths: 210, best: 100, multipath: 10 },
        { family: 'ipv6-unicast', prefixes: 0, paths: 0, best: 0, multipath: 0 },
      ],
      attributeSets: 7,
      exportedAttributeSets: 3,
      updateGroups: [2, 1],
      sharedUpdates: 7,
      memory: { rss: 64 * 1048576, heapUsed: 10.5 * 1048576 },
    };
    expect(formatRibSummary(r)).toBe(
      `Family       Prefixes Paths Best Multipath
ipv4-unicast      100   210  100        10
ipv6-unicast        0     0    0         0

Attribute sets: 7 in the RIB, 3 sent (interned, shared by all their paths)
Update groups: 2 (peers in each: 2, 1), 7 UPDATEs shared
Memory: 64.0 MiB resident, 10.5 MiB JavaScript heap in use
`,
    );
  });

  it('reload report: actions, networks, restart-only keys; rejection keeps the errors', () => {
    expect(
      formatReload({
        ok: true,
        errors: [],
        actions: [
          { neighbor: '10.0.0.2', action: 'reset', reason: 'configuration change: hold-time' },
          { neighbor: '10.0.0.3', action: 'refresh-out', reason: 'export policy changed' },
        ],
        networks: { added: ['10.9.0.0/24'], removed: [], changed: [] },
        restartRequired: ['maximum-paths'],
      }),
    ).toBe(`configuration reloaded
  10.0.0.2: reset (configuration change: hold-time)
  10.0.0.3: refresh-out (export policy changed)
  networks: +10.9.0.0/24
  after a restart only: maximum-paths
`);
    expect(
      formatReload({
        ok: false,
        errors: ['c.yaml:3:6: asn: Too small'],
        actions: [],
        networks: { added: [], removed: [], changed: [] },
        restartRequired: [],
      }),
    ).toBe('reload rejected; the running configuration stays:\n  c.yaml:3:6: asn: Too small\n');
  });
});
