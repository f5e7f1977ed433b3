/**
 * plan(lab) → everything `lab up` does on one Linux host, as data: namespaces (one per switch, node
 * and pod), veth links, addresses and routes as `ip -batch` lines, sysctls, config files and the
 * processes to start. Pure: the executor (executor.ts) only carries it out, and tests read it.
 * Interface names follow containerlab's: spine ethN per leaf, leaf eth1.. uplinks then one port per
 * node in bridge br0 (the rack segment, the leaf's gateway address on br0), node eth1, pod eth0.
 */
import { join } from 'node:path';
import { hostAt, withLength } from './addr.js';
import { nodeBirdFiles } from './calico-lab.js';
import { API_PORT, labSessions, type Session, switchConfig, uplinkPorts } from './peerings.js';
import { isReflector, type Lab, type LabNode, labNodes, type Rack } from './schema.js';
import { kubeProxyRules, serviceIpLines } from './services.js';

export type Role = 'spine' | 'leaf' | 'node' | 'pod';

export interface NamespacePlan {
  readonly device: string;
  readonly ns: string;
  readonly role: Role;
  /** `key=value`, set right after the namespace exists (before any interface). */
  readonly sysctls: readonly string[];
  /** `ip -n NS -batch -` lines, run once every veth exists. */
  readonly ip: readonly string[];
  /** Per-interface sysctls, set after the ip lines. */
  readonly linkSysctls: readonly string[];
  /** iptables-restore input (kube-proxy's service rules on nodes, services.ts), after the ip lines. */
  readonly iptables?: string;
}

export interface VethEnd {
  readonly device: string;
  readonly ns: string;
  readonly dev: string;
}
export interface VethPlan {
  readonly a: VethEnd;
  readonly b: VethEnd;
}

export interface ProcessPlan {
  readonly device: string;
  readonly ns: string;
  readonly name: 'rackbgp' | 'bird' | 'bird6';
  readonly argv: readonly string[];
  readonly log: string;
  /** How to tell it is up: rackbgp's API answers, or BIRD's control socket does. */
  readonly ready: { readonly api: number } | { readonly socket: string; readonly client: string };
  /** BIRDs: when to start, in ms after a whole second of CLOCK_MONOTONIC (birdStartAt). */
  readonly startAt?: number;
}

export interface PodPlan {
  readonly device: string;
  readonly ns: string;
  readonly node: string;
  readonly rack: string;
  readonly ip: string;
  readonly ip6?: string;
}

export interface LabPlan {
  readonly lab: Lab;
  readonly workDir: string;
  readonly namespaces: readonly NamespacePlan[];
  readonly links: readonly VethPlan[];
  readonly files: readonly { readonly path: string; readonly content: string }[];
  readonly processes: readonly ProcessPlan[];
  readonly sessions: readonly Session[];
  readonly pods: readonly PodPlan[];
  /** Every address in the lab and the device that owns it (for path walks). */
  readonly owners: ReadonlyMap<string, string>;
}

export interface PlanOptions {
  /** Where configs, control sockets and logs go. */
  readonly workDir: string;
  /** The node binary and the built CLI (dist/src/cli/main.js) that run `rackbgp run`. */
  readonly node: string;
  readonly cli: string;
  readonly birdDir?: string;
}

/** Host-side MAC of every Calico workload veth (Felix sets ee:ee:ee:ee:ee:ee) and its link-local. */
export const CALI_MAC = 'ee:ee:ee:ee:ee:ee';
export const CALI_LINK_LOCAL = 'fe80::ecee:eeff:feee:eeee';
/** The gateway every Calico pod routes through (answered by the host side of the veth). */
export const CALI_GATEWAY = '169.254.1.1';

export const namespaceName = (lab: string, device: string) => `rbl-${lab}-${device}`;
export const podName = (node: string, i: number) => `${node}-pod${i}`;
export const caliDev = (i: number) => `calipod${i}`;

const BASE_SYSCTLS = [
  'net.ipv6.conf.all.accept_dad=0',
  'net.ipv6.conf.default.accept_dad=0',
  'net.ipv4.conf.all.rp_filter=0',
  'net.ipv4.conf.default.rp_filter=0',
];
const FORWARDING = ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'];
const addr = (a: string) => `addr add ${a} dev`;
const v6 = (a: string) => (a.includes(':') ? ' nodad' : '');

/** The pods of a node: host 1, 2, … of its block (and of its IPv6 block). */
export function nodePods(lab: Lab, node: LabNode): PodPlan[] {
  return Array.from({ length: node.pods }, (_, k) => {
    const i = k + 1;
    const device = podName(node.name, i);
    return {
      device,
      ns: namespaceName(lab.name, device),
      node: node.name,
      rack: node.rack,
      ip: hostAt(node.block, i),
      ...(node.block6 && { ip6: hostAt(node.block6, i) }),
    };
  });
}

