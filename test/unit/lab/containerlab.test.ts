import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { kindNodeNames, nodePatches, renderContainerlab } from '../../../src/lab/containerlab.js';
import { loadLab } from '../../../src/lab/load.js';
import { labNodes } from '../../../src/lab/schema.js';
import { SEED } from './fixtures.js';

const root = join(import.meta.dirname, '../../..');
const SHIPPED = join(root, 'containerlab/seed');
const RULES = readFileSync(join(root, 'dashboards/rules.yml'), 'utf8');
const lab = loadLab(SEED);
const files = renderContainerlab(lab, { source: 'lab/seed.yaml', rules: RULES });
const text = (path: string) => files.find((f) => f.path === path)!.content;

interface ClabNode {
  kind: string;
  exec?: string[];
  binds?: string[];
  env?: Record<string, string>;
  ports?: string[];
  image?: string;
  'startup-config'?: string;
}
const topo = parse(text('seed.clab.yml')) as {
  name: string;
  topology: { nodes: Record<string, ClabNode>; links: { endpoints: string[] }[] };
};

/** The vendored schema with what containerlab accepts but the schema lacks: extras.k8s_kind. */
function schema(): object {
  const s = JSON.parse(
    readFileSync(join(root, 'test/fixtures/containerlab/containerlab.schema.json'), 'utf8'),
  );
  s.definitions['extras-config'].properties.k8s_kind = {
    type: 'object',
    properties: {
      deploy: { type: 'object', properties: { wait: { type: 'string' } }, additionalProperties: false },
    },
    additionalProperties: false,
  };
  return s;
}

/** Interface addresses from exec lines: `ip addr add A/L dev IF` → node → [{ addr, len, dev }]. */
function execAddresses(): Map<string, { addr: string; len: number; dev: string }[]> {
  const out = new Map<string, { addr: string; len: number; dev: string }[]>();
  for (const [name, n] of Object.entries(topo.topology.nodes))
    for (const line of n.exec ?? []) {
      const m = /^ip addr add (\S+)\/(\d+) dev (\S+)$/.exec(line);
      if (m) out.set(name, [...(out.get(name) ?? []), { addr: m[1], len: Number(m[2]), dev: m[3] }]);
    }
  return out;
}
const ownerOf = (addr: string) =>
  [...execAddresses()].find(([, list]) => list.some((a) => a.addr === addr))?.[0];
const sameSubnet = (a: string, b: string, len: number) => {
  const n = (x: string) => x.split('.').reduce((v, o) => (v << 8) | Number(o), 0) >>> 0;
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return (n(a) & mask) >>> 0 === (n(b) & mask) >>> 0;
};

