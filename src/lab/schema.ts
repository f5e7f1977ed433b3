/**
 * The lab file (YAML, kebab-case keys like the daemon's config): spines, leaves with their uplinks,
 * racks of Kubernetes nodes running Calico in route-reflector mode. Validated with zod, then resolved
 * into a `Lab` with every default filled in (addresses, pod blocks, router ids), so the netns
 * planner and the containerlab renderer read one and the same object.
 */
import { z } from 'zod';
import { parsePrefix } from '../util/ip.js';
import { compareAddr, contains, hostAt, overlaps, parseNet, subnetAt, within } from './addr.js';
import {
  anyPrefix,
  asn,
  community,
  deviceName,
  type filterRule,
  filterShape,
  ipv4,
  ipv6,
  labelValue,
  leafPeeringShape,
  prefixOf,
  serviceShape,
} from './schema-fields.js';

const nodeShape = z.strictObject({
  name: deviceName,
  /** Node address on the rack segment (default: host 11, 12, … of the rack subnet). */
  ip: ipv4.optional(),
  ip6: ipv6.optional(),
  /** Calico label rr-id: set on the rack's route reflectors (routeReflectorClusterID = own IP). */
  'rr-id': labelValue.optional(),
  /** The node's Calico IPAM block (default: the next free block of the pool, in file order). */
  block: prefixOf(4).optional(),
  block6: prefixOf(6).optional(),
  /** Pods (addresses in the block, each in its own namespace); default calico.pods-per-node. */
  pods: z.number().int().min(0).max(16).optional(),
});

const rackShape = z.strictObject({
  name: deviceName,
  /** The leaf switch the rack hangs off: one L2 segment, the leaf is its gateway. */
  leaf: deviceName,
  subnet: prefixOf(4),
  /** The leaf's address on the segment (default: host 1 of the subnet). */
  gateway: ipv4.optional(),
  subnet6: prefixOf(6).optional(),
  gateway6: ipv6.optional(),
  /** Node spec.bgp.asNumber of every node in the rack. */
  asn,
  /** Calico label rr-group (default: the rack name). */
  'rr-group': labelValue.optional(),
  /** The reflectors → leaf BGPPeer's optional fields. */
  'leaf-peering': leafPeeringShape.optional(),
  nodes: z.array(nodeShape).min(1),
});

const uplinkShape = z.strictObject({
  spine: deviceName,
  /** Point-to-point subnet: host 1 is the leaf, host 2 the spine. */
  subnet: prefixOf(4),
  subnet6: prefixOf(6).optional(),
});

const labShape = z.strictObject({
  /** Lab name: part of every namespace name (rbl-<name>-<device>) and of the kind cluster. */
  name: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, 'must be 1-12 lowercase letters or digits'),
  description: z.string().optional(),
  /** Spine ↔ leaf links: addressed from the uplink subnets, or unnumbered (IPv6 link-local, RFC 8950). */
  fabric: z.enum(['numbered', 'unnumbered']).default('numbered'),
  /**
   * BFD (300 ms × 3) on the switch-to-switch sessions (leaf ↔ spine, all rackbgp). Not towards the
   * reflectors: calico-node's BIRD 1.6 has no BFD.
   */
  bfd: z.boolean().default(false),
  calico: z.strictObject({
    /** BGPConfiguration asNumber (nodes without their own AS). */
    'default-asn': asn.default(64512),
    /** The IPPool (encapsulation None); nodes' blocks come out of it. */
    pool: prefixOf(4),
    'block-size': z.number().int().min(20).max(32).default(26),
    pool6: prefixOf(6).optional(),
    'block-size6': z.number().int().min(116).max(128).default(122),
    'pods-per-node': z.number().int().min(0).max(16).default(1),
    /** BGPConfiguration default: service ranges announced from every node (CRD serviceClusterIPs etc.). */
    'service-cluster-ips': z.array(prefixOf(4)).default([]),
    'service-external-ips': z.array(prefixOf(4)).default([]),
    'service-load-balancer-ips': z.array(prefixOf(4)).default([]),
    communities: z
      .array(
        z.strictObject({ name: labelValue, value: z.string().regex(community, 'must be AA:NN or AA:NN:NN') }),
      )
      .default([]),
    'prefix-advertisements': z
      .array(z.strictObject({ cidr: anyPrefix, communities: z.array(z.string()).min(1) }))
      .default([]),
    /** BGPFilter resources, referenced by racks[].leaf-peering.filters. */
    filters: z.array(filterShape).default([]),
  }),
  spines: z.array(z.strictObject({ name: deviceName, asn, 'router-id': ipv4.optional() })).min(1),
  leaves: z
    .array(
      z.strictObject({
        name: deviceName,
        asn,
        'router-id': ipv4.optional(),
        uplinks: z.array(uplinkShape).min(1),
      }),
    )
    .min(1),
  racks: z.array(rackShape).min(1),
  services: z.array(serviceShape).default([]),
  /** What the containerlab + kind rendering refers to. */
  render: z
    .strictObject({
      'rackbgp-image': z.string().default('rackbgp:latest'),
      'kind-image': z.string().optional(),
      'calico-version': z.string().default('v3.28.2'),
      /** The lab's Prometheus node (the official image; 3.5 is an LTS release). */
      'prometheus-image': z.string().default('prom/prometheus:v3.5.0'),
    })
    .default({
      'rackbgp-image': 'rackbgp:latest',
      'calico-version': 'v3.28.2',
      'prometheus-image': 'prom/prometheus:v3.5.0',
    }),
});