/**
 * When `lab up` starts a node's BIRDs, in ms after a whole second of CLOCK_MONOTONIC: the
 * clients at 400, then the rack's i-th reflector at i × 1000, as kubelet starts calico-node pods
 * at different times. Why: selector BGPPeers have no `passive`, both BIRDs of a pair dial, and
 * BIRD 1.6 takes a connection arriving while the session is Established (graceful restart on) as
 * the neighbour restarting and drops the session. Its timers tick in whole monotonic seconds
 * (`connect delay time 2`: the first dial at start second + 2, re-armed the same way after a
 * refused dial or a drop), and a peer's SYN wakes a BIRD whose timer is due in that second, so
 * two BIRDs started in the same second dial each other at once and flap in lock-step (13–80 s).
 * With this order each pair has one first dialer whose connection arrives while the other
 * listens and is not yet due: a client dials both reflectors at 2.4 s (they listen since 1 s and
 * 2 s, due at 3 s and 4 s); reflector 1 dials reflector 2 at 3 s (due at 4 s). The clients start
 * mid-second so their dial lands after reflector 2 listens and before reflector 1 is due. With a
 * third reflector, pairs two apart can still collide (no schedule avoids it for three BIRDs that
 * all dial each other).
 */
export function birdStartAt(rack: Rack, node: LabNode): number {
  const i = rack.nodes.filter(isReflector).indexOf(node);
  return i < 0 ? 400 : (i + 1) * 1000;
}

