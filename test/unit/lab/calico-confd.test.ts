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

function render(testCase: string): Map<string, string> {
  const docs = parseAllDocuments(readFileSync(join(FIXTURES, testCase, 'input.yaml'), 'utf8')).map((d) =>
    d.toJS(),
  );
  const cache = confdCache(resourcesFromManifests(docs, etcdBlocks()));
  return renderConfd(readConfdDir(TEMPLATES), cache, { NODENAME: 'kube-master' });
}

describe("Calico v3.28.2's confd templates executed by rackbgp", () => {
  for (const testCase of ['explicit_peering/route_reflector', 'mesh/ipip-off']) {
    const out = render(testCase);
    for (const file of [
      'bird.cfg',
      'bird_aggr.cfg',
      'bird_ipam.cfg',
      'bird6.cfg',
      'bird6_aggr.cfg',
      'bird6_ipam.cfg',
    ])
      it(`${testCase}: ${file} is Calico's compiled fixture, byte for byte but blank lines`, () => {
        const want = readFileSync(join(FIXTURES, testCase, 'compiled', file), 'utf8');
        expect(withoutBlankLines(out.get(file)!)).toBe(withoutBlankLines(want));
      });
  }
});
