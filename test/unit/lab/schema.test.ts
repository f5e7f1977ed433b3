import { describe, expect, it } from 'vitest';
import { loadLab, parseLab } from '../../../src/lab/load.js';
import { isReflector, labNodes } from '../../../src/lab/schema.js';
import { labErrors } from '../support/problems.js';
import { MINI, SEED } from './fixtures.js';

describe('lab file', () => {
  it('loads the seed topology of the guide: 1 spine, 2 leaves, 3 nodes per leaf, 2 reflectors per rack', () => {
    const lab = loadLab(SEED);
    expect(lab.spines.map((s) => [s.name, s.asn])).toEqual([['spine', 65000]]);
    expect(lab.leaves.map((l) => [l.name, l.asn, l.uplinks[0].leafIp, l.uplinks[0].spineIp])).toEqual([
      ['leaf1', 65001, '10.0.1.1', '10.0.1.2'],
      ['leaf2', 65002, '10.0.2.1', '10.0.2.2'],
    ]);
    expect(lab.racks.map((r) => [r.name, r.leaf, r.asn, r.gateway, r.rrGroup])).toEqual([
      ['rack1', 'leaf1', 64512, '172.20.0.1', 'rr1'],
      ['rack2', 'leaf2', 64513, '173.20.0.1', 'rr2'],
    ]);
    expect(labNodes(lab).map((n) => [n.name, n.ip, n.rrId ?? '-', n.block])).toEqual([
      ['node1', '172.20.0.11', 'rr1', '10.233.64.0/26'],
      ['node2', '172.20.0.12', 'rr1', '10.233.65.0/26'],
      ['node3', '172.20.0.13', '-', '10.233.66.0/26'],
      ['node4', '173.20.0.11', 'rr2', '10.233.67.0/26'],
      ['node5', '173.20.0.12', 'rr2', '10.233.68.0/26'],
      ['node6', '173.20.0.13', '-', '10.233.69.0/26'],
    ]);
    expect(lab.calico).toMatchObject({ defaultAsn: 64512, pool: '10.233.64.0/18', blockSize: 26 });
    expect(lab.calico.pool6).toBeUndefined();
  });

  it('fills in addresses, blocks, router ids and rr-group', () => {
    const lab = parseLab(MINI);
    expect(lab.spines[0].routerId).toBe('10.0.1.2');
    expect(lab.leaves[1].routerId).toBe('10.0.2.1');
    const [n1, n2, n3] = labNodes(lab);
    expect([n1.ip, n2.ip, n3.ip]).toEqual(['10.1.1.11', '10.1.1.12', '10.1.2.11']);
    expect([n1.block, n2.block, n3.block]).toEqual(['10.244.0.0/26', '10.244.0.64/26', '10.244.0.128/26']);
    expect([isReflector(n1), isReflector(n2)]).toEqual([true, false]);
    expect(lab.racks[0].rrGroup).toBe('ra');
    expect(n1.pods).toBe(1);
    expect(lab.render).toEqual({
      rackbgpImage: 'rackbgp:latest',
      calicoVersion: 'v3.28.2',
      prometheusImage: 'prom/prometheus:v3.5.0',
    });
  });

  it('dual stack: IPv6 addresses and blocks beside the IPv4 ones', () => {
    const lab = parseLab(
      MINI.replace(
        'calico: { pool: 10.244.0.0/16 }',
        'calico: { pool: 10.244.0.0/16, pool6: "fd00:244::/64" }',
      )
        .replace(/subnet: (10\.0\.(\d)\.0\/30)/g, 'subnet: $1, subnet6: "fd00:0:$2::/64"')
        .replace('subnet: 10.1.1.0/24', 'subnet: 10.1.1.0/24\n    subnet6: "fd00:1:1::/64"')
        .replace('subnet: 10.1.2.0/24', 'subnet: 10.1.2.0/24\n    subnet6: "fd00:1:2::/64"'),
    );
    const [n1, , n3] = labNodes(lab);
    expect([n1.ip6, n1.block6, n3.ip6, n3.block6]).toEqual([
      'fd00:1:1::b',
      'fd00:244::/122',
      'fd00:1:2::b',
      'fd00:244::80/122',
    ]);
    expect(lab.racks[0].gateway6).toBe('fd00:1:1::1');
    expect(lab.leaves[0].uplinks[0]).toMatchObject({ leafIp6: 'fd00:0:1::1', spineIp6: 'fd00:0:1::2' });
  });

  it('names file, line, column and key of an unknown key', () => {
    expect(labErrors(MINI.replace('    asn: 64513', '    asn: 64513\n    colour: blue'))).toEqual([
      "lab.yaml:17:5: racks[1].colour: unknown key 'colour'",
    ]);
  });

  it('reports references to switches that do not exist, at the reference', () => {
    expect(labErrors(MINI.replace('leaf: lb', 'leaf: lc'))).toEqual([
      "lab.yaml:14:11: racks[1].leaf: no leaf named 'lc'",
    ]);
    expect(
      labErrors(MINI.replace('spine: sp, subnet: 10.0.2.0/30', 'spine: sx, subnet: 10.0.2.0/30')),
    ).toEqual(["lab.yaml:6:48: leaves[1].uplinks[0].spine: no spine named 'sx'"]);
  });

  it('refuses address plans that cannot work, saying why', () => {
    expect(labErrors(MINI.replace('asn: 64513', 'asn: 64512'))[0]).toMatch(
      /racks\[1\]\.asn: AS 64512 is also ra's: BIRD would drop each rack's blocks as AS-path loops/,
    );
    expect(labErrors(MINI.replace('{ name: n2 }', '{ name: n2, ip: 10.1.1.11 }'))[0]).toMatch(
      /racks\[0\]\.nodes\[1\]\.ip: 10\.1\.1\.11 is already used by racks\.0\.nodes\.0\.ip/,
    );
    expect(labErrors(MINI.replace('{ name: n2 }', '{ name: n2, ip: 10.9.9.9 }'))[0]).toMatch(
      /nodes\[1\]\.ip: 10\.9\.9\.9 is not in 10\.1\.1\.0\/24/,
    );
    expect(labErrors(MINI.replace('{ name: n2 }', '{ name: n2, block: 10.244.0.0/26 }'))[0]).toMatch(
      /nodes\[1\]\.block: 10\.244\.0\.0\/26 overlaps racks\.0\.nodes\.0/,
    );
    expect(labErrors(MINI.replace('{ name: n2 }', '{ name: n2, block: 10.99.0.0/26 }'))[0]).toMatch(
      /is not in 10\.244\.0\.0\/16/,
    );
    expect(labErrors(MINI.replace('{ name: n3, rr-id: rb }', '{ name: n3 }'))[0]).toMatch(
      /racks\[1\]\.nodes: no route reflector/,
    );
    expect(labErrors(MINI.replace('name: lb', 'name: n1'))[0]).toMatch(
      /'n1' is already the name of leaves\.1/,
    );
    expect(labErrors(MINI.replace('asn: 65002', 'asn: 65000'))[0]).toMatch(
      /leaves\[1\]\.asn: AS 65000 is a spine's AS/,
    );
    expect(labErrors(MINI.replace('subnet: 10.1.2.0/24', 'subnet: "fd00::/64"'))[0]).toMatch(
      /racks\[1\]\.subnet: must be an IPv4 prefix/,
    );
    expect(
      labErrors(
        MINI.replace(
          'calico: { pool: 10.244.0.0/16 }',
          'calico: { pool: 10.244.0.0/16, pool6: "fd00::/64" }',
        ),
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/leaves\[0\]\.uplinks\[0\]: calico\.pool6 is set: every uplink needs subnet6/),
      ]),
    );
  });

  it('says which key is missing, and where its parent is', () => {
    expect(labErrors(MINI.replace('    asn: 64513\n', ''))).toEqual([
      "lab.yaml:13:5: racks[1].asn: Invalid input: expected number, received undefined (missing 'asn')",
    ]);
  });

  it('reports a YAML syntax error with its position', () => {
    expect(labErrors('name: [x\n')[0]).toMatch(/^lab\.yaml:2:1: /);
  });
});