export function plan(lab: Lab, opts: PlanOptions): LabPlan {
  const ns = (device: string) => namespaceName(lab.name, device);
  const bird = opts.birdDir ?? '/usr/sbin';
  const dual = lab.calico.pool6 !== undefined;
  const namespaces: NamespacePlan[] = [];
  const links: VethPlan[] = [];
  const files: { path: string; content: string }[] = [];
  const processes: ProcessPlan[] = [];
  const pods: PodPlan[] = [];
  const owners = new Map<string, string>();
  const ipLines = new Map<string, string[]>();
  const lines = (device: string) =>
    ipLines.get(device) ?? ipLines.set(device, ['link set lo up']).get(device)!;
  const linkSysctls = new Map<string, string[]>();
  const end = (device: string, dev: string): VethEnd => ({ device, ns: ns(device), dev });
  const up = (device: string, dev: string, ...addrs: (string | undefined)[]) => {
    for (const a of addrs) if (a) lines(device).push(`${addr(a)} ${dev}${v6(a)}`);
    lines(device).push(`link set ${dev} up`);
  };

  // Spines and leaves: ethN per uplink on both sides, in file order; unnumbered: link-local only.
  const ports = uplinkPorts(lab);
  for (const leaf of lab.leaves) {
    leaf.uplinks.forEach((u) => {
      const { spineDev, leafDev } = ports.get(u)!;
      links.push({ a: end(u.spine, spineDev), b: end(leaf.name, leafDev) });
      if (lab.fabric === 'unnumbered') {
        up(u.spine, spineDev);
        up(leaf.name, leafDev);
        return;
      }
      up(
        u.spine,
        spineDev,
        withLength(u.spineIp, u.subnet),
        u.spineIp6 && withLength(u.spineIp6, u.subnet6!),
      );
      up(leaf.name, leafDev, withLength(u.leafIp, u.subnet), u.leafIp6 && withLength(u.leafIp6, u.subnet6!));
      owners.set(u.spineIp, u.spine).set(u.leafIp, leaf.name);
      if (u.spineIp6) owners.set(u.spineIp6, u.spine).set(u.leafIp6!, leaf.name);
    });
  }
  // Racks: a bridge on the leaf holds the gateway; one leaf port per node.
  for (const rack of lab.racks) {
    const leaf = lab.leaves.find((l) => l.name === rack.leaf)!;
    const l = lines(leaf.name);
    l.push('link add br0 type bridge');
    rack.nodes.forEach((node, j) => {
      const port = `eth${leaf.uplinks.length + j + 1}`;
      links.push({ a: end(leaf.name, port), b: end(node.name, 'eth1') });
      l.push(`link set ${port} master br0`, `link set ${port} up`);
    });
    up(
      leaf.name,
      'br0',
      withLength(rack.gateway, rack.subnet),
      rack.gateway6 && withLength(rack.gateway6, rack.subnet6!),
    );
    owners.set(rack.gateway, leaf.name);
    if (rack.gateway6) owners.set(rack.gateway6, leaf.name);
    for (const node of rack.nodes) {
      up(
        node.name,
        'eth1',
        withLength(node.ip, rack.subnet),
        node.ip6 && withLength(node.ip6, rack.subnet6!),
      );
      owners.set(node.ip, node.name);
      if (node.ip6) owners.set(node.ip6, node.name);
      // Felix: a /32 (/128) per pod through its cali veth. The block's blackhole route is BIRD's
      // (bird_aggr.cfg's protocol static, exported to the kernel by calico_kernel_programming).
      for (const [k, pod] of nodePods(lab, node).entries()) {
        const cali = caliDev(k + 1);
        pods.push(pod);
        owners.set(pod.ip, pod.device);
        if (pod.ip6) owners.set(pod.ip6, pod.device);
        links.push({ a: end(node.name, cali), b: end(pod.device, 'eth0') });
        lines(node.name).push(
          `link set ${cali} address ${CALI_MAC}`,
          `link set ${cali} up`,
          `route add ${pod.ip}/32 dev ${cali} scope link`,
        );
        if (pod.ip6) lines(node.name).push(`route add ${pod.ip6}/128 dev ${cali}`);
        linkSysctls.set(node.name, [
          ...(linkSysctls.get(node.name) ?? []),
          `net.ipv4.conf.${cali}.proxy_arp=1`,
          `net.ipv4.neigh.${cali}.proxy_delay=0`,
        ]);
        const p = lines(pod.device);
        p.push(
          `addr add ${pod.ip}/32 dev eth0`,
          'link set eth0 up',
          `route add ${CALI_GATEWAY} dev eth0 scope link`,
          `route add default via ${CALI_GATEWAY} dev eth0`,
          `neigh add ${CALI_GATEWAY} lladdr ${CALI_MAC} dev eth0 nud permanent`,
        );
        if (pod.ip6)
          p.push(
            `addr add ${pod.ip6}/128 dev eth0 nodad`,
            `neigh add ${CALI_LINK_LOCAL} lladdr ${CALI_MAC} dev eth0 nud permanent`,
            `route add default via ${CALI_LINK_LOCAL} dev eth0`,
          );
      }
    }
  }

  // Services: kube-proxy's rules and the client routing of each node (services.ts).
  const kubeProxy = new Map<string, string>();
  for (const rack of lab.racks)
    for (const node of rack.nodes) {
      const rules = kubeProxyRules(lab, node);
      if (rules) kubeProxy.set(node.name, rules);
      lines(node.name).push(...serviceIpLines(lab, rack));
    }
  const nsPlan = (device: string, role: Role): NamespacePlan => ({
    device,
    ns: ns(device),
    role,
    sysctls: role === 'pod' ? BASE_SYSCTLS : [...BASE_SYSCTLS, ...FORWARDING],
    ip: lines(device),
    linkSysctls: linkSysctls.get(device) ?? [],
    ...(kubeProxy.has(device) && { iptables: kubeProxy.get(device) }),
  });
  for (const s of lab.spines) namespaces.push(nsPlan(s.name, 'spine'));
  for (const l of lab.leaves) namespaces.push(nsPlan(l.name, 'leaf'));
  for (const n of labNodes(lab)) namespaces.push(nsPlan(n.name, 'node'));
  for (const p of pods) namespaces.push(nsPlan(p.device, 'pod'));

  for (const device of [...lab.spines, ...lab.leaves].map((s) => s.name)) {
    const dir = join(opts.workDir, device);
    const cfg = join(dir, 'rackbgp.yaml');
    files.push({ path: cfg, content: switchConfig(lab, device) });
    processes.push({
      device,
      ns: ns(device),
      name: 'rackbgp',
      argv: [opts.node, opts.cli, 'run', '-c', cfg, '--log-level', 'info'],
      log: join(dir, 'rackbgp.log'),
      ready: { api: API_PORT },
    });
  }
  for (const [rack, node] of lab.racks.flatMap((r) => r.nodes.map((n) => [r, n] as const))) {
    const dir = join(opts.workDir, node.name);
    for (const family of dual ? ([4, 6] as const) : ([4] as const)) {
      const name = family === 4 ? 'bird' : 'bird6';
      // confd's files as calico-node writes them: bird.cfg includes bird_aggr.cfg and bird_ipam.cfg.
      const conf = join(dir, `${name}.cfg`);
      const socket = join(dir, `${name}.ctl`);
      for (const [file, content] of nodeBirdFiles(lab, node, family))
        files.push({ path: join(dir, file), content });
      processes.push({
        device: node.name,
        ns: ns(node.name),
        name,
        // -d as calico-node runs it: in the foreground (the PID we record is BIRD's own), logging
        // to stderr, i.e. to the log beside the config, not to the host's syslog.
        argv: [join(bird, name), '-d', '-c', conf, '-s', socket],
        log: join(dir, `${name}.log`),
        ready: { socket, client: join(bird, family === 4 ? 'birdc' : 'birdc6') },
        startAt: birdStartAt(rack, node),
      });
    }
  }
  return {
    lab,
    workDir: opts.workDir,
    namespaces,
    links,
    files,
    processes,
    sessions: labSessions(lab),
    pods,
    owners,
  };
}