type LabInput = z.output<typeof labShape>;

export interface Uplink {
  readonly spine: string;
  readonly subnet: string;
  readonly leafIp: string;
  readonly spineIp: string;
  readonly subnet6?: string;
  readonly leafIp6?: string;
  readonly spineIp6?: string;
}
export interface Spine {
  readonly name: string;
  readonly asn: number;
  readonly routerId: string;
}
export interface Leaf {
  readonly name: string;
  readonly asn: number;
  readonly routerId: string;
  readonly uplinks: readonly Uplink[];
}
export interface LabNode {
  readonly name: string;
  readonly rack: string;
  readonly ip: string;
  readonly ip6?: string;
  /** rr-id label value on reflectors; undefined on clients. */
  readonly rrId?: string;
  readonly block: string;
  readonly block6?: string;
  readonly pods: number;
}
export interface Rack {
  readonly name: string;
  readonly leaf: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly subnet6?: string;
  readonly gateway6?: string;
  readonly asn: number;
  readonly rrGroup: string;
  readonly leafPeering: LeafPeering;
  readonly nodes: readonly LabNode[];
}
/** The reflectors → leaf BGPPeer's optional spec fields (projectcalico.org/v3 names). */
export interface LeafPeering {
  readonly keepOriginalNextHop?: boolean;
  readonly maxRestartTime?: string;
  readonly password?: string;
  readonly filters?: readonly string[];
  readonly numAllowedLocalASNumbers?: number;
}
export interface FilterRule {
  readonly action: 'Accept' | 'Reject';
  readonly matchOperator?: string;
  readonly cidr?: string;
  readonly source?: string;
  readonly interface?: string;
}
/** A BGPFilter spec, in the CRD's field names. */
export interface LabFilter {
  readonly name: string;
  readonly importV4?: readonly FilterRule[];
  readonly exportV4?: readonly FilterRule[];
  readonly importV6?: readonly FilterRule[];
  readonly exportV6?: readonly FilterRule[];
}
export interface LabService {
  readonly name: string;
  readonly type: 'LoadBalancer' | 'ClusterIP' | 'ExternalIP';
  readonly ip: string;
  readonly clusterIP: string;
  readonly externalTrafficPolicy: 'Local' | 'Cluster';
  readonly endpoints: readonly string[];
}
export interface Lab {
  readonly name: string;
  readonly description?: string;
  /** unnumbered: uplinks carry no addresses (subnets give router ids only); switches peer by interface. */
  readonly fabric: 'numbered' | 'unnumbered';
  /** BFD on the leaf ↔ spine sessions (rackbgp at both ends; BIRD 1.6 nodes have none). */
  readonly bfd: boolean;
  readonly calico: {
    readonly defaultAsn: number;
    readonly pool: string;
    readonly blockSize: number;
    readonly pool6?: string;
    readonly blockSize6: number;
    readonly serviceClusterIPs: readonly string[];
    readonly serviceExternalIPs: readonly string[];
    readonly serviceLoadBalancerIPs: readonly string[];
    readonly communities: readonly { name: string; value: string }[];
    readonly prefixAdvertisements: readonly { cidr: string; communities: readonly string[] }[];
    readonly filters: readonly LabFilter[];
  };
  readonly services: readonly LabService[];
  readonly spines: readonly Spine[];
  readonly leaves: readonly Leaf[];
  readonly racks: readonly Rack[];
  readonly render: {
    readonly rackbgpImage: string;
    readonly kindImage?: string;
    readonly calicoVersion: string;
    readonly prometheusImage: string;
  };
}

