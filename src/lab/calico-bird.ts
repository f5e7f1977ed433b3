/**
 * calico-node's BIRD 1.6 configuration, rendered by executing Calico's own confd templates
 * (lab/calico-templates/<version>, see src/lab/confd.ts) over the datastore confd builds from the
 * Calico resources (src/lab/confd-keys.ts). The only changes are the ones Debian's BIRD 1.6 needs
 * in place of the Calico fork (projectcalico/bird), each named in `debianBird16`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConfdDir, readConfdDir, renderConfd } from './confd.js';
import { type BGPPeerSpec, type CalicoResources, confdCache } from './confd-keys.js';

const confdDirs = new Map<string, ConfdDir>();

/** lab/calico-templates/<version>, found by walking up from this module (src/ or dist/src/). */
export function calicoTemplates(version: string): ConfdDir {
  const cached = confdDirs.get(version);
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const root = join(dir, 'lab', 'calico-templates');
    if (existsSync(root)) {
      if (!existsSync(join(root, version)))
        throw new Error(
          `no Calico templates for ${version} in ${root} (have: ${readdirSync(root).join(', ')}); add confd's ` +
            'templates/ and conf.d/ of that version there',
        );
      const d = readConfdDir(join(root, version));
      confdDirs.set(version, d);
      return d;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('lab/calico-templates not found above the rackbgp module');
    dir = up;
  }
}

/**
 * What Debian's BIRD 1.6 needs instead of the Calico fork's syntax:
 * - `krt_tunnel = "";` (bird_ipam.cfg's calico_kernel_programming): krt_tunnel is an attribute only
 *   the fork has (the IP-in-IP device of a route); empty means no tunnel, so the line is dropped.
 *   A pool with IP-in-IP (a non-empty tunnel) cannot run on Debian's BIRD: that is an error.
 */
export function debianBird16(file: string, text: string): string {
  const tunnel = /^.*krt_tunnel = "([^"]*)";.*$/m.exec(text);
  if (tunnel && tunnel[1] !== '')
    throw new Error(
      `${file}: krt_tunnel = "${tunnel[1]}" needs Calico's BIRD fork (IP-in-IP); use pools with encapsulation None`,
    );
  return text.replace(/^[ \t]*krt_tunnel = "";[ \t]*\n/gm, '');
}

/** The files confd writes for a node and one family: bird.cfg, bird_aggr.cfg, bird_ipam.cfg (or bird6*). */
export function birdFiles(
  cache: ReadonlyMap<string, string>,
  nodeName: string,
  family: 4 | 6,
  version: string,
): Map<string, string> {
  const all = renderConfd(calicoTemplates(version), cache, { NODENAME: nodeName });
  const mine = family === 4 ? /^bird(_|\.)/ : /^bird6(_|\.)/;
  return new Map([...all].filter(([f]) => mine.test(f)).map(([f, text]) => [f, debianBird16(f, text)]));
}

/** bird.cfg with its `include "…";` lines replaced by the included files: one self-contained file. */
export function inlineIncludes(files: ReadonlyMap<string, string>, main: string): string {
  return files
    .get(main)!
    .replace(/^include "([^"]+)";$/gm, (line, f: string) =>
      files.has(f) ? `# ${line}\n${files.get(f)}` : line,
    );
}

/** The BIRD protocol name the templates give a peer: Global_/Node_ and the address with _ for . and :. */
export const protocolName = (p: Pick<CalicoPeer, 'ip' | 'port' | 'kind'>): string =>
  `${p.kind ?? 'Global'}_${p.ip.replace(/[.:]/g, '_')}${p.port ? `_port_${p.port}` : ''}`;

export interface CalicoPeer {
  readonly ip: string;
  readonly asn: number;
  readonly port?: number;
  /** A BGPPeer for all nodes ("Global") or for this node (`node:`, "Node"). */
  readonly kind?: 'Global' | 'Node';
  readonly sourceAddress?: 'UseNodeIP' | 'None';
  readonly restartTime?: number;
  readonly keepNextHop?: boolean;
  /** The peer address is another Calico node's: Calico then sets `passive on` on a Global peer
   * when the peer's IP is the higher one (compared as strings). */
  readonly calicoNode?: boolean;
}

/** A single node with explicit peers (BGPPeers by peerIP), for tests and benchmarks. */
export interface CalicoNode {
  readonly name: string;
  /** 4 renders bird.cfg, 6 renders bird6.cfg. */
  readonly family: 4 | 6;
  /** The node's address of that family (Node spec.bgp.ipv4Address / ipv6Address). */
  readonly ip: string;
  /** IPv4 router id: the node's IPv4 address in Calico. */
  readonly routerId: string;
  readonly asn: number;
  /** Node spec.bgp.routeReflectorClusterID. */
  readonly clusterId?: string;
  /** IPPool CIDRs (encapsulation None). */
  readonly pools: readonly string[];
  /** The node's IPAM blocks: BIRD's static protocol blackholes them and exports them, nothing beneath. */
  readonly blocks?: readonly string[];
  readonly peers: readonly CalicoPeer[];
}

/** The Calico resources of one node with explicit peers. */
export function singleNodeResources(node: CalicoNode): CalicoResources {
  const v4 = node.family === 4 ? node.ip : node.routerId;
  const peerSpec = (p: CalicoPeer): BGPPeerSpec => ({
    ...(p.kind === 'Node' && { node: node.name }),
    peerIP: p.port ? (p.ip.includes(':') ? `[${p.ip}]:${p.port}` : `${p.ip}:${p.port}`) : p.ip,
    asNumber: p.asn,
    ...(p.sourceAddress && { sourceAddress: p.sourceAddress }),
    ...(p.restartTime !== undefined && { maxRestartTime: `${p.restartTime}s` }),
    ...(p.keepNextHop && { keepOriginalNextHop: true }),
  });
  return {
    bgpConfigurations: [
      { name: 'default', spec: { logSeverityScreen: 'Info', nodeToNodeMeshEnabled: false } },
    ],
    nodes: [
      {
        name: node.name,
        labels: {},
        bgp: {
          ipv4Address: v4,
          ...(node.family === 6 && { ipv6Address: node.ip }),
          asNumber: node.asn,
          ...(node.clusterId && { routeReflectorClusterID: node.clusterId }),
        },
      },
      // A peer that is a Calico node is one whose address is a Node's (client.go nodeIPs).
      ...node.peers
        .filter((p) => p.calicoNode)
        .map((p, i) => ({
          name: `peer-node-${i}`,
          labels: {},
          bgp: p.ip.includes(':') ? { ipv6Address: p.ip } : { ipv4Address: p.ip },
        })),
    ],
    bgpPeers: node.peers.map((p, i) => ({ name: `peer-${i}`, spec: peerSpec(p) })),
    ipPools: node.pools.map((cidr, i) => ({
      name: `pool-${i}`,
      spec: { cidr, ipipMode: 'Never', vxlanMode: 'Never' },
    })),
    bgpFilters: [],
    blockAffinities: (node.blocks ?? []).map((cidr) => ({ host: node.name, cidr })),
  };
}

/**
 * calico-node's bird.cfg (family 4) or bird6.cfg (family 6) for one node with explicit peers, its
 * includes (bird_aggr.cfg, bird_ipam.cfg) inlined, rendered from Calico v3.28.2's templates.
 */
export function renderBirdConfig(node: CalicoNode, version = 'v3.28.2'): string {
  const files = birdFiles(confdCache(singleNodeResources(node)), node.name, node.family, version);
  return inlineIncludes(files, node.family === 4 ? 'bird.cfg' : 'bird6.cfg');
}
