import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readConfdDir, renderConfd } from '../../../src/lab/confd.js';
import { type BlockAffinity, confdCache, resourcesFromManifests } from '../../../src/lab/confd-keys.js';
import { serviceRouteKeys } from '../../../src/lab/confd-routes.js';

const FIXTURES = join(__dirname, '../../fixtures/calico');
const TEMPLATES = join(__dirname, '../../../lab/calico-templates/v3.28.2');

/** confd/tests/mock_data/etcd/block, loaded into etcd before every test of Calico's suite. */
function etcdBlocks(): BlockAffinity[] {
  return readFileSync(join(FIXTURES, 'etcd-block'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [key, value] = l.split(' ');
      const m = /^\/calico\/ipam\/v2\/host\/([^/]+)\/ipv[46]\/block\/(.+)-(\d+)$/.exec(key)!;
      return { host: m[1], cidr: `${m[2]}/${m[3]}`, state: (JSON.parse(value).state as string) ?? '' };
    });
}

const withoutBlankLines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .join('\n');

const docs = (file: string) =>
  parseAllDocuments(readFileSync(join(FIXTURES, file), 'utf8')).map((d) => d.toJS());

function render(testCase: string, node: string, extra: string[] = []): Map<string, string> {
  const all = [`${testCase}/input.yaml`, ...extra].flatMap((f) => docs(f));
  const res = resourcesFromManifests(all, etcdBlocks());
  const cache = new Map([...confdCache(res), ...serviceRouteKeys(res, node)]);
  return renderConfd(readConfdDir(TEMPLATES), cache, { NODENAME: node });
}

const FILES = ['bird.cfg', 'bird_aggr.cfg', 'bird_ipam.cfg', 'bird6.cfg', 'bird6_aggr.cfg', 'bird6_ipam.cfg'];

/**
 * Calico's own compiled fixtures (confd/tests/compiled_templates, v3.28.2) for the features the
 * services lab uses; test_suite_common.sh compares with `diff --ignore-blank-lines`. The inputs of
 * the bgpfilter cases and password/step3 are the resources test_suite_common.sh applies
 * inline (turn_mesh_off first), vendored as input.yaml.
 */
const CASES: [string, string, string[]?][] = [
  ['mesh/communities', 'kube-master'],
  ['mesh/static-routes', 'kube-master', ['mesh/static-routes/kubectl-input.yaml']],
  ['bgpfilter/match_operators', 'kube-master'],
  ['bgpfilter/match_source', 'kube-master'],
  ['bgpfilter/match_interface', 'kube-master'],
  ['bgpfilter/single_filter/explicit_peer', 'kube-master'],
  ['bgpfilter/multi_filter/explicit_peer', 'kube-master'],
  ['password/step3', 'node1'],
];

describe('communities, service IPs, BGPFilters and peer passwords in the confd datastore', () => {
  for (const [testCase, node, extra] of CASES)
    it(`${testCase}: the six files are Calico's compiled fixtures but blank lines`, () => {
      const out = render(testCase, node, extra);
      for (const file of FILES) {
        const want = readFileSync(join(FIXTURES, testCase, 'compiled', file), 'utf8');
        expect(withoutBlankLines(out.get(file)!), `${testCase}/${file}`).toBe(withoutBlankLines(want));
      }
    });

  it('prefix advertisements: names resolved, literal values kept, sorted and unique, both families', () => {
    const res = resourcesFromManifests(docs('mesh/communities/input.yaml'));
    const cache = confdCache(res);
    expect(cache.get('/calico/bgp/v1/global/prefix_advertisements/ip_v4')).toBe(
      '[{"cidr":"192.168.0.0/16","communities":["100:555:107","100:6532","5663:12"]}]',
    );
    expect(cache.get('/calico/bgp/v1/global/prefix_advertisements/ip_v6')).toBe(
      '[{"cidr":"fd00:96::/112","communities":["100:555:107"]}]',
    );
  });

  it('a Local service is a /32 static route only on nodes with an endpoint of its family', () => {
    const res = resourcesFromManifests([
      ...docs('mesh/static-routes/input.yaml'),
      ...docs('mesh/static-routes/kubectl-input.yaml'),
    ]);
    expect([...serviceRouteKeys(res, 'kube-master').keys()].sort()).toEqual([
      '/calico/staticroutes/10.101.0.101-32',
      '/calico/staticroutesv6/fd00:96::28-128',
    ]);
    expect([...serviceRouteKeys(res, 'kube-node-1').keys()]).toEqual([
      '/calico/staticroutes/10.101.0.102-32',
    ]);
    expect([...serviceRouteKeys(res, 'kube-node-2').keys()]).toEqual([]);
    const cache = confdCache(res);
    // The ranges: announced from every node, kept out of the kernel; the single LB IPs are not ranges.
    expect(cache.get('/calico/staticroutes/10.101.0.0-16')).toBe('10.101.0.0/16');
    expect(cache.get('/calico/rejectcidrs/80.15.0.0-24')).toBe('80.15.0.0/24');
    expect(cache.get('/calico/staticroutesv6/fd00:96::-112')).toBe('fd00:96::/112');
  });
});
