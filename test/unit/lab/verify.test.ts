import { describe, expect, it } from 'vitest';
import { loadLab } from '../../../src/lab/load.js';
import {
  type KernelRoute,
  type NodeObservation,
  type Observations,
  parseBirdProtocols,
  parseBirdRoutes,
  parseKernelRoutes,
  pingPairs,
  type SwitchObservation,
} from '../../../src/lab/observe.js';
import { dotGraph, sessionTable, textPicture } from '../../../src/lab/picture.js';
import { plan } from '../../../src/lab/plan.js';
import { labNodes } from '../../../src/lab/schema.js';
import { formatReport, pathProblem, verify } from '../../../src/lab/verify.js';
import { SEED } from './fixtures.js';

// Real output of Debian's BIRD 1.6.8 in the seed lab (node1 and node3).
const PROTOCOLS = `BIRD 1.6.8 ready.
name     proto    table    state  since       info
kernel1  Kernel   master   up     16:45:00    
device1  Device   master   up     16:45:00    
direct1  Direct   master   up     16:45:00    
Node_172_20_0_1 BGP      master   up     16:45:01    Established   
Node_172_20_0_12 BGP      master   start  16:45:01    Connect       Socket: Connection refused
Node_172_20_0_13 BGP      master   up     2024-05-01 16:45:01    Established   
`;
const ROUTES = `BIRD 1.6.8 ready.
10.233.66.1/32     dev calipod1 [kernel1 16:44:59] * (10)
10.233.68.0/26     via 172.20.0.1 on eth1 [Node_172_20_0_11 16:45:00 from 172.20.0.11] * (100/0) [AS64513i]
                   via 172.20.0.1 on eth1 [Node_172_20_0_12 16:45:00 from 172.20.0.12] (100/0) [AS64513i]
10.233.66.0/26     blackhole [kernel1 16:44:59] * (10)
10.233.64.0/26     via 172.20.0.11 on eth1 [Node_172_20_0_11 16:45:00] * (100/0) [i]
172.20.0.0/24      dev eth1 [direct1 16:44:59] * (240)
`;

describe('parsers', () => {
  it('reads birdc show protocols, with and without a date in the since column', () => {
    expect(parseBirdProtocols(PROTOCOLS)).toEqual([
      { name: 'kernel1', proto: 'Kernel', state: 'up', info: '' },
      { name: 'device1', proto: 'Device', state: 'up', info: '' },
      { name: 'direct1', proto: 'Direct', state: 'up', info: '' },
      { name: 'Node_172_20_0_1', proto: 'BGP', state: 'up', info: 'Established' },
      {
        name: 'Node_172_20_0_12',
        proto: 'BGP',
        state: 'start',
        info: 'Connect       Socket: Connection refused',
      },
      { name: 'Node_172_20_0_13', proto: 'BGP', state: 'up', info: 'Established' },
    ]);
  });

  it('reads birdc show route: every route of a prefix, the primary marked', () => {
    const routes = parseBirdRoutes(ROUTES);
    expect(routes.map((r) => r.prefix)).toEqual([
      '10.233.66.1/32',
      '10.233.68.0/26',
      '10.233.66.0/26',
      '10.233.64.0/26',
      '172.20.0.0/24',
    ]);
    expect(routes[1].entries).toEqual([
      { via: '172.20.0.1', protocol: 'Node_172_20_0_11', primary: true },
      { via: '172.20.0.1', protocol: 'Node_172_20_0_12', primary: false },
    ]);
    expect(routes[2].entries).toEqual([{ protocol: 'kernel1', primary: true }]);
  });

  it('reads ip -j route: host routes get their length, ECMP next hops are listed', () => {
    const json = JSON.stringify([
      { dst: 'default', gateway: '192.0.2.1', dev: 'eth0', flags: [] },
      { type: 'blackhole', dst: '10.233.64.0/26', flags: [] },
      { dst: '10.233.64.1', dev: 'calipod1', scope: 'link', flags: [] },
      {
        dst: '10.233.67.0/26',
        protocol: 'bgp',
        flags: [],
        nexthops: [
          { gateway: '173.20.0.11', dev: 'br0', weight: 1, flags: [] },
          { gateway: '173.20.0.12', dev: 'br0', weight: 1, flags: [] },
        ],
      },
    ]);
    expect(parseKernelRoutes(json, 4)).toEqual([
      { dst: '0.0.0.0/0', dev: 'eth0', gateways: ['192.0.2.1'] },
      { dst: '10.233.64.0/26', type: 'blackhole', gateways: [] },
      { dst: '10.233.64.1/32', dev: 'calipod1', gateways: [] },
      { dst: '10.233.67.0/26', protocol: 'bgp', gateways: ['173.20.0.11', '173.20.0.12'] },
    ]);
  });
});

