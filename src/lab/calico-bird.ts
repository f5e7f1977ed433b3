/**
 * Renders the BIRD 1.6 configuration calico-node would run, from Calico's confd templates
 * (bird.cfg.template / bird6.cfg.template with bird_ipam.cfg.template): the bgp_template options
 * (multihop, add paths, graceful restart, connect delay/retry, error wait), Global_/Node_ peers with
 * `rr client` + `rr cluster id` on reflectors, kernel learn/persist/merge paths, pool export filter.
 * Debian's BIRD lacks the Calico fork's krt_tunnel, so pools are rendered as encapsulation None.
 */

export interface CalicoPeer {
  readonly ip: string;
  readonly asn: number;
  readonly port?: number;
  /** BGPPeer "Global" (all nodes) or node-specific ("Node"); only the protocol name differs. */
  readonly kind?: 'Global' | 'Node';
  /** sourceAddress: UseNodeIP (default) adds `source address <node ip>`. */
  readonly sourceAddress?: 'UseNodeIP' | 'None';
  /** The peer's own routeReflectorClusterID when the peer is a Calico reflector. */
  readonly rrClusterId?: string;
  readonly restartTime?: number;
  readonly password?: string;
  readonly keepNextHop?: boolean;
  /** A peer that is a calico-node: the higher IP waits (passive), as Calico renders it. */
  readonly calicoNode?: boolean;
}

export interface CalicoNode {
  readonly name: string;
  /** 4 renders bird.cfg, 6 renders bird6.cfg. */
  readonly family: 4 | 6;
  /** The node's address of that family (BGP source address). */
  readonly ip: string;
  /** BGP router id (IPv4 form), the node's IPv4 address by default in Calico. */
  readonly routerId: string;
  readonly asn: number;
  /** Node spec.bgp.routeReflectorClusterID; set on reflector nodes. */
  readonly clusterId?: string;
  readonly listenPort?: number;
  /** IP pool CIDRs of this family whose routes are exported. */
  readonly pools: readonly string[];
  /**
   * The node's confirmed IPAM blocks: when given, bird_aggr.cfg.template's calico_aggr() is rendered
   * and called first by the export filter, so a block is exported and nothing beneath it (pod /32s).
   */
  readonly blocks?: readonly string[];
  readonly peers: readonly CalicoPeer[];
}

const BGP_TEMPLATE_TIMERS = ['connect delay time 1;', 'connect retry time 3;', 'error wait time 5,60;'];

const ipCompare = (a: string, b: string): number => {
  const norm = (ip: string) =>
    ip.includes(':')
      ? ip
      : ip
          .split('.')
          .map((x) => x.padStart(3, '0'))
          .join('.');
  return norm(a) < norm(b) ? -1 : norm(a) > norm(b) ? 1 : 0;
};

/** The BIRD protocol name Calico gives a peer: Global_/Node_ and the address with _ for . and :. */
export const protocolName = (p: Pick<CalicoPeer, 'ip' | 'port' | 'kind'>): string =>
  `${p.kind ?? 'Global'}_${p.ip.replace(/[.:]/g, '_')}${p.port ? `_port_${p.port}` : ''}`;

function peerBlock(node: CalicoNode, p: CalicoPeer): string {
  const lines = [`protocol bgp ${protocolName(p)} from bgp_template {`];
  lines.push(`  neighbor ${p.ip} ${p.port ? `port ${p.port} ` : ''}as ${p.asn};`);
  if ((p.sourceAddress ?? 'UseNodeIP') === 'UseNodeIP') {
    lines.push(`  source address ${node.ip};  # The local address we use for the TCP connection`);
  }
  if (p.calicoNode && ipCompare(p.ip, node.ip) > 0)
    lines.push('  passive on; # Peering is unidirectional, peer will connect to us.');
  if (p.restartTime !== undefined) lines.push(`  graceful restart time ${p.restartTime};`);
  // Calico: a reflector treats same-AS peers with a different cluster id as its clients.
  if (p.asn === node.asn && node.clusterId && p.rrClusterId !== node.clusterId) {
    lines.push('  rr client;', `  rr cluster id ${node.clusterId};`);
  }
  if (p.password) lines.push(`  password "${p.password}";`);
  if (p.asn !== node.asn && p.keepNextHop) lines.push('  next hop keep;');
  lines.push('}');
  return lines.join('\n');
}

/** bird_aggr.cfg.template's function: accept each block itself, reject what lies beneath it. */
function aggrFunction(blocks: readonly string[]): string {
  const body = blocks.map(
    (b) =>
      `      # Block ${b} is confirmed\n      if ( net = ${b} ) then { accept; }\n      if ( net ~ ${b} ) then { reject; }`,
  );
  return `# Aggregation of routes on this host; export the block, nothing beneath it.
function calico_aggr ()
{
${body.join('\n')}
}

`;
}

export function renderBirdConfig(node: CalicoNode): string {
  const pools = node.pools.map((c) => `  if ( net ~ ${c} ) then {\n    accept;\n  }`).join('\n');
  return `# Generated for ${node.name} from Calico's bird${node.family === 6 ? '6' : ''}.cfg.template
router id ${node.routerId};
${node.listenPort ? `listen bgp port ${node.listenPort};\n` : ''}
${node.blocks ? aggrFunction(node.blocks) : ''}filter calico_export_to_bgp_peers {
${node.blocks ? '  calico_aggr();\n' : ''}${pools}
  reject;
}

filter calico_kernel_programming {
${pools}
  accept;
}

# Configure synchronization between routing tables and kernel.
protocol kernel {
  learn;             # Learn all alien routes from the kernel
  persist;           # Don't remove routes on bird shutdown
  scan time 2;       # Scan kernel routing table every 2 seconds
  import all;
  export filter calico_kernel_programming; # Default is export none
  graceful restart;
  merge paths on;    # Allow export multipath routes (ECMP)
}

# Watch interface up/down events.
protocol device {
  debug { states };
  scan time 2;    # Scan interfaces every 2 seconds
}

protocol direct {
  debug { states };
  interface -"cali*", -"kube-ipvs*", "*";
}

# Template for all BGP clients
template bgp bgp_template {
  debug { states };
  description "Connection to BGP peer";
  local as ${node.asn};
  multihop;
  gateway recursive; # This should be the default, but just in case.
  import all;        # Import all routes, since we don't know what the upstream
                     # topology is and therefore have to trust the ToR/RR.
  export filter calico_export_to_bgp_peers;  # Only want to export routes for workloads.
  add paths on;
  graceful restart;
  ${BGP_TEMPLATE_TIMERS.join('\n  ')}
}

# ------------- Node-to-node mesh -------------
${node.clusterId ? `# This node (${node.name}) is configured as a route reflector with cluster ID ${node.clusterId};\n# ignore node-to-node mesh setting.` : '# Node-to-node mesh disabled'}

# ------------- Global peers -------------
${
  node.peers
    .filter((p) => p.ip !== node.ip)
    .map((p) => peerBlock(node, p))
    .join('\n\n') || '# No global peers configured.'
}
`;
}
