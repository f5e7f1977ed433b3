/**
 * The key/value datastore calico-node's confd renders its BIRD templates from, built from Calico
 * v3 resources the way confd's Calico backend builds it (projectcalico/calico v3.28.2:
 * confd/pkg/backends/calico/client.go — globalDefaults, updateBGPConfigCache, updatePeersV1,
 * nodeAsBGPPeers; libcalico-go's bgpnodeprocessor.go and IPPoolV3ToV1 for node and pool keys;
 * model.BlockAffinity for IPAM blocks). Fields the lab does not use fail loudly instead of being
 * silently dropped.
 */
import { matchesSelector } from './calico-selector.js';

import type {
  BGPConfigurationSpec,
  BGPPeerSpec,
  BlockAffinity,
  CalicoNodeResource,
  CalicoResources,
  IPPoolSpec,
  KubeService,
  NodeBGPSpec,
} from './calico-types.js';

export type {
  BGPConfigurationSpec,
  BGPPeerSpec,
  BlockAffinity,
  CalicoNodeResource,
  CalicoResources,
  IPPoolSpec,
  KubeService,
  NodeBGPSpec,
};

const KNOWN: Record<string, readonly string[]> = {
  BGPConfiguration: [
    'asNumber',
    'nodeToNodeMeshEnabled',
    'logSeverityScreen',
    'listenPort',
    'bindMode',
    'ignoredInterfaces',
    'nodeMeshMaxRestartTime',
    'serviceLoadBalancerIPs',
    'serviceClusterIPs',
    'serviceExternalIPs',
    'communities',
    'prefixAdvertisements',
  ],
  BGPPeer: [
    'node',
    'nodeSelector',
    'peerIP',
    'peerSelector',
    'asNumber',
    'sourceAddress',
    'keepOriginalNextHop',
    'maxRestartTime',
    'numAllowedLocalASNumbers',
    'ttlSecurity',
    'reachableBy',
    'filters',
    'password',
  ],
  IPPool: [
    'cidr',
    'ipipMode',
    'vxlanMode',
    'natOutgoing',
    'disabled',
    'disableBGPExport',
    'blockSize',
    'nodeSelector',
    'allowedUses',
  ],
  NodeBGP: ['ipv4Address', 'ipv6Address', 'asNumber', 'routeReflectorClusterID'],
};

/** Throws on a field this datastore builder does not implement (instead of ignoring it). */
export function checkFields(kind: string, name: string, spec: object | undefined): void {
  for (const k of Object.keys(spec ?? {}))
    if (!KNOWN[kind].includes(k))
      throw new Error(`${kind} ${name}: field ${k} is not implemented by rackbgp's confd emulation`);
}

/** "172.20.0.11/24" → ip and network, as net.ParseCIDROrIP and cidr.Network() give them. */
function ipAndNetwork(s: string): { ip: string; network?: string } {
  const [ip, len] = s.split('/');
  if (len === undefined) return { ip };
  return { ip, network: networkOf(ip, Number(len)) };
}

