import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labDatastore, nodeBirdFiles } from '../../../src/lab/calico-lab.js';
import { bgpConfiguration, bgpPeers } from '../../../src/lab/calico-resources.js';
import { kindNodeNames, renderContainerlab } from '../../../src/lab/containerlab.js';
import { parseLab } from '../../../src/lab/load.js';
import { labNodes } from '../../../src/lab/schema.js';
import {
  expectedServiceRoutes,
  filterRejects,
  kubeProxyRules,
  serviceIpLines,
} from '../../../src/lab/services.js';
import { checkManifests, serviceFiles, serviceManifests } from '../../../src/lab/services-manifests.js';
import { communitiesFor, expectReachable } from '../../../src/lab/services-verify.js';
import { labErrors } from '../support/problems.js';
import { SEED } from './fixtures.js';

const FILE = join(__dirname, '../../../lab/services.yaml');
const TEXT = readFileSync(FILE, 'utf8');
const lab = parseLab(TEXT, 'services.yaml');
const node = (name: string) => labNodes(lab).find((n) => n.name === name)!;

describe('lab file: services, communities, filters, leaf peering', () => {
  it('reads the kebab-case keys into the CRD fields', () => {
    expect(lab.calico.serviceLoadBalancerIPs).toEqual(['10.100.0.0/24']);
    expect(lab.calico.filters[0]).toEqual({
      name: 'rack-only-externals',
      exportV4: [{ action: 'Reject', matchOperator: 'In', cidr: '10.101.0.128/25' }],
    });
    expect(lab.racks[0].leafPeering).toEqual({
      keepOriginalNextHop: true,
      maxRestartTime: '120s',
      password: 'rack1-to-leaf1',
      filters: ['rack-only-externals'],
    });
    expect(lab.services.map((s) => [s.name, s.clusterIP])).toEqual([
      ['web', '10.96.0.100'],
      ['api', '10.96.0.101'],
      ['dns', '10.96.0.10'],
      ['ext', '10.96.0.103'],
      ['internal', '10.96.0.104'],
    ]);
  });

  it("num-allowed-local-as-numbers becomes the BGPPeer field and BIRD's allow local as", () => {
    const l = parseLab(
      TEXT.replace('max-restart-time: 120s', 'max-restart-time: 120s\n      num-allowed-local-as-numbers: 2'),
      'x',
    );
    expect(l.racks[0].leafPeering.numAllowedLocalASNumbers).toBe(2);
    expect(nodeBirdFiles(l, l.racks[0].nodes[0], 4).get('bird.cfg')).toContain('  allow local as 2;');
  });

  it('reports problems at file:line:col', () => {
    expect(labErrors(TEXT.replace('max-restart-time: 120s', 'max-restart-time: 2 minutes'))).toEqual([
      'lab.yaml:50:25: racks[0].leaf-peering.max-restart-time: must be a Go duration like 120s',
    ]);
    const bad = TEXT.replace('ip: 10.100.0.20,', 'ip: 10.200.0.20,')
      .replace('endpoints: [node3] }', 'endpoints: [node9] }')
      .replace('filters: [rack-only-externals]\n    nodes', 'filters: [nope]\n    nodes')
      .replace('communities: ["65010:200"]', 'communities: ["gold"]');
    expect(labErrors(bad)).toEqual([
      "lab.yaml:24:43: calico.prefix-advertisements[1].communities[0]: 'gold' is neither AA:NN, AA:NN:NN nor a name in calico.communities",
      "lab.yaml:52:17: racks[0].leaf-peering.filters[0]: no filter named 'nope' in calico.filters",
      'lab.yaml:74:42: services[1].ip: 10.200.0.20 is not in calico.service-load-balancer-ips: Calico would not announce it',
      "lab.yaml:74:99: services[1].endpoints[0]: no node named 'node9'",
    ]);
  });
});

