/**
 * Kubernetes Services in the lab: the Service and Endpoints objects confd's route generator
 * watches (so each node's BIRD announces what calico-node would), kube-proxy's part on every node
 * (iptables: DNAT to an endpoint pod, drop for a Local service without a local endpoint), and what
 * the ToR must then see, per leaf and service route (next hops, absence), for `lab verify`.
 */
import { hostAt, parseNet, within } from './addr.js';
import type { CalicoResources } from './confd-keys.js';
import { serviceRouteKeys } from './confd-routes.js';
import { type FilterRule, isReflector, type Lab, type LabNode, labNodes, type Rack } from './schema.js';

/** The endpoint pod of a service on a node: the node's first pod (host 1 of its block). */
export const endpointPodIP = (node: LabNode) => hostAt(node.block, 1);

const nodeByName = (lab: Lab, name: string) => labNodes(lab).find((n) => n.name === name)!;

/** Service + Endpoints as the API server holds them (LoadBalancer ingress = the lab's ip). */
export function serviceObjects(lab: Lab): unknown[] {
  return lab.services.flatMap((s) => [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: s.name, namespace: 'default' },
      spec: {
        type: s.type === 'ExternalIP' ? 'ClusterIP' : s.type,
        clusterIP: s.clusterIP,
        ...(s.type !== 'ClusterIP' && { externalTrafficPolicy: s.externalTrafficPolicy }),
        ...(s.type === 'ClusterIP' && { internalTrafficPolicy: s.externalTrafficPolicy }),
        ...(s.type === 'ExternalIP' && { externalIPs: [s.ip] }),
        ...(s.type === 'LoadBalancer' && { loadBalancerIP: s.ip }),
        selector: { app: s.name },
        ports: [{ port: 80, protocol: 'UDP', targetPort: 8080 }],
      },
      ...(s.type === 'LoadBalancer' && { status: { loadBalancer: { ingress: [{ ip: s.ip }] } } }),
    },
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: s.name, namespace: 'default' },
      subsets: s.endpoints.length
        ? [
            {
              addresses: s.endpoints.map((n) => ({ ip: endpointPodIP(nodeByName(lab, n)), nodeName: n })),
              ports: [{ port: 8080, protocol: 'UDP' }],
            },
          ]
        : [],
    },
  ]);
}

/** An address of the node's block no pod has (its last host): the source kube-proxy masquerades to. */
const masqueradeSource = (node: LabNode) => hostAt(node.block, 2 ** (32 - parseNet(node.block).length) - 2);

/**
 * kube-proxy (iptables mode) for traffic arriving from the fabric (eth1), as iptables-restore input:
 * an endpoint on this node → DNAT to it; Cluster policy without one → DNAT to the first endpoint
 * elsewhere, masqueraded so the reply comes back here; Local policy without one → DROP (kube-proxy's
 * "has no local endpoints"). Pods of the lab stand for clients outside the cluster: nodes do not
 * intercept their pods' service traffic (see serviceIpLines).
 */
export function kubeProxyRules(lab: Lab, node: LabNode): string | undefined {
  if (lab.services.length === 0) return undefined;
  const nat: string[] = [];
  const filter: string[] = [];
  for (const s of lab.services) {
    const dst = `${s.ip}/32`;
    if (s.endpoints.includes(node.name)) {
      nat.push(`-A PREROUTING -i eth1 -d ${dst} -j DNAT --to-destination ${endpointPodIP(node)}`);
    } else if (s.externalTrafficPolicy === 'Cluster' && s.endpoints.length > 0) {
      const pod = endpointPodIP(nodeByName(lab, s.endpoints[0]));
      nat.push(
        `-A PREROUTING -i eth1 -d ${dst} -j DNAT --to-destination ${pod}`,
        `-A POSTROUTING -o eth1 -d ${pod}/32 -m conntrack --ctorigdst ${s.ip} -j SNAT --to-source ${masqueradeSource(node)}`,
      );
    } else filter.push(`-A FORWARD -i eth1 -d ${dst} -j DROP`);
  }
  return `*nat\n${nat.join('\n')}${nat.length ? '\n' : ''}COMMIT\n*filter\n${filter.join('\n')}${
    filter.length ? '\n' : ''
  }COMMIT\n`;
}

/** Routing table that sends a node's pods' service traffic straight to the rack's leaf. */
export const CLIENT_TABLE = 100;

/**
 * `ip -batch` lines: traffic from this node's pods to a service IP goes to the leaf (table 100), as
 * from a client outside the cluster behind this rack's ToR; traffic in from the fabric keeps the
 * main table (a reflector forwards toward the endpoint node by its BGP routes).
 */
export function serviceIpLines(lab: Lab, rack: Rack): string[] {
  if (lab.services.length === 0) return [];
  return [
    `route add default via ${rack.gateway} dev eth1 table ${CLIENT_TABLE}`,
    'rule add iif eth1 lookup main priority 90',
    ...lab.services.map((s) => `rule add to ${s.ip}/32 lookup ${CLIENT_TABLE} priority 100`),
  ];
}

