/** One daemon's live view over the service's snapshots (a fake service: no speaker, no sockets). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BgpService, NeighborView } from '../../../src/api/service.js';
import { DaemonView } from '../../../src/api/web-view.js';
import type { RouteSnapshot } from '../../../src/core/snapshot.js';
import type { Change } from '../../../src/web/view-model.js';

const neighbor = (address: string, peerAs: number, state: string, received = 0, description?: string) =>
  ({
    address,
    peerAs,
    state,
    localAddress: '10.0.1.1',
    prefixesReceived: received,
    prefixesSent: 0,
    description,
  }) as unknown as NeighborView;

const path = (peer: string, best: boolean, multipath: boolean) => ({
  peer,
  pathId: 0,
  best,
  multipath,
  stale: false,
  nextHop: peer,
  attributes: {},
});
const routes: RouteSnapshot[] = [
  {
    family: 4,
    prefix: '10.233.64.0/26',
    reason: 'lower router id',
    paths: [path('172.20.0.11', true, true), path('172.20.0.12', false, true)],
  },
  { family: 4, prefix: '10.233.67.0/26', reason: 'only path', paths: [path('10.0.1.2', true, false)] },
];

function fakeService(list: { neighbors: NeighborView[] }): BgpService {
  return {
    speaker: { journal: undefined },
    status: () => ({
      routerId: '10.0.1.1',
      asn: 65001,
      neighbors: 0,
      established: 0,
      uptimeSeconds: 0,
      multipathRelax: true,
    }),
    neighbors: () => list.neighbors,
    neighbor: (a: string) => {
      const n = list.neighbors.find((x) => x.address === a);
      return n && { ...n, configured: { holdTime: 90 } };
    },
    routes: (f: { neighbor?: string } = {}) =>
      f.neighbor ? routes.filter((r) => r.paths.some((p) => p.peer === f.neighbor)) : routes,
    ribSummary: () => ({ families: [{ prefixes: 2 }, { prefixes: 0 }] }),
    fibRoutes: () => undefined,
  } as unknown as BgpService;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('DaemonView', () => {
  const list = {
    neighbors: [
      neighbor('10.0.1.2', 65000, 'Established', 3, 'spine'),
      neighbor('172.20.0.11', 64512, 'Active'),
      neighbor('172.20.0.12', 64512, 'Established', 4),
    ],
  };
  const view = new DaemonView(fakeService(list));

  it('draws this switch and one device and session per neighbor, with states and counts', () => {
    const t = view.topology();
    expect(t.title).toBe('rackbgp AS65001 10.0.1.1');
    expect(t.devices.map((d) => [d.name, d.role, d.tier, d.note ?? ''])).toEqual([
      ['10.0.1.1', 'switch', 0, ''],
      ['10.0.1.2', 'peer', 1, 'spine'],
      ['172.20.0.11', 'peer', 1, ''],
      ['172.20.0.12', 'peer', 1, ''],
    ]);
    expect(t.sessions.map((s) => [s.id, s.kind, s.ends[0].device, s.ends[1].device])).toEqual([
      ['s0', 'ebgp', '10.0.1.1', '10.0.1.2'],
      ['s1', 'ebgp', '10.0.1.1', '172.20.0.11'],
      ['s2', 'ebgp', '10.0.1.1', '172.20.0.12'],
    ]);
    const st = view.snapshot();
    expect(Object.values(st.sessions).map((s) => s.health)).toEqual(['up', 'connecting', 'up']);
    expect(st.counts).toEqual({ '10.0.1.1': 2, '10.0.1.2': 3, '172.20.0.11': 0, '172.20.0.12': 4 });
  });

  it("gives the switch's summary and routes with their ECMP sets, and a neighbor's panel", async () => {
    const self = await view.device('10.0.1.1');
    expect(self?.sections.map((s) => s.title)).toEqual(['show summary', 'routes', 'FIB']);
    expect(self?.sections[1].rows).toEqual([
      {
        cells: ['10.233.64.0/26', '172.20.0.11 + 172.20.0.12', '2', 'lower router id'],
        ecmp: ['172.20.0.11', '172.20.0.12'],
      },
      { cells: ['10.233.67.0/26', '10.0.1.2', '1', 'only path'], ecmp: ['10.0.1.2'] },
    ]);
    expect(self?.sections[2].text).toBe('no FIB in this daemon (fib: false)');
    const peer = await view.device('10.0.1.2');
    expect(peer?.sections[0].rows?.[0].cells).toEqual(['state', 'Established']);
    expect(await view.device('192.0.2.1')).toBeUndefined();
  });

  it('looks an address up in its best paths: one hop to each neighbor of the ECMP set', async () => {
    const w = await view.lookup('10.233.64.7');
    expect(w.hops.map((h) => [h.device, h.match?.prefix, h.next.join('|'), h.end ?? ''])).toEqual([
      ['10.0.1.1', '10.233.64.0/26', '172.20.0.11|172.20.0.12', ''],
      ['172.20.0.11', undefined, '', 'no forwarding table known'],
      ['172.20.0.12', undefined, '', 'no forwarding table known'],
    ]);
    await expect(view.lookup('nonsense')).rejects.toThrow('neither an address nor a prefix');
  });

  it('sends state changes while a page watches, and starts the page over when neighbors change', () => {
    vi.useFakeTimers();
    const got: Change[] = [];
    const stop = view.subscribe((c) => got.push(...c));
    list.neighbors = [neighbor('10.0.1.2', 65000, 'Idle', 0, 'spine'), ...list.neighbors.slice(1)];
    vi.advanceTimersByTime(500);
    expect(got).toContainEqual({
      type: 'session',
      id: 's0',
      state: { health: 'down', ends: ['Idle', undefined] },
    });
    list.neighbors = list.neighbors.slice(0, 2);
    vi.advanceTimersByTime(500);
    expect(got.filter((c) => c.type === 'reset')).toHaveLength(1);
    expect(view.topology().sessions).toHaveLength(2);
    stop();
    got.length = 0;
    vi.advanceTimersByTime(5000);
    expect(got).toEqual([]);
  });
});
