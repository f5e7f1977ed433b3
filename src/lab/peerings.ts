/**
 * Who peers with whom in a lab, with Calico's BGPPeer semantics: spine ↔ leaf eBGP per uplink;
 * per rack, clients → the rack's reflectors (iBGP), reflectors ↔ reflectors (iBGP; with per-node
 * cluster ids each treats the other as its `rr client`), reflectors → their leaf (eBGP). Then the
 * rackbgp YAML the switches run (the nodes' BIRD configs come from Calico's templates: calico-lab.ts).
 */
import { parseConfig } from '../config/load.js';
import { protocolName } from './calico-bird.js';
import { isReflector, type Lab, type LabNode, labNodes, type Rack, type Uplink } from './schema.js';

/** rackbgp's HTTP API port inside each switch namespace (loopback only). */
export const API_PORT = 50179;

export type Speaker = 'rackbgp' | 'bird' | 'bird6';
export type SessionKind = 'spine-leaf' | 'leaf-reflector' | 'reflector-reflector' | 'client-reflector';

export interface SessionEnd {
  readonly device: string;
  readonly speaker: Speaker;
  readonly asn: number;
  readonly local: string;
  readonly remote: string;
  /** BIRD's protocol name for this session (nodes only). */
  readonly protocol?: string;
  /** This end reflects the peer's routes to it as a route-reflector client (RFC 4456). */
  readonly peerIsClient: boolean;
}

export interface Session {
  readonly kind: SessionKind;
  readonly family: 4 | 6;
  readonly ends: readonly [SessionEnd, SessionEnd];
}

const birdEnd = (
  node: LabNode,
  rack: Rack,
  family: 4 | 6,
  remote: string,
  peerIsClient: boolean,
): SessionEnd => ({
  device: node.name,
  speaker: family === 4 ? 'bird' : 'bird6',
  asn: rack.asn,
  local: family === 4 ? node.ip : node.ip6!,
  remote,
  protocol: protocolName({ ip: remote, kind: 'Node' }),
  peerIsClient,
});

const switchEnd = (device: string, asn: number, local: string, remote: string): SessionEnd => ({
  device,
  speaker: 'rackbgp',
  asn,
  local,
  remote,
  peerIsClient: false,
});

/**
 * The interfaces of each spine ↔ leaf link, as containerlab names them: a spine's ethN count up
 * over the leaves in file order, a leaf's eth1.. are its uplinks in order.
 */
export function uplinkPorts(lab: Lab): Map<Uplink, { spineDev: string; leafDev: string }> {
  const out = new Map<Uplink, { spineDev: string; leafDev: string }>();
  const spinePorts = new Map<string, number>();
  for (const leaf of lab.leaves)
    leaf.uplinks.forEach((u, i) => {
      const sp = (spinePorts.get(u.spine) ?? 0) + 1;
      spinePorts.set(u.spine, sp);
      out.set(u, { spineDev: `eth${sp}`, leafDev: `eth${i + 1}` });
    });
  return out;
}

/** How an unnumbered session's end names its peer: its own interface, as `%eth1` (the zone of the peer's address). */
export const interfaceRemote = (dev: string) => `%${dev}`;

/** Every BGP session of the lab, each with both of its ends. */
export function labSessions(lab: Lab): Session[] {
  const out: Session[] = [];
  const families: (4 | 6)[] = lab.calico.pool6 ? [4, 6] : [4];
  const ports = uplinkPorts(lab);
  for (const leaf of lab.leaves) {
    for (const u of leaf.uplinks) {
      const spine = lab.spines.find((s) => s.name === u.spine)!;
      if (lab.fabric === 'unnumbered') {
        // One session over the link's link-local addresses carries both families (RFC 8950); each
        // end knows its peer by its own interface, the zone of the peer's address.
        const { spineDev, leafDev } = ports.get(u)!;
        const [s, l] = [interfaceRemote(spineDev), interfaceRemote(leafDev)];
        out.push({
          kind: 'spine-leaf',
          family: 4,
          ends: [switchEnd(spine.name, spine.asn, s, s), switchEnd(leaf.name, leaf.asn, l, l)],
        });
        continue;
      }
      for (const f of families) {
        const [l, s] = f === 4 ? [u.leafIp, u.spineIp] : [u.leafIp6!, u.spineIp6!];
        out.push({
          kind: 'spine-leaf',
          family: f,
          ends: [switchEnd(spine.name, spine.asn, s, l), switchEnd(leaf.name, leaf.asn, l, s)],
        });
      }
    }
  }
  for (const rack of lab.racks) {
    const leaf = lab.leaves.find((l) => l.name === rack.leaf)!;
    const reflectors = rack.nodes.filter(isReflector);
    const clients = rack.nodes.filter((n) => !isReflector(n));
    for (const f of families) {
      const ip = (n: LabNode) => (f === 4 ? n.ip : n.ip6!);
      const gw = f === 4 ? rack.gateway : rack.gateway6!;
      reflectors.forEach((r, i) => {
        out.push({
          kind: 'leaf-reflector',
          family: f,
          ends: [switchEnd(leaf.name, leaf.asn, gw, ip(r)), birdEnd(r, rack, f, gw, false)],
        });
        for (const other of reflectors.slice(i + 1))
          out.push({
            kind: 'reflector-reflector',
            family: f,
            ends: [birdEnd(r, rack, f, ip(other), true), birdEnd(other, rack, f, ip(r), true)],
          });
      });
      for (const c of clients)
        for (const r of reflectors)
          out.push({
            kind: 'client-reflector',
            family: f,
            ends: [birdEnd(c, rack, f, ip(r), false), birdEnd(r, rack, f, ip(c), true)],
          });
    }
  }
  return out;
}