type RuleInput = z.output<typeof filterRule>;
const ruleOf = (r: RuleInput): FilterRule => ({
  action: r.action,
  ...(r['match-operator'] !== undefined && { matchOperator: r['match-operator'] }),
  ...(r.cidr !== undefined && { cidr: r.cidr }),
  ...(r.source !== undefined && { source: r.source }),
  ...(r.interface !== undefined && { interface: r.interface }),
});
const filterOf = (f: z.output<typeof filterShape>): LabFilter => ({
  name: f.name,
  ...(f['import-v4'] && { importV4: f['import-v4'].map(ruleOf) }),
  ...(f['export-v4'] && { exportV4: f['export-v4'].map(ruleOf) }),
  ...(f['import-v6'] && { importV6: f['import-v6'].map(ruleOf) }),
  ...(f['export-v6'] && { exportV6: f['export-v6'].map(ruleOf) }),
});
const leafPeeringOf = (p: z.output<typeof leafPeeringShape> | undefined): LeafPeering => ({
  ...(p?.['keep-original-next-hop'] !== undefined && { keepOriginalNextHop: p['keep-original-next-hop'] }),
  ...(p?.['max-restart-time'] !== undefined && { maxRestartTime: p['max-restart-time'] }),
  ...(p?.password !== undefined && { password: p.password }),
  ...(p?.filters !== undefined && { filters: p.filters }),
  ...(p?.['num-allowed-local-as-numbers'] !== undefined && {
    numAllowedLocalASNumbers: p['num-allowed-local-as-numbers'],
  }),
});

export const isReflector = (n: LabNode) => n.rrId !== undefined;

type Issue = { path: (string | number)[]; message: string };