/** True when a BGPFilter's rules reject the prefix (template_funcs.go: first matching rule decides). */
export function filterRejects(rules: readonly FilterRule[], prefix: string): boolean {
  for (const r of rules) {
    if (r.source || r.interface) continue; // they match on how a route was learned: not service routes
    if (r.cidr) {
      const inside = within(prefix, r.cidr);
      const equal = prefix === r.cidr;
      const match = { In: inside, NotIn: !inside, Equal: equal, NotEqual: !equal }[r.matchOperator ?? ''];
      if (!match) continue;
    }
    return r.action === 'Reject';
  }
  return false;
}

/** Whether the rack's reflectors → leaf export filters reject a prefix. */
export function rackRejects(lab: Lab, rack: Rack, prefix: string): string | undefined {
  for (const name of rack.leafPeering.filters ?? []) {
    const f = lab.calico.filters.find((x) => x.name === name);
    if (f && filterRejects(f.exportV4 ?? [], prefix)) return name;
  }
  return undefined;
}

export interface ServiceRouteExpectation {
  readonly leaf: string;
  readonly prefix: string;
  readonly service?: string;
  /** 'rack': via the rack's nodes (nextHops); 'spine': via the uplinks; 'absent'. */
  readonly kind: 'rack' | 'spine' | 'absent';
  readonly nextHops: readonly string[];
  readonly why: string;
}

/**
 * What each leaf's FIB must hold for every service route calico-node announces. Calico's BIRD
 * sends every path (bgp_template: `add paths on`), so with keep-original-next-hop the leaf's ECMP
 * set is every node of the rack that announces the route (a Local service's endpoint nodes; every
 * node for a range); without it each reflector sets next hop self: the reflectors, whichever
 * nodes run the endpoints (the situation of Calico issue 6451).
 */
export function expectedServiceRoutes(
  lab: Lab,
  res: CalicoResources,
  liveReflectors: (rack: Rack) => readonly LabNode[],
): ServiceRouteExpectation[] {
  const announcers = new Map<string, LabNode[]>();
  for (const n of labNodes(lab))
    for (const cidr of serviceRouteKeys(res, n.name).values())
      if (!cidr.includes(':')) announcers.set(cidr, [...(announcers.get(cidr) ?? []), n]);
  const serviceOf = (prefix: string) =>
    lab.services.find((s) => `${s.ip}/32` === prefix || `${s.clusterIP}/32` === prefix)?.name;
  const out: ServiceRouteExpectation[] = [];
  const ranges = [
    ...lab.calico.serviceClusterIPs,
    ...lab.calico.serviceExternalIPs,
    ...lab.calico.serviceLoadBalancerIPs.filter((c) => !c.endsWith('/32')),
  ];
  for (const rack of lab.racks) {
    const live = liveReflectors(rack);
    const reflectors = rack.nodes.filter(isReflector);
    const keep = rack.leafPeering.keepOriginalNextHop === true;
    for (const range of ranges) {
      const rejected = rackRejects(lab, rack, range);
      out.push(
        rejected
          ? {
              leaf: rack.leaf,
              prefix: range,
              kind: lab.racks.some((r) => r !== rack && !rackRejects(lab, r, range)) ? 'spine' : 'absent',
              nextHops: [],
              why: `BGPFilter ${rejected} rejects it toward ${rack.leaf}`,
            }
          : {
              leaf: rack.leaf,
              prefix: range,
              kind: 'rack',
              nextHops: (keep ? rack.nodes : live.length ? live : reflectors).map((n) => n.ip),
              why: keep
                ? 'a service range: every node announces it (keep-original-next-hop)'
                : 'a service range: every node announces it, the reflectors with next hop self',
            },
      );
    }
    for (const [prefix, nodes] of announcers) {
      const service = serviceOf(prefix);
      const here = nodes.filter((n) => n.rack === rack.name);
      const elsewhere = lab.racks.some(
        (r) => r !== rack && nodes.some((n) => n.rack === r.name) && !rackRejects(lab, r, prefix),
      );
      const rejected = here.length ? rackRejects(lab, rack, prefix) : undefined;
      const base = { leaf: rack.leaf, prefix, ...(service && { service }) };
      if (here.length && !rejected) {
        const chosen = keep ? here : live.length ? live : reflectors;
        out.push({
          ...base,
          kind: 'rack',
          nextHops: chosen.map((n) => n.ip),
          why: keep
            ? `keep-original-next-hop: the endpoint node${chosen.length > 1 ? 's' : ''} of ${rack.name}`
            : `no keep-original-next-hop on ${rack.name}'s BGPPeer to ${rack.leaf}: the reflectors set next hop self, not the endpoint${here.length > 1 ? 's' : ''} ${here.map((n) => n.name).join(', ')} (Calico issue 6451)`,
        });
      } else
        out.push({
          ...base,
          kind: elsewhere ? 'spine' : 'absent',
          nextHops: [],
          why: rejected
            ? `BGPFilter ${rejected} rejects it toward ${rack.leaf}`
            : `no endpoint of ${service ?? prefix} in ${rack.name}: not announced from it`,
        });
    }
  }
  return out;
}