export function networkOf(ip: string, len: number): string {
  if (ip.includes(':')) {
    const bytes = ipv6Bytes(ip);
    for (let i = 0; i < 16; i++) {
      const keep = Math.max(0, Math.min(8, len - i * 8));
      bytes[i] &= (0xff << (8 - keep)) & 0xff;
    }
    return `${ipv6String(bytes)}/${len}`;
  }
  const n = ip.split('.').reduce((a, x) => a * 256 + Number(x), 0);
  const mask = len === 0 ? 0 : 2 ** 32 - 2 ** (32 - len);
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${len}`;
}

function ipv6Bytes(ip: string): number[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => [(parseInt(g, 16) >> 8) & 255, parseInt(g, 16) & 255]);
}

/** RFC 5952 text, as Go's net.IP.String() writes it. */
function ipv6String(b: number[]): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** A Go duration ("90s", "2m", "1h30m") in whole seconds, rounded as confd does. */
function durationSeconds(d: string): number {
  const unit = { h: 3600, m: 60, s: 1, ms: 0.001 } as const;
  const parts = [...d.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)];
  if (parts.map((m) => m[0]).join('') !== d) throw new Error(`${d} is not a Go duration like 120s`);
  return Math.round(parts.reduce((t, m) => t + Number(m[1]) * unit[m[2] as keyof typeof unit], 0));
}

export const dashed = (cidr: string) => cidr.replace('/', '-');
export const family = (ip: string) => (ip.includes(':') ? 6 : 4);

interface PeerV1 {
  ip: string;
  as_num: string;
  rr_cluster_id: string;
  password: string | null;
  source_addr: string;
  port: number;
  keep_next_hop: boolean;
  restart_time: string;
  calico_node: boolean;
  num_allow_local_as: number;
  ttl_security: number;
  reachable_by: string;
  filters: readonly string[] | null;
}

/** confd's cache: every /calico/… key with its string value. */
export function confdCache(res: CalicoResources): Map<string, string> {
  const cache = new Map<string, string>([
    // client.go globalDefaults.
    ['/calico/bgp/v1/global/as_num', '64512'],
    ['/calico/bgp/v1/global/node_mesh', '{"enabled": true}'],
    ['/calico/bgp/v1/global/loglevel', 'info'],
  ]);
  const nodeListenPorts = new Map<string, number>();
  let globalListenPort = 0;
  for (const { name, spec } of res.bgpConfigurations) {
    checkFields('BGPConfiguration', name, spec);
    const node = name.startsWith('node.') ? name.slice(5) : undefined;
    if (!node && name !== 'default') continue; // confd reads only "default" and "node.<name>"
    const base = node ? `/calico/bgp/v1/host/${node}` : '/calico/bgp/v1/global';
    if (spec.logSeverityScreen) {
      const l = spec.logSeverityScreen.toLowerCase();
      cache.set(`${base}/loglevel`, l === 'debug' || l === 'info' ? l : 'none');
    }
    if (spec.listenPort) {
      cache.set(`${base}/listen_port`, String(spec.listenPort));
      if (node) nodeListenPorts.set(node, spec.listenPort);
      else globalListenPort = spec.listenPort;
    }
    // getPrefixAdvertisementsKVPair: both families written (Go marshals an empty list as null).
    if (spec.prefixAdvertisements) {
      for (const [v, k] of [
        [4, 'ip_v4'],
        [6, 'ip_v6'],
      ] as const) {
        const list = spec.prefixAdvertisements
          .filter((a) => family(a.cidr) === v)
          .map((a) => ({ cidr: a.cidr, communities: resolveCommunities(a.communities ?? [], spec) }));
        cache.set(`${base}/prefix_advertisements/${k}`, list.length ? JSON.stringify(list) : 'null');
      }
    }
    if (node) continue;
    const cidrs = (xs: readonly { cidr: string }[] | undefined) => (xs ?? []).map((x) => x.cidr);
    if (spec.serviceExternalIPs?.length)
      cache.set(`${base}/svc_external_ips`, cidrs(spec.serviceExternalIPs).join(','));
    if (spec.serviceClusterIPs?.length)
      cache.set(`${base}/svc_cluster_ips`, cidrs(spec.serviceClusterIPs).join(','));
    // updateGlobalRoutes: the service ranges (single LB IPs excepted, onLoadBalancerIPsUpdate) are
    // a static route (announced) and a reject CIDR (kept out of the kernel) on every node.
    for (const r of [
      ...cidrs(spec.serviceExternalIPs),
      ...cidrs(spec.serviceClusterIPs),
      ...cidrs(spec.serviceLoadBalancerIPs).filter((c) => !isSingleAddress(c)),
    ]) {
      const v6 = family(r) === 6 ? 'v6' : '';
      cache.set(`/calico/rejectcidrs${v6}/${dashed(r)}`, r);
      cache.set(`/calico/staticroutes${v6}/${dashed(r)}`, r);
    }
    if (spec.bindMode) cache.set(`${base}/bind_mode`, spec.bindMode);
    if (spec.asNumber !== undefined) cache.set(`${base}/as_num`, String(spec.asNumber));
    if (spec.nodeToNodeMeshEnabled !== undefined)
      cache.set(`${base}/node_mesh`, `{"enabled":${spec.nodeToNodeMeshEnabled}}`);
    if (spec.ignoredInterfaces?.length)
      cache.set(`${base}/ignored_interfaces`, spec.ignoredInterfaces.join(','));
    if (spec.nodeMeshMaxRestartTime)
      cache.set(`${base}/node_mesh_restart_time`, String(durationSeconds(spec.nodeMeshMaxRestartTime)));
    if (spec.serviceLoadBalancerIPs?.length)
      cache.set(`${base}/svc_loadbalancer_ips`, spec.serviceLoadBalancerIPs.map((x) => x.cidr).join(','));
  }

  // bgpnodeprocessor.go: ip_addr_v4/v6 and rr_cluster_id always ("" when unset), the rest when set.
  const nodeIPs = new Set<string>();
  const fields = new Map<string, { v4: string; v6: string; as: string; rr: string }>();
  for (const n of res.nodes) {
    checkFields('NodeBGP', n.name, n.bgp);
    const base = `/calico/bgp/v1/host/${n.name}`;
    const v4 = n.bgp?.ipv4Address ? ipAndNetwork(n.bgp.ipv4Address) : undefined;
    const v6 = n.bgp?.ipv6Address ? ipAndNetwork(n.bgp.ipv6Address) : undefined;
    const v6ip = v6 ? ipv6String(ipv6Bytes(v6.ip)) : '';
    cache.set(`${base}/ip_addr_v4`, v4?.ip ?? '');
    cache.set(`${base}/ip_addr_v6`, v6ip);
    if (v4?.network) cache.set(`${base}/network_v4`, v4.network);
    if (v6?.network) cache.set(`${base}/network_v6`, v6.network);
    if (n.bgp?.asNumber !== undefined) cache.set(`${base}/as_num`, String(n.bgp.asNumber));
    cache.set(`${base}/rr_cluster_id`, n.bgp?.routeReflectorClusterID ?? '');
    if (v4) nodeIPs.add(v4.ip);
    if (v6ip) nodeIPs.add(v6ip);
    fields.set(n.name, {
      v4: v4?.ip ?? '',
      v6: v6ip,
      as: n.bgp?.asNumber !== undefined ? String(n.bgp.asNumber) : '',
      rr: n.bgp?.routeReflectorClusterID ?? '',
    });
  }

  // IPPoolV3ToV1, serialized as model.IPPool.
  for (const { name, spec } of res.ipPools) {
    checkFields('IPPool', name, spec);
    const encap = (m: string | undefined) =>
      m === 'Always' ? 'always' : m === 'CrossSubnet' ? 'cross-subnet' : '';
    const ipip = encap(spec.ipipMode);
    cache.set(
      `/calico/v1/ipam/v${family(spec.cidr)}/pool/${dashed(spec.cidr)}`,
      JSON.stringify({
        cidr: spec.cidr,
        ipip: ipip ? 'tunl0' : '',
        ipip_mode: ipip,
        vxlan_mode: encap(spec.vxlanMode),
        masquerade: spec.natOutgoing ?? false,
        ipam: !spec.disabled,
        disabled: spec.disabled ?? false,
        disableBGPExport: spec.disableBGPExport ?? false,
      }),
    );
  }

  // Block affinities (model.BlockAffinity); pending ones are skipped (client.go updateCache).
  for (const b of res.blockAffinities) {
    const state = b.state ?? 'confirmed';
    if (state === 'pending') continue;
    cache.set(
      `/calico/ipam/v2/host/${b.host}/ipv${family(b.cidr)}/block/${dashed(b.cidr)}`,
      JSON.stringify({ state: b.state === undefined ? 'confirmed' : b.state, deleted: false }),
    );
  }
  for (const f of res.bgpFilters)
    cache.set(`/calico/resources/v3/projectcalico.org/bgpfilters/${f.name}`, JSON.stringify(f));

  for (const [k, v] of peerKeys(res, fields, nodeIPs, nodeListenPorts, globalListenPort)) cache.set(k, v);
  return cache;
}

export const isSingleAddress = (cidr: string) => cidr.endsWith(family(cidr) === 6 ? '/128' : '/32');

/** client.go isValidCommunity. */
const isCommunity = (c: string) => /^\d+:\d+$/.test(c) || /^\d+:\d+:\d+$/.test(c);

/** getPrefixAdvertisementsKVPair: names resolved via spec.communities (unknown names dropped), sorted, unique. */
function resolveCommunities(given: readonly string[], spec: BGPConfigurationSpec): string[] {
  const out = new Set<string>();
  for (const c of given) {
    if (isCommunity(c)) out.add(c);
    else {
      const named = spec.communities?.find((d) => d.name === c);
      if (named) out.add(named.value);
    }
  }
  return [...out].sort();
}

/** client.go updatePeersV1: global peerings first, then node-specific, then the reverse ones. */
function peerKeys(
  res: CalicoResources,
  fields: Map<string, { v4: string; v6: string; as: string; rr: string }>,
  nodeIPs: Set<string>,
  nodeListenPorts: Map<string, number>,
  globalListenPort: number,
): Map<string, string> {
  const out = new Map<string, string>();
  // The global AS (client.go globalAS): BGPConfiguration default's asNumber, else 64512.
  const configuredAS =
    res.bgpConfigurations.find((c) => c.name === 'default')?.spec.asNumber?.toString() ?? '64512';
  const matching = (selector: string) =>
    res.nodes.filter((n) => matchesSelector(selector, n.labels)).map((n) => n.name);
  const keyOf = (ip: string, port: number, node?: string) =>
    `/calico/bgp/v1/${node ? `host/${node}` : 'global'}/peer_v${family(ip)}/${
      port === 0 || port === 179 ? ip : `${ip}-${port}`
    }`;
  const emit = (key: string, peer: PeerV1, node: boolean, ip: string, port: number) => {
    if (out.has(key)) return;
    if (node && out.has(keyOf(ip, port))) return;
    out.set(key, JSON.stringify(peer));
  };
  // getPassword: the Secret's key, or null while the Secret or key does not exist.
  const passwordOf = (spec: BGPPeerSpec): string | null => {
    const ref = spec.password?.secretKeyRef;
    return (ref && res.secrets?.get(ref.name)?.[ref.key]) ?? null;
  };
  const withV3 = (
    peer: Omit<PeerV1, 'password' | 'source_addr' | 'restart_time'>,
    spec: BGPPeerSpec,
  ): PeerV1 => ({
    ...peer,
    // setPeerConfigFieldsFromV3Resource, in the struct's field order below.
    password: passwordOf(spec),
    source_addr: spec.sourceAddress || 'UseNodeIP',
    restart_time: spec.maxRestartTime ? String(durationSeconds(spec.maxRestartTime)) : '',
  });
  const ordered = (p: PeerV1): PeerV1 => ({
    ip: p.ip,
    as_num: p.as_num,
    rr_cluster_id: p.rr_cluster_id,
    password: p.password,
    source_addr: p.source_addr,
    port: p.port,
    keep_next_hop: p.keep_next_hop,
    restart_time: p.restart_time,
    calico_node: p.calico_node,
    num_allow_local_as: p.num_allow_local_as,
    ttl_security: p.ttl_security,
    reachable_by: p.reachable_by,
    filters: p.filters,
  });
  const nodeAsPeers = (name: string, v4: boolean, v6: boolean, spec: BGPPeerSpec): PeerV1[] => {
    const f = fields.get(name);
    if (!f) return [];
    const ips = [...(v4 && f.v4 ? [f.v4] : []), ...(v6 && f.v6 ? [f.v6] : [])];
    const port = nodeListenPorts.get(name) ?? globalListenPort;
    return ips.map((ip) =>
      ordered(
        withV3(
          {
            ip,
            as_num: f.as || configuredAS,
            rr_cluster_id: f.rr,
            port,
            keep_next_hop: false,
            calico_node: false,
            num_allow_local_as: 0,
            ttl_security: spec.ttlSecurity ?? 0,
            reachable_by: spec.reachableBy ?? '',
            filters: spec.filters ?? null,
          },
          spec,
        ),
      ),
    );
  };
  const nodesWithIP = (ip: string, as: string) =>
    res.nodes
      .map((n) => n.name)
      .filter((n) => {
        const f = fields.get(n)!;
        return (f.v4 === ip || f.v6 === ip) && (f.as || configuredAS) === as;
      });

  for (const globalPass of [true, false]) {
    for (const { name, spec } of res.bgpPeers) {
      checkFields('BGPPeer', name, spec);
      if (globalPass !== (!spec.nodeSelector && !spec.node)) continue;
      const locals = spec.nodeSelector ? matching(spec.nodeSelector) : spec.node ? [spec.node] : [];
      let peers: PeerV1[] = [];
      if (spec.peerSelector) {
        for (const n of matching(spec.peerSelector)) peers.push(...nodeAsPeers(n, true, true, spec));
      } else {
        const { host, port: given } = splitHostPort(spec.peerIP ?? '');
        if (!host) throw new Error(`BGPPeer ${name}: neither peerIP nor peerSelector`);
        let port = given;
        const as = String(spec.asNumber ?? configuredAS);
        if (port === 0) {
          const nodes = nodesWithIP(host, as);
          if (nodes.length > 0) port = nodeListenPorts.get(nodes[0]) ?? globalListenPort;
        }
        peers = [
          ordered(
            withV3(
              {
                ip: host,
                as_num: String(spec.asNumber ?? 0),
                rr_cluster_id: '',
                port,
                keep_next_hop: spec.keepOriginalNextHop ?? false,
                calico_node: nodeIPs.has(host),
                num_allow_local_as: spec.numAllowedLocalASNumbers ?? 0,
                ttl_security: spec.ttlSecurity ?? 0,
                reachable_by: spec.reachableBy ?? '',
                filters: spec.filters ?? null,
              },
              spec,
            ),
          ),
        ];
      }
      for (const p of peers) {
        if (globalPass) emit(keyOf(p.ip, p.port), p, false, p.ip, p.port);
        else for (const l of locals) emit(keyOf(p.ip, p.port, l), p, true, p.ip, p.port);
      }
    }
  }
  // Reverse peerings, so that a peering between two Calico nodes is configured at both ends.
  for (const { spec } of res.bgpPeers) {
    let locals: string[];
    let v4 = false;
    let v6 = false;
    if (spec.peerSelector) {
      locals = matching(spec.peerSelector);
      v4 = v6 = true;
    } else {
      const { host } = splitHostPort(spec.peerIP ?? '');
      locals = nodesWithIP(host, String(spec.asNumber ?? configuredAS));
      if (host.includes(':')) v6 = true;
      else v4 = true;
    }
    if (locals.length === 0) continue;
    const peerNodes = spec.nodeSelector
      ? matching(spec.nodeSelector)
      : spec.node
        ? [spec.node]
        : matching('all()');
    for (const n of peerNodes)
      for (const p of nodeAsPeers(n, v4, v6, spec))
        for (const l of locals) emit(keyOf(p.ip, p.port, l), p, true, p.ip, p.port);
  }
  return out;
}

/** net.SplitHostPort as parseIPPort uses it: "[ac13::57]:50", "10.0.0.1:1790", or a bare address. */
function splitHostPort(s: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (v6) return { host: v6[1], port: Number(v6[2]) };
  const v4 = /^([^:]+):(\d+)$/.exec(s);
  if (v4) return { host: v4[1], port: Number(v4[2]) };
  return { host: s, port: 0 };
}

/** Calico v3 manifests (kind, metadata, spec), as calicoctl apply reads them, into resources. */
export function resourcesFromManifests(
  docs: readonly unknown[],
  blockAffinities: readonly BlockAffinity[] = [],
): CalicoResources {
  const out = {
    bgpConfigurations: [] as { name: string; spec: BGPConfigurationSpec }[],
    nodes: [] as CalicoNodeResource[],
    bgpPeers: [] as { name: string; spec: BGPPeerSpec }[],
    ipPools: [] as { name: string; spec: IPPoolSpec }[],
    bgpFilters: [] as { name: string; spec: Record<string, unknown> }[],
    blockAffinities,
    secrets: new Map<string, Record<string, string>>(),
    services: [] as KubeService[],
  };
  const endpoints = new Map<string, { ip: string; nodeName?: string }[]>();
  const services: (Omit<KubeService, 'endpoints'> & { name: string })[] = [];
  for (const d of docs) {
    if (!d) continue;
    const { kind, metadata, spec } = d as {
      kind?: string;
      metadata?: { name?: string; labels?: Record<string, unknown> };
      spec?: Record<string, unknown>;
    };
    const name = metadata?.name;
    if (!name) throw new Error(`a ${kind ?? 'resource'} without metadata.name`);
    if (kind === 'BGPConfiguration')
      out.bgpConfigurations.push({ name, spec: (spec ?? {}) as BGPConfigurationSpec });
    else if (kind === 'BGPPeer') out.bgpPeers.push({ name, spec: (spec ?? {}) as BGPPeerSpec });
    else if (kind === 'IPPool') out.ipPools.push({ name, spec: spec as unknown as IPPoolSpec });
    else if (kind === 'BGPFilter') out.bgpFilters.push({ name, spec: spec ?? {} });
    else if (kind === 'Node') {
      const labels = Object.fromEntries(
        Object.entries(metadata?.labels ?? {}).map(([k, v]) => [k, String(v)]),
      );
      const bgp = spec?.bgp as NodeBGPSpec | undefined;
      out.nodes.push({ name, labels, ...(bgp && { bgp }) });
    } else if (kind === 'Secret') {
      const { stringData, data } = d as {
        stringData?: Record<string, string>;
        data?: Record<string, string>;
      };
      const decoded = Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]);
      out.secrets.set(name, { ...Object.fromEntries(decoded), ...stringData });
    } else if (kind === 'Service') {
      const sp = (spec ?? {}) as Record<string, unknown>;
      const status = (d as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }).status;
      services.push({
        name,
        type: (sp.type as string | undefined) ?? 'ClusterIP',
        clusterIP: (sp.clusterIP as string | undefined) ?? '',
        ...(sp.externalTrafficPolicy !== undefined && {
          externalTrafficPolicy: sp.externalTrafficPolicy as string,
        }),
        ...(sp.externalIPs !== undefined && { externalIPs: sp.externalIPs as string[] }),
        ...(sp.loadBalancerIP !== undefined && { loadBalancerIP: sp.loadBalancerIP as string }),
        ingressIPs: (status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
      });
    } else if (kind === 'Endpoints') {
      const subsets =
        (d as { subsets?: { addresses?: { ip: string; nodeName?: string }[] }[] }).subsets ?? [];
      endpoints.set(
        name,
        subsets.flatMap((x) =>
          (x.addresses ?? []).map((a) => ({ ip: a.ip, ...(a.nodeName && { nodeName: a.nodeName }) })),
        ),
      );
    } else throw new Error(`resource kind ${kind} (${name}) is not implemented by rackbgp's confd emulation`);
  }
  // The route generator pairs a Service with the Endpoints of the same name; it skips a Service without.
  for (const svc of services) {
    const eps = endpoints.get(svc.name);
    if (eps) out.services.push({ ...svc, endpoints: eps });
  }
  return out;
}
