/**
 * The Calico resources of a lab, in the guide's order: BGPConfiguration `default` (mesh off, the
 * default AS), per node an AS and, on reflectors, routeReflectorClusterID = the node's own IP with
 * the labels rr-group / rr-id, the BGPPeers (clients → reflectors, reflector mesh, reflectors →
 * leaf) and the IPPools without encapsulation. One definition for both targets: `lab render`
 * writes them as manifests for kind, and the netns lab builds confd's datastore from them.
 */
import { isReflector, type Lab, type LabNode, labNodes, type Rack } from './schema.js';

export const calicoMeta = (kind: string, name: string) => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata: { name },
});

/** The node labels the BGPPeer selectors use. */
export const nodeLabels = (lab: Lab, n: LabNode): Record<string, string> => {
  const rack = lab.racks.find((r) => r.name === n.rack)!;
  return { 'rr-group': rack.rrGroup, ...(n.rrId !== undefined && { 'rr-id': n.rrId }) };
};

/** Node spec.bgp as `calicoctl patch node` sets it: AS per rack, cluster id on reflectors. */
export const nodeBgpPatch = (lab: Lab, n: LabNode): Record<string, unknown> => {
  const rack = lab.racks.find((r) => r.name === n.rack)!;
  return { asNumber: rack.asn, ...(isReflector(n) && { routeReflectorClusterID: n.ip }) };
};

const cidrList = (xs: readonly string[]) => xs.map((cidr) => ({ cidr }));

export const bgpConfiguration = (lab: Lab) => {
  const c = lab.calico;
  return {
    ...calicoMeta('BGPConfiguration', 'default'),
    spec: {
      logSeverityScreen: 'Info',
      nodeToNodeMeshEnabled: false,
      asNumber: c.defaultAsn,
      ...(c.serviceClusterIPs.length && { serviceClusterIPs: cidrList(c.serviceClusterIPs) }),
      ...(c.serviceExternalIPs.length && { serviceExternalIPs: cidrList(c.serviceExternalIPs) }),
      ...(c.serviceLoadBalancerIPs.length && { serviceLoadBalancerIPs: cidrList(c.serviceLoadBalancerIPs) }),
      ...(c.communities.length && { communities: c.communities.map((x) => ({ ...x })) }),
      ...(c.prefixAdvertisements.length && {
        prefixAdvertisements: c.prefixAdvertisements.map((a) => ({
          cidr: a.cidr,
          communities: [...a.communities],
        })),
      }),
    },
  };
};

/** The Secret holding a rack's reflectors → leaf password (calico-node's namespace, readable by it). */
export const passwordSecretName = (rack: Rack) => `bgp-password-${rack.name}`;

export function passwordSecrets(lab: Lab): unknown[] {
  return lab.racks
    .filter((r) => r.leafPeering.password !== undefined)
    .map((r) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: passwordSecretName(r), namespace: 'kube-system' },
      type: 'Opaque',
      stringData: { password: r.leafPeering.password },
    }));
}

/** The reflectors → leaf BGPPeer's optional fields, from racks[].leaf-peering. */
function leafPeeringSpec(rack: Rack): Record<string, unknown> {
  const p = rack.leafPeering;
  return {
    ...(p.keepOriginalNextHop !== undefined && { keepOriginalNextHop: p.keepOriginalNextHop }),
    ...(p.maxRestartTime !== undefined && { maxRestartTime: p.maxRestartTime }),
    ...(p.password !== undefined && {
      password: { secretKeyRef: { name: passwordSecretName(rack), key: 'password' } },
    }),
    ...(p.filters !== undefined && { filters: [...p.filters] }),
    ...(p.numAllowedLocalASNumbers !== undefined && { numAllowedLocalASNumbers: p.numAllowedLocalASNumbers }),
  };
}

/** BGPFilter resources (projectcalico.org/v3), one per calico.filters entry. */
export function bgpFilters(lab: Lab): unknown[] {
  return lab.calico.filters.map(({ name, ...spec }) => ({ ...calicoMeta('BGPFilter', name), spec }));
}

export function bgpPeers(lab: Lab): unknown[] {
  const out: unknown[] = [];
  for (const rack of lab.racks) {
    const g = rack.rrGroup;
    const leaf = lab.leaves.find((l) => l.name === rack.leaf)!;
    out.push(
      {
        ...calicoMeta('BGPPeer', `${g}-clients-to-reflectors`),
        spec: {
          nodeSelector: `!has(rr-id) && rr-group == '${g}'`,
          peerSelector: `has(rr-id) && rr-group == '${g}'`,
        },
      },
      {
        ...calicoMeta('BGPPeer', `${g}-reflector-mesh`),
        spec: {
          nodeSelector: `has(rr-id) && rr-group == '${g}'`,
          peerSelector: `has(rr-id) && rr-group == '${g}'`,
        },
      },
      {
        ...calicoMeta('BGPPeer', `${g}-reflectors-to-${leaf.name}`),
        spec: {
          nodeSelector: `has(rr-id) && rr-group == '${g}'`,
          peerIP: rack.gateway,
          asNumber: leaf.asn,
          ...leafPeeringSpec(rack),
        },
      },
    );
    if (rack.gateway6)
      out.push({
        ...calicoMeta('BGPPeer', `${g}-reflectors-to-${leaf.name}-v6`),
        spec: {
          nodeSelector: `has(rr-id) && rr-group == '${g}'`,
          peerIP: rack.gateway6,
          asNumber: leaf.asn,
          ...leafPeeringSpec(rack),
        },
      });
  }
  return out;
}

export function ipPools(lab: Lab): unknown[] {
  const pool = (name: string, cidr: string, blockSize: number) => ({
    ...calicoMeta('IPPool', name),
    spec: {
      cidr,
      blockSize,
      ipipMode: 'Never',
      vxlanMode: 'Never',
      natOutgoing: true,
      nodeSelector: 'all()',
    },
  });
  return [
    pool('default-ipv4-ippool', lab.calico.pool, lab.calico.blockSize),
    ...(lab.calico.pool6 ? [pool('default-ipv6-ippool', lab.calico.pool6, lab.calico.blockSize6)] : []),
  ];
}

const prefixLength = (cidr: string) => cidr.split('/')[1];

/**
 * The Node resources as calico-node leaves them in the cluster: the address autodetected on eth1
 * (IP_AUTODETECTION_METHOD=interface=eth1, with the prefix length), patched and labelled as above.
 */
export function calicoNodes(lab: Lab): unknown[] {
  return labNodes(lab).map((n) => {
    const rack = lab.racks.find((r) => r.name === n.rack)!;
    return {
      ...calicoMeta('Node', n.name),
      metadata: { name: n.name, labels: nodeLabels(lab, n) },
      spec: {
        bgp: {
          ipv4Address: `${n.ip}/${prefixLength(rack.subnet)}`,
          ...(n.ip6 && rack.subnet6 && { ipv6Address: `${n.ip6}/${prefixLength(rack.subnet6)}` }),
          ...nodeBgpPatch(lab, n),
        },
      },
    };
  });
}