/** Fills in every default. Pure; problems found on the way are collected, not thrown. */
export function resolveLab(c: LabInput, issues: Issue[] = []): Lab {
  const at = <T>(path: (string | number)[], f: () => T, fallback: T): T => {
    try {
      return f();
    } catch (e) {
      issues.push({ path, message: (e as Error).message });
      return fallback;
    }
  };
  const dual = c.calico.pool6 !== undefined;
  const leaves: Leaf[] = c.leaves.map((l, li) => {
    const uplinks = l.uplinks.map((u, ui): Uplink => {
      const path = ['leaves', li, 'uplinks', ui];
      const v6 = u.subnet6 && {
        subnet6: u.subnet6,
        leafIp6: at([...path, 'subnet6'], () => hostAt(u.subnet6!, 1), '::'),
        spineIp6: at([...path, 'subnet6'], () => hostAt(u.subnet6!, 2), '::'),
      };
      return {
        spine: u.spine,
        subnet: u.subnet,
        leafIp: at([...path, 'subnet'], () => hostAt(u.subnet, 1), '0.0.0.0'),
        spineIp: at([...path, 'subnet'], () => hostAt(u.subnet, 2), '0.0.0.0'),
        ...v6,
      };
    });
    return { name: l.name, asn: l.asn, routerId: l['router-id'] ?? uplinks[0].leafIp, uplinks };
  });
  const spines: Spine[] = c.spines.map((s) => {
    const first = leaves.flatMap((l) => l.uplinks).find((u) => u.spine === s.name);
    return { name: s.name, asn: s.asn, routerId: s['router-id'] ?? first?.spineIp ?? '0.0.0.0' };
  });
  let blockIndex = 0;
  const racks: Rack[] = c.racks.map((r, ri) => {
    const path = ['racks', ri];
    const gateway = r.gateway ?? at([...path, 'subnet'], () => hostAt(r.subnet, 1), '0.0.0.0');
    const gateway6 = r.subnet6 && (r.gateway6 ?? at([...path, 'subnet6'], () => hostAt(r.subnet6!, 1), '::'));
    const nodes = r.nodes.map((n, ni): LabNode => {
      const npath = [...path, 'nodes', ni];
      const index = blockIndex++;
      const ip = n.ip ?? at([...npath], () => hostAt(r.subnet, 11 + ni), '0.0.0.0');
      const hostNumber = Number(parseNet(`${ip}/32`).base - parseNet(r.subnet).base);
      const ip6 = r.subnet6 && (n.ip6 ?? at([...npath], () => hostAt(r.subnet6!, hostNumber), '::'));
      const block =
        n.block ?? at([...npath], () => subnetAt(c.calico.pool, c.calico['block-size'], index), '0.0.0.0/32');
      const block6 =
        dual &&
        (n.block6 ??
          at([...npath], () => subnetAt(c.calico.pool6!, c.calico['block-size6'], index), '::/128'));
      return {
        name: n.name,
        rack: r.name,
        ip,
        ...(ip6 && { ip6 }),
        ...(n['rr-id'] !== undefined && { rrId: n['rr-id'] }),
        block,
        ...(block6 && { block6 }),
        pods: n.pods ?? c.calico['pods-per-node'],
      };
    });
    return {
      name: r.name,
      leaf: r.leaf,
      subnet: r.subnet,
      gateway,
      ...(r.subnet6 && { subnet6: r.subnet6, gateway6 }),
      asn: r.asn,
      rrGroup: r['rr-group'] ?? r.name,
      leafPeering: leafPeeringOf(r['leaf-peering']),
      nodes,
    };
  });
  return {
    name: c.name,
    ...(c.description !== undefined && { description: c.description }),
    fabric: c.fabric,
    bfd: c.bfd,
    calico: {
      defaultAsn: c.calico['default-asn'],
      pool: c.calico.pool,
      blockSize: c.calico['block-size'],
      ...(dual && { pool6: c.calico.pool6 }),
      blockSize6: c.calico['block-size6'],
      serviceClusterIPs: c.calico['service-cluster-ips'],
      serviceExternalIPs: c.calico['service-external-ips'],
      serviceLoadBalancerIPs: c.calico['service-load-balancer-ips'],
      communities: c.calico.communities,
      prefixAdvertisements: c.calico['prefix-advertisements'],
      filters: c.calico.filters.map(filterOf),
    },
    services: c.services.map((x, i) => ({
      name: x.name,
      type: x.type,
      ip: x.ip,
      clusterIP:
        x.type === 'ClusterIP'
          ? x.ip
          : (x['cluster-ip'] ??
            at(
              ['services', i],
              () => hostAt(c.calico['service-cluster-ips'][0] ?? '10.96.0.0/12', 100 + i),
              '0.0.0.0',
            )),
      externalTrafficPolicy: x['external-traffic-policy'],
      endpoints: x.endpoints,
    })),
    spines,
    leaves,
    racks,
    render: {
      rackbgpImage: c.render['rackbgp-image'],
      ...(c.render['kind-image'] !== undefined && { kindImage: c.render['kind-image'] }),
      calicoVersion: c.render['calico-version'],
      prometheusImage: c.render['prometheus-image'],
    },
  };
}