describe('Calico resources and confd output for the services lab', () => {
  it('the reflectors -> leaf BGPPeer carries keepOriginalNextHop, maxRestartTime, the password Secret, filters', () => {
    const peer = bgpPeers(lab).find(
      (p) => (p as { metadata: { name: string } }).metadata.name === 'rr1-reflectors-to-leaf1',
    );
    expect((peer as { spec: unknown }).spec).toEqual({
      nodeSelector: "has(rr-id) && rr-group == 'rr1'",
      peerIP: '172.20.0.1',
      asNumber: 65001,
      keepOriginalNextHop: true,
      maxRestartTime: '120s',
      password: { secretKeyRef: { name: 'bgp-password-rack1', key: 'password' } },
      filters: ['rack-only-externals'],
    });
    const key = '/calico/bgp/v1/host/node1/peer_v4/172.20.0.1';
    expect(JSON.parse(labDatastore(lab).cache.get(key)!)).toMatchObject({
      keep_next_hop: true,
      password: 'rack1-to-leaf1',
      restart_time: '120',
      filters: ['rack-only-externals'],
    });
  });

  it("node3's BIRD announces the ranges and its Local services' /32s; node1's keeps the next hop toward leaf1", () => {
    const aggr = nodeBirdFiles(lab, node('node3'), 4).get('bird_aggr.cfg')!;
    for (const r of ['10.100.0.0/24', '10.100.0.10/32', '10.100.0.20/32', '10.101.0.200/32', '10.96.0.0/16'])
      expect(aggr).toContain(`route ${r} blackhole;`);
    expect(aggr).not.toContain('10.101.0.10/32'); // ext's endpoint is node6
    const bird = nodeBirdFiles(lab, node('node1'), 4).get('bird.cfg')!;
    expect(bird).toContain('  next hop keep;');
    expect(bird).toContain('  password "rack1-to-leaf1";');
    expect(bird).toContain('if ((net ~ 10.101.0.128/25)) then { reject; }');
    expect(bird).toContain('bgp_large_community.add((65010, 1, 2));');
  });

  it('kube-proxy: DNAT to the local endpoint, to a remote one for Cluster, DROP for Local without one', () => {
    const rules = kubeProxyRules(lab, node('node1'))!;
    expect(rules).toContain('-A FORWARD -i eth1 -d 10.100.0.10/32 -j DROP');
    expect(rules).toContain('-A PREROUTING -i eth1 -d 10.96.0.10/32 -j DNAT --to-destination 10.233.65.1');
    expect(rules).toContain(
      '-A POSTROUTING -o eth1 -d 10.233.65.1/32 -m conntrack --ctorigdst 10.96.0.10 -j SNAT --to-source 10.233.64.62',
    );
    expect(kubeProxyRules(lab, node('node3'))).toContain(
      '-A PREROUTING -i eth1 -d 10.100.0.10/32 -j DNAT --to-destination 10.233.66.1',
    );
    expect(serviceIpLines(lab, lab.racks[1])).toContain('rule add to 10.100.0.10/32 lookup 100 priority 100');
  });

  it('BGPFilter rules: the first matching rule decides', () => {
    const rules = lab.calico.filters[0].exportV4!;
    expect(filterRejects(rules, '10.101.0.200/32')).toBe(true);
    expect(filterRejects(rules, '10.101.0.10/32')).toBe(false);
    expect(filterRejects(rules, '10.101.0.0/24')).toBe(false);
    expect(
      filterRejects(
        [{ action: 'Accept', matchOperator: 'Equal', cidr: '10.0.0.0/8' }, { action: 'Reject' }],
        '10.0.0.0/8',
      ),
    ).toBe(false);
    expect(
      filterRejects(
        [{ action: 'Accept', matchOperator: 'Equal', cidr: '10.0.0.0/8' }, { action: 'Reject' }],
        '10.1.0.0/16',
      ),
    ).toBe(true);
  });

  it('expected leaf routes: endpoints with keep-original-next-hop, reflectors without, spine or absent otherwise', () => {
    const all = (r: (typeof lab.racks)[number]) => r.nodes.filter((n) => n.rrId !== undefined);
    const want = (l: typeof lab, leaf: string, prefix: string) =>
      expectedServiceRoutes(l, labDatastore(l).res, all).find((e) => e.leaf === leaf && e.prefix === prefix)!;
    expect(want(lab, 'leaf1', '10.100.0.10/32')).toMatchObject({ kind: 'rack', nextHops: ['172.20.0.13'] });
    expect(want(lab, 'leaf1', '10.100.0.0/24').nextHops).toEqual([
      '172.20.0.11',
      '172.20.0.12',
      '172.20.0.13',
    ]);
    expect(want(lab, 'leaf2', '10.100.0.20/32')).toMatchObject({ kind: 'spine' });
    expect(want(lab, 'leaf1', '10.101.0.200/32')).toMatchObject({ kind: 'absent' });
    const noKeep = parseLab(
      TEXT.replaceAll('keep-original-next-hop: true', 'keep-original-next-hop: false'),
      'x',
    );
    expect(want(noKeep, 'leaf1', '10.100.0.10/32')).toMatchObject({
      kind: 'rack',
      nextHops: ['172.20.0.11', '172.20.0.12'],
    });
    expect(want(noKeep, 'leaf1', '10.100.0.10/32').why).toContain('Calico issue 6451');
  });

  it('communities and reachability expected from the lab file', () => {
    expect(communitiesFor(lab, '10.100.0.10/32')).toEqual(['65010:100', '65010:1:2']);
    expect(communitiesFor(lab, '10.101.0.10/32')).toEqual([]);
    expect(expectReachable(lab, 'web').ok).toBe(true);
    expect(expectReachable(lab, 'internal')).toEqual({
      ok: false,
      why: 'BGPFilter rejects its /32 toward every leaf: only the range is announced',
    });
  });
});