const lab = loadLab(SEED);
const p = plan(lab, { workDir: '/w', node: 'node', cli: 'cli' });
const nodes = labNodes(lab);

/** What a fully working seed lab looks like; `breakIt` edits a copy. */
function healthy(): Observations {
  const route = (dst: string, gateways: string[], protocol: string): KernelRoute => ({
    dst,
    protocol,
    gateways,
  });
  const switches: SwitchObservation[] = [...lab.spines, ...lab.leaves].map((s) => {
    const mine = p.sessions.flatMap((x) => x.ends.filter((e) => e.device === s.name));
    const kernel: KernelRoute[] = [];
    for (const n of nodes) {
      const rack = lab.racks.find((r) => r.name === n.rack)!;
      const leaf = lab.leaves.find((l) => l.name === rack.leaf)!;
      if (s.name === 'spine') kernel.push(route(n.block, [leaf.uplinks[0].leafIp], 'bgp'));
      else if (leaf.name === s.name)
        kernel.push(
          route(
            n.block,
            rack.nodes.filter((x) => x.rrId).map((x) => x.ip),
            'bgp',
          ),
        );
      else
        kernel.push(route(n.block, [lab.leaves.find((l) => l.name === s.name)!.uplinks[0].spineIp], 'bgp'));
    }
    return {
      device: s.name,
      neighbors: mine.map((e) => ({
        address: e.remote,
        state: 'Established',
        peerAs: 0,
        prefixesReceived: 3,
        prefixesSent: 3,
      })),
      rib: nodes.map((n) => ({ prefix: n.block, paths: [{ peer: 'x', best: true }] })),
      kernel,
    };
  });
  const nodeObs: NodeObservation[] = nodes.map((n) => ({
    device: n.name,
    family: 4,
    protocols: p.sessions
      .flatMap((x) => x.ends.filter((e) => e.device === n.name))
      .map((e) => ({ name: e.protocol!, proto: 'BGP', state: 'up', info: 'Established' })),
    routes: nodes.map((o) => ({ prefix: o.block, entries: [{ protocol: 'x', primary: true }] })),
    kernel: nodes.filter((o) => o !== n).map((o) => route(o.block, ['172.20.0.1'], 'bird')),
  }));
  const pings = pingPairs(p).map((x) => {
    const leafOf = (rack: string) => lab.racks.find((r) => r.name === rack)!.leaf;
    return {
      from: x.from.device,
      to: x.to.device,
      family: 4 as const,
      dst: x.to.ip,
      ok: true,
      rttMs: 0.1,
      path: [
        x.from.device,
        x.from.node,
        leafOf(x.from.rack),
        'spine',
        leafOf(x.to.rack),
        x.to.node,
        x.to.device,
      ],
    };
  });
  return { at: 'now', switches, nodes: nodeObs, pings };
}