/** Cross-references and address plan checks, each with the path of the offending key. */
export function checkLab(c: LabInput, lab: Lab): Issue[] {
  const issues: Issue[] = [];
  const add = (path: (string | number)[], message: string) => {
    issues.push({ path, message });
  };
  const names = new Map<string, string>();
  const claim = (name: string, path: (string | number)[]) => {
    const prior = names.get(name);
    if (prior) add([...path, 'name'], `'${name}' is already the name of ${prior}`);
    else names.set(name, path.join('.'));
  };
  for (const [i, s] of c.spines.entries()) claim(s.name, ['spines', i]);
  for (const [i, l] of c.leaves.entries()) claim(l.name, ['leaves', i]);
  for (const [i, r] of c.racks.entries())
    for (const [j, n] of r.nodes.entries()) claim(n.name, ['racks', i, 'nodes', j]);
  const spineAsns = new Set(c.spines.map((s) => s.asn));
  const dual = c.calico.pool6 !== undefined;

  c.leaves.forEach((l, li) => {
    if (spineAsns.has(l.asn))
      add(['leaves', li, 'asn'], `AS ${l.asn} is a spine's AS: leaves and spines talk eBGP`);
    const seen = new Set<string>();
    l.uplinks.forEach((u, ui) => {
      const path = ['leaves', li, 'uplinks', ui];
      if (!c.spines.some((s) => s.name === u.spine)) add([...path, 'spine'], `no spine named '${u.spine}'`);
      if (seen.has(u.spine)) add([...path, 'spine'], `a second uplink to '${u.spine}'`);
      seen.add(u.spine);
      if (dual && !u.subnet6) add(path, 'calico.pool6 is set: every uplink needs subnet6');
      if (!dual && u.subnet6) add([...path, 'subnet6'], 'IPv6 needs calico.pool6');
    });
  });
  const racksByLeaf = new Map<string, number>();
  const rackAsns = new Map<number, string>();
  const addresses = new Map<string, string>();
  const claimAddr = (addr: string, path: (string | number)[]) => {
    const prior = addresses.get(addr);
    if (prior) add(path, `${addr} is already used by ${prior}`);
    else addresses.set(addr, path.join('.'));
  };
  for (const [li, l] of lab.leaves.entries())
    for (const [ui, u] of l.uplinks.entries()) {
      claimAddr(u.leafIp, ['leaves', li, 'uplinks', ui, 'subnet']);
      claimAddr(u.spineIp, ['leaves', li, 'uplinks', ui, 'subnet']);
    }
  const blocks: { block: string; path: (string | number)[] }[] = [];
  c.racks.forEach((r, ri) => {
    const rack = lab.racks[ri];
    const path = ['racks', ri];
    const leaf = c.leaves.find((l) => l.name === r.leaf);
    if (!leaf) add([...path, 'leaf'], `no leaf named '${r.leaf}'`);
    if (racksByLeaf.has(r.leaf)) add([...path, 'leaf'], `leaf '${r.leaf}' already serves a rack`);
    racksByLeaf.set(r.leaf, ri);
    if (spineAsns.has(r.asn) || c.leaves.some((l) => l.asn === r.asn))
      add([...path, 'asn'], `AS ${r.asn} belongs to a switch: the rack peers eBGP with its leaf`);
    const other = rackAsns.get(r.asn);
    if (other)
      add(
        [...path, 'asn'],
        `AS ${r.asn} is also ${other}'s: BIRD would drop each rack's blocks as AS-path loops`,
      );
    rackAsns.set(r.asn, r.name);
    if (!contains(r.subnet, rack.gateway)) add([...path, 'gateway'], `${rack.gateway} is not in ${r.subnet}`);
    claimAddr(rack.gateway, [...path, 'gateway']);
    if (dual && !r.subnet6) add(path, 'calico.pool6 is set: every rack needs subnet6');
    if (!dual && r.subnet6) add([...path, 'subnet6'], 'IPv6 needs calico.pool6');
    if (!r.nodes.some((n) => n['rr-id'] !== undefined))
      add([...path, 'nodes'], 'no route reflector: mark one or two nodes with rr-id');
    rack.nodes.forEach((node, ni) => {
      const npath = [...path, 'nodes', ni];
      if (!contains(r.subnet, node.ip)) add([...npath, 'ip'], `${node.ip} is not in ${r.subnet}`);
      claimAddr(node.ip, [...npath, 'ip']);
      if (node.ip6 && r.subnet6 && !contains(r.subnet6, node.ip6))
        add([...npath, 'ip6'], `${node.ip6} is not in ${r.subnet6}`);
      if (parseNet(node.block).length !== c.calico['block-size'])
        add([...npath, 'block'], `must be a /${c.calico['block-size']} (calico.block-size)`);
      if (!within(node.block, c.calico.pool))
        add([...npath, 'block'], `${node.block} is not in ${c.calico.pool}`);
      const hosts = 2 ** (32 - parseNet(node.block).length);
      if (node.pods >= hosts) add([...npath, 'pods'], `${node.pods} pods do not fit in ${node.block}`);
      for (const b of blocks)
        if (overlaps(b.block, node.block))
          add([...npath, 'block'], `${node.block} overlaps ${b.path.join('.')}`);
      blocks.push({ block: node.block, path: npath });
      if (node.block6 && c.calico.pool6 && !within(node.block6, c.calico.pool6))
        add([...npath, 'block6'], `${node.block6} is not in ${c.calico.pool6}`);
    });
  });
  issues.push(...checkServices(c, lab));
  return issues;
}