describe('containerlab + kind rendering of the seed lab', () => {
  it('validates against containerlab schema (ajv, strict: false)', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema());
    expect(validate(topo), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('validates with Ajv2020 too, which enforces the node:iface endpoint pattern', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    const validate = ajv.compile(schema());
    expect(validate(topo), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const broken = structuredClone(topo);
    broken.topology.links[0].endpoints[0] = 'spine-eth1';
    expect(validate(broken)).toBe(false);
  });

  it('has rackbgp switches, the kind cluster and its nodes wired to the leaves', () => {
    const nodes = topo.topology.nodes;
    for (const s of ['spine', 'leaf1', 'leaf2']) {
      expect(nodes[s]).toMatchObject({
        kind: 'linux',
        image: 'rackbgp:latest',
        binds: [`configs/${s}.yaml:/etc/rackbgp/rackbgp.yaml:ro`, 'api-token:/etc/rackbgp/api-token:ro'],
        env: { RACKBGP_API_TOKEN_FILE: '/etc/rackbgp/api-token' },
      });
      expect(files.some((f) => f.path === `configs/${s}.yaml`)).toBe(true);
    }
    expect(nodes.seed).toMatchObject({ kind: 'k8s-kind', 'startup-config': 'kind-config.yaml' });
    const ext = Object.entries(nodes)
      .filter(([, n]) => n.kind === 'ext-container')
      .map(([name]) => name);
    expect(ext).toEqual([...kindNodeNames(lab).values()]);
    expect(ext).toEqual([
      'seed-control-plane',
      'seed-worker',
      'seed-worker2',
      'seed-worker3',
      'seed-worker4',
      'seed-worker5',
    ]);
    const kind = parse(text('kind-config.yaml'));
    expect(kind).toMatchObject({
      kind: 'Cluster',
      networking: { disableDefaultCNI: true, podSubnet: '10.233.64.0/18' },
    });
    expect(kind.nodes.map((n: { role: string }) => n.role)).toEqual([
      'control-plane',
      ...Array(5).fill('worker'),
    ]);
    expect(kind.nodes.map((n: { labels: object }) => n.labels)).toEqual([
      { 'rr-group': 'rr1', 'rr-id': 'rr1' },
      { 'rr-group': 'rr1', 'rr-id': 'rr1' },
      { 'rr-group': 'rr1' },
      { 'rr-group': 'rr2', 'rr-id': 'rr2' },
      { 'rr-group': 'rr2', 'rr-id': 'rr2' },
      { 'rr-group': 'rr2' },
    ]);
  });

  it('links: two endpoints each, on existing nodes, no interface used twice', () => {
    const used = new Set<string>();
    for (const l of topo.topology.links) {
      expect(l.endpoints).toHaveLength(2);
      for (const ep of l.endpoints) {
        const [node, iface] = ep.split(':');
        expect(topo.topology.nodes[node], ep).toBeDefined();
        expect(iface).toMatch(/^eth\d+$/);
        expect(used.has(ep), `${ep} used twice`).toBe(false);
        used.add(ep);
      }
    }
    // Every interface an exec line addresses or bridges is wired.
    for (const [name, n] of Object.entries(topo.topology.nodes))
      for (const line of n.exec ?? []) {
        const dev = /dev (eth\d+)$|set (eth\d+) /.exec(line);
        if (dev) expect(used.has(`${name}:${dev[1] ?? dev[2]}`), `${name}: ${line}`).toBe(true);
      }
  });

  it('addresses and AS numbers agree across exec lines, rackbgp configs and Calico resources', () => {
    const addrs = execAddresses();
    const patches = new Map(nodePatches(lab).map((x) => [x.node, x.patch.spec.bgp]));
    const asnOf = (node: string) =>
      topo.topology.nodes[node].kind === 'linux'
        ? parseConfig(text(`configs/${node}.yaml`)).asn
        : (patches.get(node)?.asNumber as number);
    for (const sw of ['spine', 'leaf1', 'leaf2']) {
      const cfg = parseConfig(text(`configs/${sw}.yaml`));
      expect(cfg.neighbors.length).toBeGreaterThan(0);
      for (const nb of cfg.neighbors) {
        const owner = ownerOf(nb.address!);
        expect(owner, `${sw} neighbor ${nb.address}`).toBeDefined();
        expect(asnOf(owner!), `${sw} neighbor ${nb.address} (${owner})`).toBe(nb.asn);
        expect(
          addrs.get(sw)!.some((a) => sameSubnet(a.addr, nb.address!, a.len)),
          `${nb.address} on a connected subnet of ${sw}`,
        ).toBe(true);
      }
    }
    const peers = parseAllDocuments(text('calico/03-bgppeers.yaml')).map((d) => d.toJS());
    const toLeaf = peers.filter((x) => x.spec.peerIP);
    expect(toLeaf).toHaveLength(2);
    for (const x of toLeaf) {
      const leaf = ownerOf(x.spec.peerIP)!;
      expect(addrs.get(leaf)!.find((a) => a.addr === x.spec.peerIP)!.dev).toBe('br0');
      expect(parseConfig(text(`configs/${leaf}.yaml`)).asn).toBe(x.spec.asNumber);
    }
    for (const [node, bgp] of patches) {
      const eth1 = addrs.get(node)!.find((a) => a.dev === 'eth1')!.addr;
      if (bgp.routeReflectorClusterID) expect(bgp.routeReflectorClusterID).toBe(eth1);
      // The leaf lists every reflector with the node's AS.
      if (bgp.routeReflectorClusterID) {
        const leafCfgs = ['leaf1', 'leaf2'].map((l) => parseConfig(text(`configs/${l}.yaml`)));
        expect(leafCfgs.flatMap((c) => c.neighbors).find((n) => n.address === eth1)?.asn).toBe(bgp.asNumber);
      }
    }
    expect(patches.size).toBe(labNodes(lab).length);
  });

  it('Calico resources follow the guide: mesh off, BGPPeers per rack, a pool without encapsulation', () => {
    expect(parse(text('calico/01-bgpconfiguration.yaml'))).toEqual({
      apiVersion: 'projectcalico.org/v3',
      kind: 'BGPConfiguration',
      metadata: { name: 'default' },
      spec: { logSeverityScreen: 'Info', nodeToNodeMeshEnabled: false, asNumber: 64512 },
    });
    const peers = parseAllDocuments(text('calico/03-bgppeers.yaml')).map((d) => d.toJS());
    expect(peers.map((x) => [x.metadata.name, x.spec])).toEqual([
      [
        'rr1-clients-to-reflectors',
        { nodeSelector: "!has(rr-id) && rr-group == 'rr1'", peerSelector: "has(rr-id) && rr-group == 'rr1'" },
      ],
      [
        'rr1-reflector-mesh',
        { nodeSelector: "has(rr-id) && rr-group == 'rr1'", peerSelector: "has(rr-id) && rr-group == 'rr1'" },
      ],
      [
        'rr1-reflectors-to-leaf1',
        { nodeSelector: "has(rr-id) && rr-group == 'rr1'", peerIP: '172.20.0.1', asNumber: 65001 },
      ],
      [
        'rr2-clients-to-reflectors',
        { nodeSelector: "!has(rr-id) && rr-group == 'rr2'", peerSelector: "has(rr-id) && rr-group == 'rr2'" },
      ],
      [
        'rr2-reflector-mesh',
        { nodeSelector: "has(rr-id) && rr-group == 'rr2'", peerSelector: "has(rr-id) && rr-group == 'rr2'" },
      ],
      [
        'rr2-reflectors-to-leaf2',
        { nodeSelector: "has(rr-id) && rr-group == 'rr2'", peerIP: '173.20.0.1', asNumber: 65002 },
      ],
    ]);
    expect(parse(text('calico/04-ippool.yaml')).spec).toMatchObject({
      cidr: '10.233.64.0/18',
      ipipMode: 'Never',
      vxlanMode: 'Never',
    });
    const deploy = text('deploy.sh');
    const order = [
      '01-bgpconfiguration',
      'calicoctl patch node',
      'kubectl label node',
      '03-bgppeers',
      '04-ippool',
    ].map((s) => deploy.indexOf(s));
    expect(order.every((v, i) => v > 0 && (i === 0 || v > order[i - 1]))).toBe(true);
    expect(deploy).toContain('IP_AUTODETECTION_METHOD=interface=eth1');
  });

  it('switch configs: API and metrics on all addresses, actions behind the token file', () => {
    for (const sw of ['spine', 'leaf1', 'leaf2']) {
      const cfg = parseConfig(text(`configs/${sw}.yaml`));
      expect(cfg.api, sw).toEqual({ address: '::', port: 50179, 'token-file': '/etc/rackbgp/api-token' });
      expect(cfg.metrics, sw).toEqual({ address: '::', port: 9179 });
    }
    expect(text('.gitignore')).toMatch(/^\/api-token$/m);
    // deploy.sh makes the token (readable by the image's rackbgp user) before containerlab binds it.
    const deploy = text('deploy.sh');
    const made = deploy.indexOf('> api-token');
    expect(made).toBeGreaterThan(0);
    expect(deploy.indexOf('chmod 644 api-token')).toBeGreaterThan(made);
    expect(deploy.indexOf('containerlab deploy')).toBeGreaterThan(made);
  });

  it('a Prometheus node (official image) scrapes every switch on the management network with the shipped rules', () => {
    expect(topo.topology.nodes.prometheus).toEqual({
      kind: 'linux',
      image: 'prom/prometheus:v3.5.0',
      group: 'monitoring',
      binds: [
        'prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        'prometheus/rules.yml:/etc/prometheus/rules.yml:ro',
      ],
      ports: ['9090:9090'],
    });
    // On the management network only: no link of the topology reaches it.
    expect(topo.topology.links.flatMap((l) => l.endpoints).some((e) => e.startsWith('prometheus:'))).toBe(
      false,
    );
    const prom = parse(text('prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        static_configs: { targets: string[]; labels?: { role: string } }[];
      }[];
    };
    expect(prom.rule_files).toEqual(['rules.yml']);
    const job = prom.scrape_configs.find((j) => j.job_name === 'rackbgp')!;
    expect(job.static_configs).toEqual([
      { targets: ['clab-seed-spine:9179'], labels: { role: 'spine' } },
      { targets: ['clab-seed-leaf1:9179', 'clab-seed-leaf2:9179'], labels: { role: 'leaf' } },
    ]);
    // Every rackbgp node of the topology is a target, on its config's metrics port.
    const rackbgp = Object.entries(topo.topology.nodes)
      .filter(([, n]) => n.image === lab.render.rackbgpImage)
      .map(
        ([name]) =>
          `clab-${topo.name}-${name}:${(parseConfig(text(`configs/${name}.yaml`)).metrics as { port: number }).port}`,
      );
    expect(job.static_configs.flatMap((c) => c.targets).sort()).toEqual(rackbgp.sort());
    // The rules are dashboards/rules.yml, verbatim after a one-line header.
    const rules = text('prometheus/rules.yml');
    expect(rules.slice(rules.indexOf('\n') + 1)).toBe(RULES);
    expect(parse(rules).groups.length).toBeGreaterThan(0);
  });

  it('the lab file chooses the Prometheus image; a device named prometheus is refused', () => {
    const custom = {
      ...lab,
      render: { ...lab.render, prometheusImage: 'quay.io/prometheus/prometheus:v3.5.0' },
    };
    const t = parse(
      renderContainerlab(custom, { rules: RULES }).find((f) => f.path === 'seed.clab.yml')!.content,
    );
    expect(t.topology.nodes.prometheus.image).toBe('quay.io/prometheus/prometheus:v3.5.0');
    const clash = { ...lab, name: 'prometheus' }; // the kind cluster's node takes the lab's name
    expect(() => renderContainerlab(clash, { rules: RULES })).toThrow(/named prometheus/);
  });

  it('the shipped containerlab/seed/ equals a fresh render (npm run lab:render regenerates it)', () => {
    const shipped = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) =>
        statSync(join(dir, f)).isDirectory() ? shipped(join(dir, f)) : [join(dir, f)],
      );
    expect(existsSync(SHIPPED)).toBe(true);
    // api-token is deploy.sh's (git-ignored), not rendered.
    expect(
      shipped(SHIPPED)
        .map((f) => relative(SHIPPED, f))
        .filter((f) => f !== 'api-token')
        .sort(),
    ).toEqual(files.map((f) => f.path).sort());
    for (const f of files) {
      expect(
        readFileSync(join(SHIPPED, f.path), 'utf8'),
        `${f.path} differs from a fresh render (dashboards/rules.yml or the renderer changed): npm run lab:render`,
      ).toBe(f.content);
      if (f.executable) expect(statSync(join(SHIPPED, f.path)).mode & 0o111).not.toBe(0);
    }
  });
});