describe('verify', () => {
  it('passes a healthy seed lab: 12 sessions, 30 blocks, 18 FIB entries, 9 cross-rack pings', () => {
    const r = verify(p, healthy());
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => [c.id, c.passed, c.total])).toEqual([
      ['sessions', 12, 12],
      ['blocks', 30, 30],
      ['fib', 18, 18],
      ['pings', 9, 9],
    ]);
    expect(formatReport(r)).toMatch(
      /PASS {2}every BGP session Established at both ends: 12\/12\n[\s\S]*all checks passed/,
    );
  });

  it('names the session and what each end says', () => {
    const obs = healthy();
    const node3 = obs.nodes.find((n) => n.device === 'node3')!;
    const bad = {
      ...obs,
      nodes: obs.nodes.map((n) =>
        n === node3
          ? {
              ...n,
              protocols: n.protocols!.map((x) =>
                x.name === 'Node_172_20_0_12'
                  ? { ...x, state: 'start', info: 'Active        Socket: Connection refused' }
                  : x,
              ),
            }
          : n,
      ),
    };
    const r = verify(p, bad);
    expect(r.ok).toBe(false);
    expect(r.checks[0].failures).toEqual([
      'node3 172.20.0.13 ↔ node2 172.20.0.12 (client-reflector, iBGP IPv4): node3 says Active        Socket: Connection refused, node2 says Established',
    ]);
    expect(sessionTable(p, bad)).toMatch(/✗ node3 172\.20\.0\.13 ↔ node2 172\.20\.0\.12 .* Active/);
  });

  it('tells a route the leaf learned but did not install from one it never learned', () => {
    const obs = healthy();
    const strip = (s: SwitchObservation, keepRib: boolean): SwitchObservation => ({
      ...s,
      kernel: s.kernel.filter((k) => k.dst !== '10.233.67.0/26'),
      rib: keepRib ? s.rib : s.rib!.filter((x) => x.prefix !== '10.233.67.0/26'),
    });
    const r = verify(p, {
      ...obs,
      switches: obs.switches.map((s) =>
        s.device === 'leaf1' ? strip(s, true) : s.device === 'spine' ? strip(s, false) : s,
      ),
    });
    const fib = r.checks.find((c) => c.id === 'fib')!;
    expect(fib.failures).toEqual([
      'leaf1: no kernel route to 10.233.67.0/26 (want via spine 10.0.1.2); rackbgp has it in its RIB but did not install it',
      'spine: no kernel route to 10.233.67.0/26 (want via leaf2 10.0.2.1)',
    ]);
    expect(fib.notes[0]).toMatch(/1 of the missing routes are in rackbgp's RIB but not in the kernel/);
  });

  it('checks the next hops: own rack by ECMP over the reflectors it hears, other racks toward the spine', () => {
    const obs = healthy();
    const withLeaf2 = (o: Observations, edit: (k: KernelRoute) => KernelRoute): Observations => ({
      ...o,
      switches: o.switches.map((s) => (s.device === 'leaf2' ? { ...s, kernel: s.kernel.map(edit) } : s)),
    });
    const narrow = withLeaf2(obs, (k) =>
      k.dst === '10.233.68.0/26' ? { ...k, gateways: ['173.20.0.11'] } : k,
    );
    expect(verify(p, narrow).checks.find((c) => c.id === 'fib')!.failures).toEqual([
      'leaf2: 10.233.68.0/26 goes via 173.20.0.11, want node4 173.20.0.11 + node5 173.20.0.12 (ECMP over the reflectors)',
    ]);
    const wrong = withLeaf2(obs, (k) =>
      k.dst === '10.233.64.0/26' ? { ...k, gateways: ['173.20.0.12'] } : k,
    );
    expect(verify(p, wrong).checks.find((c) => c.id === 'fib')!.failures).toEqual([
      'leaf2: 10.233.64.0/26 goes via 173.20.0.12, want spine 10.0.2.2',
    ]);
    // With node5's session to leaf2 down, one path is all the leaf can have.
    const down: Observations = {
      ...narrow,
      switches: narrow.switches.map((s) =>
        s.device === 'leaf2'
          ? {
              ...s,
              kernel: s.kernel.map((k) =>
                k.gateways.includes('173.20.0.12') ? { ...k, gateways: ['173.20.0.11'] } : k,
              ),
              neighbors: s.neighbors!.map((n) =>
                n.address === '173.20.0.12' ? { ...n, state: 'Active' } : n,
              ),
            }
          : s,
      ),
    };
    const fib = verify(p, down).checks.find((c) => c.id === 'fib')!;
    expect(fib.failures).toEqual([]);
    expect(fib.notes).toEqual(["leaf1: rack1's blocks by ECMP over node1 172.20.0.11 + node2 172.20.0.12"]);
  });

  it('accepts a detour through one node of the destination rack, nothing else', () => {
    const ok = ['node1-pod1', 'node1', 'leaf1', 'spine', 'leaf2', 'node5', 'node5-pod1'];
    expect(pathProblem(p, 'node1-pod1', 'node5-pod1', ok)).toBeUndefined();
    expect(
      pathProblem(p, 'node1-pod1', 'node5-pod1', [...ok.slice(0, 5), 'node4', ...ok.slice(5)]),
    ).toBeUndefined();
    expect(pathProblem(p, 'node1-pod1', 'node5-pod1', [...ok.slice(0, 5), 'node2', ...ok.slice(5)])).toBe(
      'want leaf2 → node5, or through one node of rack2',
    );
    expect(
      pathProblem(p, 'node1-pod1', 'node5-pod1', ['node1-pod1', 'node1', 'node2', 'leaf1', ...ok.slice(3)]),
    ).toBe('want it to start node1-pod1 → node1 → leaf1');
  });

  it('a missing block names the node and whose block it is; a ping names its FIB path', () => {
    const obs = healthy();
    const r = verify(p, {
      ...obs,
      nodes: obs.nodes.map((n) =>
        n.device === 'node6' ? { ...n, routes: n.routes!.filter((x) => x.prefix !== '10.233.64.0/26') } : n,
      ),
      pings: obs.pings.map((x, i) =>
        i === 0
          ? { ...x, ok: false, path: ['node1-pod1', 'node1', 'leaf1'], pathEnd: 'no route at leaf1' }
          : x,
      ),
    });
    expect(r.checks.find((c) => c.id === 'blocks')!.failures).toEqual([
      "node6 (bird) has no route to 10.233.64.0/26 (node1's block)",
    ]);
    expect(r.checks.find((c) => c.id === 'pings')!.failures).toEqual([
      'node1-pod1 → node4-pod1 (10.233.67.1): no reply; FIB path node1-pod1 → node1 → leaf1 ✗ no route at leaf1',
    ]);
    expect(formatReport(r)).toMatch(/2 check\(s\) failed\n$/);
  });

  it('draws the lab as text and as DOT', () => {
    const text = textPicture(p, healthy());
    expect(text).toMatch(
      /^spine {2}AS65000 {2}router-id 10\.0\.0\.1 {2}\[sessions 2\/2, RIB 6 prefixes, kernel 6 bgp routes\]/,
    );
    expect(text).toContain(
      'node1  172.20.0.11  reflector rr-id=rr1 cluster 172.20.0.11  block 10.233.64.0/26',
    );
    expect(text).toContain(
      'node3  172.20.0.13  client  block 10.233.66.0/26  pods 10.233.66.1  [sessions 2/2, 6 routes]',
    );
    const dot = dotGraph(p, healthy());
    expect(dot).toMatch(/^graph "lab seed" \{/);
    expect(dot).toContain('"spine" -- "leaf1" [taillabel="eth1", headlabel="eth1"');
    expect(dot.match(/style=dashed/g)).toHaveLength(12);
    expect(dot).not.toContain('color=red');
  });
});
