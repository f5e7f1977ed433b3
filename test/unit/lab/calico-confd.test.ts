import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readConfdDir, renderConfd } from '../../../src/lab/confd.js';
import { type BlockAffinity, confdCache, resourcesFromManifests } from '../../../src/lab/confd-keys.js';

const FIXTURES = join(__dirname, '../../fixtures/calico');
const TEMPLATES = join(__dirname, '../../../lab/calico-templates/v3.28.2');

/** confd/tests/mock_data/etcd/block: "<key> <json>" lines, loaded into etcd before every test. */
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

/** Calico's test harness compares with `diff --ignore-blank-lines` (confd/tests/test_suite_common.sh). */
const withoutBlankLines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .join('\n');

function render(testCase: string, env: Record<string, string> = {}): Map<string, string> {
  const docs = parseAllDocuments(readFileSync(join(FIXTURES, testCase, 'input.yaml'), 'utf8')).map((d) =>
    d.toJS(),
  );
  const cache = confdCache(resourcesFromManifests(docs, etcdBlocks()));
  return renderConfd(readConfdDir(TEMPLATES), cache, { NODENAME: 'kube-master', ...env });
}

/** Every case vendored from confd/tests; test_suite_common.sh runs mesh/hash with CALICO_ROUTER_ID=hash. */
const CASES: [string, Record<string, string>?][] = [
  ['explicit_peering/global'],
  ['explicit_peering/global-external'],
  ['explicit_peering/global-ipv6'],
  ['explicit_peering/keepnexthop'],
  ['explicit_peering/keepnexthop-global'],
  ['explicit_peering/local-as'],
  ['explicit_peering/local-as-global'],
  ['explicit_peering/route_reflector'],
  ['explicit_peering/route_reflector_v6_by_ip'],
  ['explicit_peering/selectors'],
  ['explicit_peering/specific_node'],
  ['mesh/bgp-export'],
  ['mesh/hash', { CALICO_ROUTER_ID: 'hash' }],
  ['mesh/ipip-always'],
  ['mesh/ipip-cross-subnet'],
  ['mesh/ipip-off'],
  ['mesh/restart-time'],
  ['mesh/route-reflector-mesh-enabled'],
  ['mesh/vxlan-always'],
];
const FILES = ['bird.cfg', 'bird_aggr.cfg', 'bird_ipam.cfg', 'bird6.cfg', 'bird6_aggr.cfg', 'bird6_ipam.cfg'];

describe("Calico v3.28.2's confd templates executed by rackbgp", () => {
  for (const [testCase, env] of CASES)
    it(`${testCase}: the six files are Calico's compiled fixtures, byte for byte but blank lines`, () => {
      const out = render(testCase, env);
      for (const file of FILES) {
        const want = readFileSync(join(FIXTURES, testCase, 'compiled', file), 'utf8');
        expect(withoutBlankLines(out.get(file)!), `${testCase}/${file}`).toBe(withoutBlankLines(want));
      }
    });

  it('route reflection (explicit_peering/route_reflector) differs from the fixture in one blank line only', () => {
    const out = render('explicit_peering/route_reflector');
    for (const file of FILES) {
      const want = readFileSync(join(FIXTURES, 'explicit_peering/route_reflector', 'compiled', file), 'utf8');
      if (file === 'bird_aggr.cfg') expect(out.get(file)!.replace('}\n\n', '}\n\n\n')).toBe(want);
      else expect(out.get(file), file).toBe(want);
    }
  });

  it('a field Calico has but the datastore builder does not implement is an error, not ignored', () => {
    const docs = [
      { kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { nodeMeshPassword: {} } },
    ];
    expect(() => confdCache(resourcesFromManifests(docs))).toThrow(
      /BGPConfiguration default: field nodeMeshPassword is not implemented/,
    );
  });
});
