import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { BgpService, FibSummary, GracefulRestartView, NeighborView } from '../../../src/api/service.js';
import type { BfdPeerView, BfdStatus } from '../../../src/bfd/manager.js';
import { createMetrics } from '../../../src/metrics/metrics.js';
import { newCounters } from '../../../src/session/counters.js';
import { IPV4_UNICAST, IPV6_UNICAST, makeOpen } from '../../../src/wire/index.js';

type FibState = 'installed' | 'waiting' | 'refused' | 'leftover';

interface FakeNeighbor {
  view: NeighborView;
  /** Families our OPEN offers (multiprotocol capabilities); empty: none listed. */
  offered: number[];
  maxPrefix?: number;
}

/** The parts of the service the collectors read, with an empty RIB. */
/** What GET /api/graceful-restart returns; tests may change it before a scrape. */
let gracefulRestart: GracefulRestartView = {
  restarting: null,
  helper: { neighbors: {}, totals: { started: 0, endOfRib: 0, expired: 0, skipped: 0, hardResets: 0 } },
  enhancedRefresh: { begun: 0, ended: 0, expired: 0, purged: 0 },
};

function fakeService(
  fib: FibSummary,
  speaker = new EventEmitter(),
  unknownConnections = 0,
  neighbors: FakeNeighbor[] = [],
  fibRoutes?: FibState[],
  bfd: BfdStatus = { sessions: [], discarded: {} },
): BgpService {
  const byAddress = new Map(neighbors.map((n) => [n.view.address, n]));
  const localOpen = (offered: number[]) =>
    makeOpen({
      asn: 65000,
      holdTime: 90,
      routerId: '10.0.0.1',
      capabilities: offered.map((family) => ({ kind: 'multiprotocol' as const, family })),
    });
  return {
    journal: undefined,
    localOpen: (address: string) => {
      const n = byAddress.get(address);
      return n && localOpen(n.offered);
    },
    settings: (address: string) => {
      const limit = byAddress.get(address)?.maxPrefix;
      return limit === undefined ? {} : { 'max-prefix': { limit } };
    },
    unknownConnections: () => unknownConnections,
    fibRouteStates: () => {
      if (!fibRoutes) return undefined;
      const counts = { installed: 0, waiting: 0, refused: 0, leftover: 0 };
      for (const state of fibRoutes) counts[state]++;
      return counts;
    },
    onFlush: (fn: (seconds: number) => void) =>
      speaker.on('flush', (f: { seconds: number }) => fn(f.seconds)),
    neighbors: () => neighbors.map((n) => n.view),
    neighbor: () => undefined,
    ribSummary: () => ({
      families: [],
      attributeSets: 0,
      exportedAttributeSets: 0,
      updateGroups: [],
      sharedUpdates: 0,
      memory: { rss: 0, heapUsed: 0 },
    }),
    fib: () => fib,
    gracefulRestart: () => gracefulRestart,
    bfd: () => bfd,
    monitoring: { bmp: [] },
  } as unknown as BgpService;
}

const none = { received: 0, accepted: 0, advertised: 0 };

/** A neighbor's view: Established with the given negotiated families, or down (no `negotiated`). */
function neighbor(address: string, o: Partial<NeighborView> & { families?: string[] } = {}): NeighborView {
  const { families, ...rest } = o;
  return {
    address,
    dynamic: false,
    state: families ? 'Established' : 'Active',
    enabled: true,
    peerAs: 65001,
    localAs: 65000,
    prefixesReceived: 0,
    prefixesSent: 0,
    inQueue: 0,
    outQueue: 0,
    counters: newCounters(),
    upDownSeconds: null,
    prefixesByFamily: { 'ipv4-unicast': none, 'ipv6-unicast': none },
    ...(families && {
      localAddress: '10.0.0.1',
      remoteRouterId: '10.0.0.9',
      negotiated: {
        holdTime: 90,
        fourOctetAs: true,
        families,
        addPathRx: [],
        addPathTx: [],
        routeRefresh: true,
        enhancedRouteRefresh: false,
        extendedMessage: false,
        peerGracefulRestart: false,
      },
    }),
    ...rest,
  } as NeighborView;
}