/** Services, communities and filters: references resolve, addresses lie in the announced ranges. */
function checkServices(c: LabInput, lab: Lab): Issue[] {
  const issues: Issue[] = [];
  const add = (path: (string | number)[], message: string) => {
    issues.push({ path, message });
  };
  const nodes = new Set(labNodes(lab).map((n) => n.name));
  const filters = new Set(c.calico.filters.map((f) => f.name));
  const defined = new Set(c.calico.communities.map((x) => x.name));
  c.calico['prefix-advertisements'].forEach((a, i) => {
    a.communities.forEach((x, j) => {
      if (!community.test(x) && !defined.has(x))
        add(
          ['calico', 'prefix-advertisements', i, 'communities', j],
          `'${x}' is neither AA:NN, AA:NN:NN nor a name in calico.communities`,
        );
    });
  });
  c.calico.filters.forEach((f, i) => {
    for (const dir of ['import-v4', 'export-v4', 'import-v6', 'export-v6'] as const)
      f[dir]?.forEach((r, j) => {
        const path = ['calico', 'filters', i, dir, j];
        if ((r.cidr === undefined) !== (r['match-operator'] === undefined))
          add(path, 'cidr and match-operator go together');
        if (r.cidr && (parsePrefix(r.cidr)?.family === 6) !== dir.endsWith('v6'))
          add([...path, 'cidr'], `${r.cidr} is not an IPv${dir.endsWith('v6') ? 6 : 4} prefix`);
      });
  });
  c.racks.forEach((r, ri) => {
    r['leaf-peering']?.filters?.forEach((f, j) => {
      if (!filters.has(f))
        add(['racks', ri, 'leaf-peering', 'filters', j], `no filter named '${f}' in calico.filters`);
    });
  });
  const ranges = {
    ClusterIP: ['service-cluster-ips', c.calico['service-cluster-ips']],
    ExternalIP: ['service-external-ips', c.calico['service-external-ips']],
    LoadBalancer: ['service-load-balancer-ips', c.calico['service-load-balancer-ips']],
  } as const;
  const seen = new Map<string, number>();
  c.services.forEach((x, i) => {
    const path = ['services', i];
    if (seen.has(x.name)) add([...path, 'name'], `'${x.name}' is already services[${seen.get(x.name)}]`);
    seen.set(x.name, i);
    const [key, cidrs] = ranges[x.type];
    if (!cidrs.some((n) => contains(n, x.ip)))
      add([...path, 'ip'], `${x.ip} is not in calico.${key}: Calico would not announce it`);
    x.endpoints.forEach((e, j) => {
      if (!nodes.has(e)) add([...path, 'endpoints', j], `no node named '${e}'`);
      else if (labNodes(lab).find((n) => n.name === e)!.pods === 0)
        add([...path, 'endpoints', j], `${e} runs no pods (pods: 0): the endpoint is its first pod`);
    });
  });
  return issues;
}

export const labSchema = labShape
  .superRefine((c, ctx) => {
    const issues: Issue[] = [];
    const lab = resolveLab(c, issues);
    if (!issues.length) issues.push(...checkLab(c, lab));
    for (const i of issues) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
  })
  .transform((c) => resolveLab(c));

/** All nodes of the lab, rack by rack. */
export const labNodes = (lab: Lab): LabNode[] => lab.racks.flatMap((r) => r.nodes);

export const sortByAddr = <T>(items: readonly T[], addr: (t: T) => string): T[] =>
  [...items].sort((a, b) => compareAddr(addr(a), addr(b)));