const flow = (o: Record<string, string | number | boolean | object>): string =>
  `{ ${Object.entries(o)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? flow(v as Record<string, string>) : v}`)
    .join(', ')} }`;

/** rackbgp's YAML config for a spine or leaf; validated with the daemon's own schema before use. */
export function switchConfig(lab: Lab, device: string, source = 'lab file'): string {
  const spine = lab.spines.find((s) => s.name === device);
  const leaf = lab.leaves.find((l) => l.name === device);
  if (!spine && !leaf) throw new Error(`${device} is not a switch of lab ${lab.name}`);
  const neighbors: string[] = [];
  const unnumbered = lab.fabric === 'unnumbered';
  // BFD between switches only: the reflectors (calico-node, BIRD 1.6) have no BFD.
  const bfd: Record<string, boolean> = lab.bfd ? { bfd: true } : {};
  const ports = uplinkPorts(lab);
  let head: string;
  if (spine) {
    const down = lab.leaves.flatMap((l) =>
      l.uplinks.filter((u) => u.spine === device).map((u) => ({ l, u })),
    );
    for (const { l, u } of down) {
      if (unnumbered) {
        neighbors.push(flow({ interface: ports.get(u)!.spineDev, asn: l.asn, ...bfd, description: l.name }));
        continue;
      }
      neighbors.push(flow({ address: u.leafIp, asn: l.asn, ...bfd, description: l.name }));
      if (u.leafIp6)
        neighbors.push(flow({ address: u.leafIp6, asn: l.asn, ...bfd, description: `${l.name} IPv6` }));
    }
    head = `# ${device} of lab ${lab.name} (rendered by rackbgp lab from the ${source}): eBGP to every leaf,
# ECMP across them, best paths installed in the kernel.
router-id: ${spine.routerId}
asn: ${spine.asn}
fib: true
maximum-paths: 4
multipath-relax: true`;
  } else {
    const l = leaf!;
    for (const u of l.uplinks) {
      const s = lab.spines.find((x) => x.name === u.spine)!;
      if (unnumbered) {
        neighbors.push(flow({ interface: ports.get(u)!.leafDev, asn: s.asn, ...bfd, description: s.name }));
        continue;
      }
      neighbors.push(flow({ address: u.spineIp, asn: s.asn, ...bfd, description: s.name }));
      if (u.spineIp6)
        neighbors.push(flow({ address: u.spineIp6, asn: s.asn, ...bfd, description: `${s.name} IPv6` }));
    }
    const rack = lab.racks.find((r) => r.leaf === device);
    const reflectors = rack?.nodes.filter(isReflector) ?? [];
    for (const r of reflectors) {
      // calico-node's BIRD dials the leaf (bgp_template: connect delay 2 s, retry 5 s): the leaf waits.
      // The BGPPeer's password (a Secret calico-node reads) is the leaf's TCP MD5 key too (RFC 2385).
      const password = rack!.leafPeering.password;
      const common = {
        asn: rack!.asn,
        passive: true,
        'add-paths': { receive: true },
        ...(password && { password }),
      };
      neighbors.push(flow({ address: r.ip, ...common, description: `${r.name} reflector ${rack!.rrGroup}` }));
      if (r.ip6) neighbors.push(flow({ address: r.ip6, ...common, description: `${r.name} reflector IPv6` }));
    }
    head = `# ${device} of lab ${lab.name} (rendered by rackbgp lab from the ${source}): eBGP to the spine${
      l.uplinks.length > 1 ? 's' : ''
    } and to ${rack ? `${rack.name}'s route reflectors (${reflectors.map((r) => r.name).join(', ')}, AS ${rack.asn})` : 'no rack'};
# ECMP, best paths installed in the kernel.
router-id: ${l.routerId}
asn: ${l.asn}
fib: true
maximum-paths: 4`;
  }
  // Dual stack: one listener on :: takes IPv4 (mapped) and IPv6 connections; 0.0.0.0 would refuse IPv6.
  // Unnumbered links take link-local IPv6 connections: :: too.
  const listen = lab.calico.pool6 || unnumbered ? '\nlisten: { address: "::", port: 179 }' : '';
  // Graceful restart (`rackbgp lab restart DEVICE`): the kernel routes outlive the daemon, so the
  // GR capability lists the families with F (RFC 4724 §3); after a restart the switch waits at most
  // 30 s for End-of-RIB (FRR's 360 s suits a real fabric, not a lab).
  const text = `${head}${listen}
fib-keep-on-shutdown: true
graceful-restart: { selection-deferral-time: 30 }
api: { address: 127.0.0.1, port: ${API_PORT} }
defaults:
  connect-retry-time: 2
neighbors:
${neighbors.map((n) => `  - ${n}`).join('\n')}
`;
  parseConfig(text, `${device}/rackbgp.yaml`);
  return text;
}

/** Every node name with its rack, for lookups. */
export const nodeByName = (lab: Lab, name: string): LabNode | undefined =>
  labNodes(lab).find((n) => n.name === name);
