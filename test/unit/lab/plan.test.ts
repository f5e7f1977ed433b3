import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { loadLab } from '../../../src/lab/load.js';
import { labSessions } from '../../../src/lab/peerings.js';
import { type LabPlan, plan } from '../../../src/lab/plan.js';
import { labNodes } from '../../../src/lab/schema.js';
import { DUAL, SEED } from './fixtures.js';

const lab = loadLab(SEED);
const p: LabPlan = plan(lab, {
  workDir: '/run/rackbgp-lab/seed',
  node: '/usr/bin/node',
  cli: '/opt/rackbgp/main.js',
});
const ns = (device: string) => p.namespaces.find((n) => n.device === device)!;
const file = (path: string) => p.files.find((f) => f.path === `/run/rackbgp-lab/seed/${path}`)!.content;
/** BIRD config → { protocol name: its lines } for the BGP peers. */
const birdPeers = (text: string) =>
  Object.fromEntries(
    [...text.matchAll(/protocol bgp (\S+) from bgp_template \{\n([\s\S]*?)\n\}/g)].map((m) => [
      m[1],
      m[2]
        .split('\n')
        .map((l) => l.trim().replace(/\s*#.*$/, ''))
        .filter(Boolean),
    ]),
  );

describe('lab plan of the seed topology', () => {
  it('has a namespace per switch, node and pod, named after the lab', () => {
    expect(p.namespaces.map((n) => `${n.ns}:${n.role}`)).toEqual([
      'rbl-seed-spine:spine',
      'rbl-seed-leaf1:leaf',
      'rbl-seed-leaf2:leaf',
      ...[1, 2, 3, 4, 5, 6].map((i) => `rbl-seed-node${i}:node`),
      ...[1, 2, 3, 4, 5, 6].map((i) => `rbl-seed-node${i}-pod1:pod`),
    ]);
    expect(ns('leaf1').sysctls).toEqual(
      expect.arrayContaining(['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']),
    );
    expect(ns('node3').sysctls).toContain('net.ipv4.ip_forward=1');
    expect(ns('node3-pod1').sysctls).not.toContain('net.ipv4.ip_forward=1');
  });

  it('wires spine eth1/eth2 to the leaves, each leaf to its three nodes, each node to its pod', () => {
    expect(p.links.map((l) => `${l.a.device}:${l.a.dev}-${l.b.device}:${l.b.dev}`)).toEqual([
      'spine:eth1-leaf1:eth1',
      'spine:eth2-leaf2:eth1',
      'leaf1:eth2-node1:eth1',
      'leaf1:eth3-node2:eth1',
      'leaf1:eth4-node3:eth1',
      'node1:calipod1-node1-pod1:eth0',
      'node2:calipod1-node2-pod1:eth0',
      'node3:calipod1-node3-pod1:eth0',
      'leaf2:eth2-node4:eth1',
      'leaf2:eth3-node5:eth1',
      'leaf2:eth4-node6:eth1',
      'node4:calipod1-node4-pod1:eth0',
      'node5:calipod1-node5-pod1:eth0',
      'node6:calipod1-node6-pod1:eth0',
    ]);
  });

  it('addresses: uplinks /30, the rack segment on the leaf bridge, Felix routes on nodes, Calico pods', () => {
    expect(ns('spine').ip).toEqual(
      expect.arrayContaining(['addr add 10.0.1.2/30 dev eth1', 'addr add 10.0.2.2/30 dev eth2']),
    );
    expect(ns('leaf1').ip).toEqual([
      'link set lo up',
      'addr add 10.0.1.1/30 dev eth1',
      'link set eth1 up',
      'link add br0 type bridge',
      'link set eth2 master br0',
      'link set eth2 up',
      'link set eth3 master br0',
      'link set eth3 up',
      'link set eth4 master br0',
      'link set eth4 up',
      'addr add 172.20.0.1/24 dev br0',
      'link set br0 up',
    ]);
    expect(ns('node4').ip).toEqual([
      'link set lo up',
      'addr add 173.20.0.11/24 dev eth1',
      'link set eth1 up',
      'link set calipod1 address ee:ee:ee:ee:ee:ee',
      'link set calipod1 up',
      'route add 10.233.67.1/32 dev calipod1 scope link',
    ]);
    expect(ns('node4').linkSysctls).toContain('net.ipv4.conf.calipod1.proxy_arp=1');
    expect(ns('node4-pod1').ip).toEqual([
      'link set lo up',
      'addr add 10.233.67.1/32 dev eth0',
      'link set eth0 up',
      'route add 169.254.1.1 dev eth0 scope link',
      'route add default via 169.254.1.1 dev eth0',
      'neigh add 169.254.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent',
    ]);
    expect(p.owners.get('172.20.0.1')).toBe('leaf1');
    expect(p.owners.get('10.0.2.2')).toBe('spine');
    expect(p.owners.get('10.233.69.1')).toBe('node6-pod1');
  });

  it('sessions: spine-leaf eBGP, per rack clients → both reflectors, reflector mesh, reflectors → leaf', () => {
    const text = labSessions(lab).map((s) => `${s.kind} ${s.ends[0].device}-${s.ends[1].device}`);
    expect(text).toEqual([
      'spine-leaf spine-leaf1',
      'spine-leaf spine-leaf2',
      'leaf-reflector leaf1-node1',
      'reflector-reflector node1-node2',
      'leaf-reflector leaf1-node2',
      'client-reflector node3-node1',
      'client-reflector node3-node2',
      'leaf-reflector leaf2-node4',
      'reflector-reflector node4-node5',
      'leaf-reflector leaf2-node5',
      'client-reflector node6-node4',
      'client-reflector node6-node5',
    ]);
  });

  it('who is rr client of whom: reflectors treat the other reflector and the clients as clients, not the leaf', () => {
    const clientsOf = (device: string) =>
      p.sessions.flatMap((s) => {
        const i = s.ends.findIndex((e) => e.device === device);
        return i >= 0 && s.ends[i].peerIsClient ? [s.ends[1 - i].device] : [];
      });
    expect(clientsOf('node1')).toEqual(['node2', 'node3']);
    expect(clientsOf('node2')).toEqual(['node1', 'node3']);
    expect(clientsOf('node3')).toEqual([]);
    expect(clientsOf('leaf1')).toEqual([]);
    expect(clientsOf('node4')).toEqual(['node5', 'node6']);
  });

  it("renders each node's BIRD files from Calico's templates for its role", () => {
    const rr = birdPeers(file('node1/bird.cfg'));
    expect(Object.keys(rr)).toEqual(['Node_172_20_0_1', 'Node_172_20_0_12', 'Node_172_20_0_13']);
    // Every peer as the templates write it: ttl security off + multihop, import accept, export filter.
    const common = (peer: string, internal: boolean) => [
      'ttl security off;',
      'multihop;',
      `neighbor ${peer};`,
      'source address 172.20.0.11;',
      'import filter {',
      'accept;',
      '};',
      'export filter {',
      `calico_export_to_bgp_peers(${internal});`,
      'reject;',
      '};',
    ];
    // Reflector → leaf: eBGP, no rr client; → node2 (another cluster id) and node3: rr client with its own id.
    expect(rr.Node_172_20_0_1).toEqual(common('172.20.0.1 as 65001', false));
    // Selector BGPPeers: no `passive on` at either end (both dial, collision resolution decides).
    expect(rr.Node_172_20_0_12).toEqual([
      ...common('172.20.0.12 as 64512', true),
      'rr client;',
      'rr cluster id 172.20.0.11;',
    ]);
    expect(rr.Node_172_20_0_13).toContain('rr client;');
    // The client peers with its two reflectors only, never as a reflector.
    const client = birdPeers(file('node3/bird.cfg'));
    expect(Object.keys(client)).toEqual(['Node_172_20_0_11', 'Node_172_20_0_12']);
    expect(client.Node_172_20_0_11).not.toContain('passive on;');
    expect(client.Node_172_20_0_11).not.toContain('rr client;');
    const conf = file('node6/bird.cfg');
    expect(conf).toContain('include "bird_aggr.cfg";\ninclude "bird_ipam.cfg";');
    expect(conf).toContain('local as 64513;');
    expect(conf).toContain('router id 173.20.0.13;');
    expect(conf).toMatch(/connect delay time 2;\n {2}connect retry time 5;\n {2}error wait time 5,30;/);
    // bird_aggr.cfg: BIRD blackholes the block itself and exports it, not the pods' /32s beneath it.
    const aggr = file('node6/bird_aggr.cfg');
    expect(aggr).toContain(
      'protocol static {\n   # IP blocks for this host.\n   route 10.233.69.0/26 blackhole;\n}',
    );
    expect(aggr).toContain(
      'if ( net = 10.233.69.0/26 ) then { accept; }\n      if ( net ~ 10.233.69.0/26 ) then { reject; }',
    );
    // bird_ipam.cfg: the pool is exported; Debian's BIRD has no krt_tunnel, so that line is gone.
    const ipam = file('node6/bird_ipam.cfg');
    expect(ipam).toContain('  calico_aggr();');
    expect(ipam).toContain('  if ( net ~ 10.233.64.0/18 ) then {\n    accept;\n  }');
    expect(ipam).not.toContain('krt_tunnel');
    expect(file('node4/bird.cfg')).toContain(
      '# This node (node4) is configured as a route reflector with cluster ID 173.20.0.11;',
    );
  });

  it('renders rackbgp configs the daemon accepts: eBGP up and down, ECMP, fib on', () => {
    const spine = parseConfig(file('spine/rackbgp.yaml'));
    expect(spine).toMatchObject({ asn: 65000, 'router-id': '10.0.0.1', fib: true, 'maximum-paths': 4 });
    expect(spine.neighbors.map((n) => [n.address, n.asn])).toEqual([
      ['10.0.1.1', 65001],
      ['10.0.2.1', 65002],
    ]);
    const leaf = parseConfig(file('leaf2/rackbgp.yaml'));
    expect(leaf).toMatchObject({
      asn: 65002,
      fib: true,
      'maximum-paths': 4,
      api: { address: '127.0.0.1', port: 50179 },
    });
    expect(leaf.neighbors.map((n) => [n.address, n.asn, n.passive ?? false])).toEqual([
      ['10.0.2.2', 65000, false],
      ['173.20.0.11', 64513, true],
      ['173.20.0.12', 64513, true],
    ]);
  });

  it('starts rackbgp in each switch and BIRD in each node, in the foreground, with per-device files', () => {
    expect(p.processes.map((x) => `${x.device}:${x.name}`)).toEqual([
      'spine:rackbgp',
      'leaf1:rackbgp',
      'leaf2:rackbgp',
      ...labNodes(lab).map((n) => `${n.name}:bird`),
    ]);
    expect(p.processes[1].argv).toEqual([
      '/usr/bin/node',
      '/opt/rackbgp/main.js',
      'run',
      '-c',
      '/run/rackbgp-lab/seed/leaf1/rackbgp.yaml',
      '--log-level',
      'info',
    ]);
    expect(p.processes[3].argv).toEqual([
      '/usr/sbin/bird',
      '-d',
      '-c',
      '/run/rackbgp-lab/seed/node1/bird.cfg',
      '-s',
      '/run/rackbgp-lab/seed/node1/bird.ctl',
    ]);
  });

  it('staggers the BIRDs by monotonic second: clients at 0.4 s, then reflector 1, then reflector 2', () => {
    // Every pair of BIRDs that both dial then has one first dialer (BIRD 1.6, connect delay 2 s):
    // a client dials both reflectors at 2.4 s, before either is due (3 s, 4 s) and after both
    // listen; reflector 1 dials reflector 2 at 3 s, a second before reflector 2 is due.
    expect(p.processes.filter((x) => x.name !== 'rackbgp').map((x) => `${x.device}@${x.startAt}`)).toEqual([
      'node1@1000',
      'node2@2000',
      'node3@400',
      'node4@1000',
      'node5@2000',
      'node6@400',
    ]);
    expect(p.processes.filter((x) => x.name === 'rackbgp').every((x) => x.startAt === undefined)).toBe(true);
    const dual = plan(loadLab(DUAL), { workDir: '/w', node: 'node', cli: 'cli' });
    const at = (device: string, name: string) =>
      dual.processes.find((x) => x.device === device && x.name === name)!.startAt;
    expect([at('node2', 'bird'), at('node2', 'bird6'), at('node6', 'bird6')]).toEqual([2000, 2000, 400]);
  });

  it('dual stack (lab/dual-stack.yaml) adds bird6, IPv6 sessions, a listener on ::, addresses and pod routes', () => {
    const dual = loadLab(DUAL);
    const d = plan(dual, { workDir: '/w', node: 'node', cli: 'cli' });
    expect(d.processes.filter((x) => x.name === 'bird6')).toHaveLength(6);
    expect(d.sessions.filter((s) => s.family === 6)).toHaveLength(12);
    expect(Object.keys(birdPeers(d.files.find((f) => f.path === '/w/node3/bird6.cfg')!.content))).toEqual([
      'Node_fd00_172_20__b',
      'Node_fd00_172_20__c',
    ]);
    expect(d.namespaces.find((n) => n.device === 'node1')!.ip).toEqual(
      expect.arrayContaining(['addr add fd00:172:20::b/64 dev eth1 nodad']),
    );
    expect(d.namespaces.find((n) => n.device === 'node1-pod1')!.ip).toEqual(
      expect.arrayContaining([
        'addr add fd00:10:233::1/128 dev eth0 nodad',
        'route add default via fe80::ecee:eeff:feee:eeee dev eth0',
      ]),
    );
    const bird6 = d.files.find((f) => f.path === '/w/node1/bird6.cfg')!.content;
    expect(d.files.find((f) => f.path === '/w/node1/bird6_aggr.cfg')!.content).toContain(
      'route fd00:10:233::/122 blackhole;',
    );
    expect(bird6).toContain('neighbor fd00:172:20::1 as 65001;');
    expect(bird6).toContain('router id 172.20.0.11;');
    expect(bird6).toContain('rr cluster id 172.20.0.11;');
    const leaf1 = parseConfig(d.files.find((f) => f.path === '/w/leaf1/rackbgp.yaml')!.content);
    expect(leaf1.neighbors.map((n) => n.address)).toEqual([
      '10.0.1.2',
      'fd00:0:1::2',
      '172.20.0.11',
      'fd00:172:20::b',
      '172.20.0.12',
      'fd00:172:20::c',
    ]);
    expect(leaf1.listen).toEqual({ address: '::', port: 179 }); // 0.0.0.0 would refuse the IPv6 peers
    expect(parseConfig(file('leaf1/rackbgp.yaml')).listen).toEqual({ address: '0.0.0.0', port: 179 });
  });
});