const lines = (text: string, name: string) =>
  text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('metrics', () => {
  it('bgp_fib_operations_total by op and result from the FIB state', async () => {
    const m = createMetrics(
      fakeService({
        enabled: true,
        available: true,
        state: {
          desired: 3,
          installed: 2,
          dirty: 0,
          failed: 1,
          operations: {
            add: { ok: 3, refused: 1 },
            replace: { ok: 1, refused: 0 },
            delete: { ok: 1, refused: 2 },
          },
          method: 'netlink',
        },
      }),
      { defaultMetrics: false },
    );
    const text = await m.scrape();
    expect(text).toContain('bgp_fib_operations_total{op="add",result="ok"} 3');
    expect(text).toContain('bgp_fib_operations_total{op="add",result="refused"} 1');
    expect(text).toContain('bgp_fib_operations_total{op="replace",result="ok"} 1');
    expect(text).toContain('bgp_fib_operations_total{op="delete",result="refused"} 2');
  });

  it('bgp_fib_routes by state, as show fib lists the routes', async () => {
    const state = { desired: 0, installed: 0, dirty: 0, failed: 0, operations: {} } as never;
    const routes: FibState[] = ['installed', 'installed', 'installed', 'waiting', 'refused', 'leftover'];
    const m = createMetrics(
      fakeService({ enabled: true, available: true, state }, new EventEmitter(), 0, [], routes),
      { defaultMetrics: false },
    );
    expect(lines(await m.scrape(), 'bgp_fib_routes')).toEqual([
      'bgp_fib_routes{state="installed"} 3',
      'bgp_fib_routes{state="waiting"} 1',
      'bgp_fib_routes{state="refused"} 1',
      'bgp_fib_routes{state="leftover"} 1',
    ]);
  });

  it('bgp_peer_info: one series per neighbor with its labels, session labels only while Established', async () => {
    const m = createMetrics(
      fakeService({ enabled: false, available: false }, new EventEmitter(), 0, [
        { view: neighbor('10.0.0.9', { families: ['ipv4-unicast'], description: 'spine 1' }), offered: [] },
        { view: neighbor('10.0.0.5', { peerAs: 65000 }), offered: [] },
        { view: neighbor('10.0.0.7', { peerAs: 'external' }), offered: [] },
      ]),
      { defaultMetrics: false },
    );
    expect(lines(await m.scrape(), 'bgp_peer_info')).toEqual([
      'bgp_peer_info{peer="10.0.0.9",peer_as="65001",local_as="65000",type="ebgp",description="spine 1",remote_router_id="10.0.0.9",local_address="10.0.0.1",families="ipv4-unicast"} 1',
      'bgp_peer_info{peer="10.0.0.5",peer_as="65000",local_as="65000",type="ibgp",description="",remote_router_id="",local_address="",families=""} 1',
      'bgp_peer_info{peer="10.0.0.7",peer_as="external",local_as="65000",type="ebgp",description="",remote_router_id="",local_address="",families=""} 1',
    ]);
  });

  it('per-family series only for negotiated families; bgp_peer_family_negotiated for every offered one', async () => {
    const counts = { received: 5, accepted: 4, advertised: 3 };
    const m = createMetrics(
      fakeService({ enabled: false, available: false }, new EventEmitter(), 0, [
        {
          // Both offered, only IPv4 negotiated (the neighbor did not offer IPv6).
          view: neighbor('10.0.0.9', {
            families: ['ipv4-unicast'],
            prefixesByFamily: { 'ipv4-unicast': counts, 'ipv6-unicast': none },
          }),
          offered: [IPV4_UNICAST, IPV6_UNICAST],
        },
        // Down: no per-family series at all; no capability listed means IPv4 unicast (RFC 4760 §1).
        { view: neighbor('10.0.0.5'), offered: [] },
      ]),
      { defaultMetrics: false },
    );
    const text = await m.scrape();
    expect(lines(text, 'bgp_peer_prefixes_received')).toEqual([
      'bgp_peer_prefixes_received{peer="10.0.0.9",afi_safi="ipv4-unicast"} 5',
    ]);
    expect(lines(text, 'bgp_peer_prefixes_accepted')).toEqual([
      'bgp_peer_prefixes_accepted{peer="10.0.0.9",afi_safi="ipv4-unicast"} 4',
    ]);
    expect(lines(text, 'bgp_peer_prefixes_advertised')).toEqual([
      'bgp_peer_prefixes_advertised{peer="10.0.0.9",afi_safi="ipv4-unicast"} 3',
    ]);
    expect(lines(text, 'bgp_peer_family_negotiated')).toEqual([
      'bgp_peer_family_negotiated{peer="10.0.0.9",afi_safi="ipv4-unicast"} 1',
      'bgp_peer_family_negotiated{peer="10.0.0.9",afi_safi="ipv6-unicast"} 0',
      'bgp_peer_family_negotiated{peer="10.0.0.5",afi_safi="ipv4-unicast"} 0',
    ]);
  });

  it('routes kept stale by the graceful-restart helper keep their family series while down', async () => {
    const m = createMetrics(
      fakeService({ enabled: false, available: false }, new EventEmitter(), 0, [
        {
          view: neighbor('10.0.0.9', {
            gracefulRestart: { families: ['ipv6-unicast'], until: 2e12 },
            prefixesByFamily: {
              'ipv4-unicast': none,
              'ipv6-unicast': { received: 7, accepted: 7, advertised: 0 },
            },
          }),
          offered: [IPV6_UNICAST],
        },
      ]),
      { defaultMetrics: false },
    );
    expect(lines(await m.scrape(), 'bgp_peer_prefixes_accepted')).toEqual([
      'bgp_peer_prefixes_accepted{peer="10.0.0.9",afi_safi="ipv6-unicast"} 7',
    ]);
  });

  it('a stop over max-prefix is down, not administratively shut down; the limit is a series', async () => {
    const overLimit = newCounters();
    overLimit.lastError = { direction: 'sent', code: 6, subcode: 1, reason: 'max-prefix', at: 1 };
    const m = createMetrics(
      fakeService({ enabled: false, available: false }, new EventEmitter(), 0, [
        { view: neighbor('10.0.0.9', { enabled: false, counters: overLimit }), offered: [], maxPrefix: 100 },
        { view: neighbor('10.0.0.5', { enabled: false }), offered: [] },
      ]),
      { defaultMetrics: false },
    );
    const text = await m.scrape();
    expect(lines(text, 'bgp_peer_admin_enabled')).toEqual([
      'bgp_peer_admin_enabled{peer="10.0.0.9"} 1',
      'bgp_peer_admin_enabled{peer="10.0.0.5"} 0',
    ]);
    expect(lines(text, 'bgp_peer_max_prefix_limit')).toEqual([
      'bgp_peer_max_prefix_limit{peer="10.0.0.9"} 100',
    ]);
  });

  it('bfd_peer_state, transitions, detection time and drops from GET /api/bfd', async () => {
    const session = (peer: string, state: string, transitions: number) =>
      ({ peer, state, detectionTimeMs: 900, counters: { sent: 1, received: 1, transitions } }) as BfdPeerView;
    const m = createMetrics(
      fakeService({ enabled: false, available: false }, new EventEmitter(), 0, [], undefined, {
        sessions: [session('10.0.0.2', 'Up', 2), session('10.0.0.3', 'Down', 0)],
        discarded: { ttl: 4 },
      }),
      { defaultMetrics: false },
    );
    const text = await m.scrape();
    expect(text).toMatch(/^bfd_peer_state\{peer="10.0.0.2",state="Up"\} 1$/m);
    expect(text).toMatch(/^bfd_peer_state\{peer="10.0.0.2",state="Down"\} 0$/m);
    expect(text).toMatch(/^bfd_peer_state\{peer="10.0.0.3",state="Down"\} 1$/m);
    expect(text).toMatch(/^bfd_peer_transitions_total\{peer="10.0.0.2"\} 2$/m);
    expect(text).toMatch(/^bfd_peer_detection_time_seconds\{peer="10.0.0.3"\} 0.9$/m);
    expect(text).toMatch(/^bfd_discarded_total\{reason="ttl"\} 4$/m);
  });

  it('bgp_unknown_connections_total from the session manager count', async () => {
    const m = createMetrics(fakeService({ enabled: false, available: false }, new EventEmitter(), 1000), {
      defaultMetrics: false,
    });
    expect(await m.scrape()).toMatch(/^bgp_unknown_connections_total 1000$/m);
  });

  it('no FIB series with fib: false', async () => {
    const m = createMetrics(fakeService({ enabled: false, available: false }), { defaultMetrics: false });
    const text = await m.scrape();
    expect(text).not.toMatch(/^bgp_fib_operations_total\{/m);
    expect(text).not.toMatch(/^bgp_fib_routes\{/m);
  });

  it('bgp_update_processing_seconds observes every flush the speaker reports', async () => {
    const speaker = new EventEmitter();
    const m = createMetrics(fakeService({ enabled: false, available: false }, speaker), {
      defaultMetrics: false,
    });
    speaker.emit('flush', { seconds: 0.0003, destinations: 10 });
    speaker.emit('flush', { seconds: 0.2, destinations: 5000 });
    const text = await m.scrape();
    expect(text).toContain('bgp_update_processing_seconds_count 2');
    expect(text).toContain('bgp_update_processing_seconds_bucket{le="0.0005"} 1');
    expect(text).toContain('bgp_update_processing_seconds_bucket{le="0.5"} 2');
    expect(text).toContain('bgp_update_processing_seconds_sum 0.2003');
  });

  it('both sides of graceful restart and enhanced refresh, from GET /api/graceful-restart', async () => {
    gracefulRestart = {
      restarting: {
        restarted: true,
        deferring: true,
        waitingFor: { '10.0.0.2': ['ipv4-unicast'] },
        endOfRib: { '10.0.0.3': 1500 },
        deferralTime: 30,
      },
      helper: {
        neighbors: { '10.0.0.4': { families: ['ipv4-unicast'], until: '2026-01-01T00:00:00.000Z' } },
        totals: { started: 2, endOfRib: 1, expired: 0, skipped: 0, hardResets: 1 },
      },
      enhancedRefresh: { begun: 1, ended: 1, expired: 0, purged: 3 },
    };
    const text = await createMetrics(fakeService({ enabled: false, available: false }), {
      defaultMetrics: false,
    }).scrape();
    expect(text).toMatch(/^bgp_gr_deferring 1$/m);
    expect(text).toMatch(/^bgp_gr_restarted 1$/m);
    expect(text).toMatch(/^bgp_gr_eor_waiting\{peer="10.0.0.2"\} 1$/m);
    expect(text).toMatch(/^bgp_gr_eor_wait_seconds\{peer="10.0.0.3"\} 1.5$/m);
    expect(text).toMatch(/^bgp_gr_helper_stale\{peer="10.0.0.4"\} 1$/m);
    expect(text).toMatch(/^bgp_gr_helper_total\{outcome="hardResets"\} 1$/m);
    expect(text).toMatch(/^bgp_enhanced_refresh_total\{phase="purged"\} 3$/m);
  });
});