describe('lab render: Kubernetes and Calico manifests for services', () => {
  it('writes BGPFilters, password Secrets with their Role, Services and pinned Deployments; deploy.sh applies them', () => {
    const files = renderContainerlab(lab, { source: 'lab/services.yaml', rules: '' });
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'calico/02-bgpfilters.yaml',
        'kubernetes/01-bgp-passwords.yaml',
        'kubernetes/02-services.yaml',
      ]),
    );
    const deploy = files.find((f) => f.path === 'deploy.sh')!.content;
    expect(deploy.indexOf('calico/02-bgpfilters.yaml')).toBeLessThan(
      deploy.indexOf('calico/03-bgppeers.yaml'),
    );
    const docs = serviceManifests(lab, kindNodeNames(lab)) as {
      kind: string;
      metadata: { name: string };
      spec: Record<string, unknown>;
    }[];
    expect(docs.filter((d) => d.kind === 'Deployment').map((d) => d.metadata.name)).toEqual([
      'web-node3',
      'web-node6',
      'api-node3',
      'dns-node2',
      'dns-node5',
      'ext-node6',
      'internal-node3',
    ]);
    const seed = renderContainerlab(parseLab(readFileSync(SEED, 'utf8'), 'seed.yaml'), { rules: '' });
    expect(seed.some((f) => f.path.startsWith('kubernetes/'))).toBe(false);
    expect(serviceFiles(parseLab(readFileSync(SEED, 'utf8'), 'seed.yaml'), new Map(), 'x')).toEqual({
      files: [],
      deploy: [],
    });
  });

  it('the strict check rejects a field the API does not define', () => {
    expect(() => checkManifests([bgpConfiguration(lab), ...bgpPeers(lab)])).not.toThrow();
    const [peer] = bgpPeers(lab) as { spec: Record<string, unknown> }[];
    expect(() => checkManifests([{ ...peer, spec: { ...peer.spec, keepOriginalNexthop: true } }])).toThrow(
      /BGPPeer rr1-clients-to-reflectors: spec: .*\(keepOriginalNexthop\)/,
    );
    const [svc] = serviceManifests(lab, kindNodeNames(lab)) as { spec: Record<string, unknown> }[];
    expect(() => checkManifests([{ ...svc, spec: { ...svc.spec, externalTraficPolicy: 'Local' } }])).toThrow(
      /Service web: spec: .*\(externalTraficPolicy\)/,
    );
    expect(() =>
      checkManifests([
        {
          apiVersion: 'projectcalico.org/v3',
          kind: 'BGPFilter',
          metadata: { name: 'f' },
          spec: { exportV4: [{ action: 'Drop' }] },
        },
      ]),
    ).toThrow(/BGPFilter f: spec.exportV4.0.action/);
  });
});
