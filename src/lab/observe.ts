/**
 * What a running lab looks like from inside: rackbgp's neighbors and RIB through its API, BIRD's
 * protocols and table through birdc, each namespace's kernel FIB (`ip -j route`), pod-to-pod pings
 * and the hop-by-hop FIB path of each. The parsers are pure and tested; `observe` runs the commands.
 */
import { apiGet } from './executor.js';
import { nsRun, run } from './netns.js';
import { CALI_GATEWAY, CALI_LINK_LOCAL, type LabPlan, type PodPlan } from './plan.js';
import { labNodes } from './schema.js';

export interface KernelRoute {
  readonly dst: string;
  readonly type?: string;
  readonly protocol?: string;
  readonly dev?: string;
  readonly gateways: readonly string[];
}

export interface BirdProtocol {
  readonly name: string;
  readonly proto: string;
  readonly state: string;
  readonly info: string;
}

export interface BirdRoute {
  readonly prefix: string;
  /** One entry per route BIRD holds for the prefix; `primary` is the one marked `*`. */
  readonly entries: readonly {
    readonly via?: string;
    readonly protocol: string;
    readonly primary: boolean;
  }[];
}

export interface NeighborView {
  readonly address: string;
  readonly state: string;
  readonly peerAs: number | string;
  readonly prefixesReceived: number;
  readonly prefixesSent: number;
}

export interface RibRoute {
  readonly prefix: string;
  readonly paths: readonly { readonly peer: string; readonly nextHop?: string; readonly best: boolean }[];
}

export interface SwitchObservation {
  readonly device: string;
  readonly neighbors?: readonly NeighborView[];
  readonly rib?: readonly RibRoute[];
  readonly kernel: readonly KernelRoute[];
  readonly error?: string;
}

export interface NodeObservation {
  readonly device: string;
  readonly family: 4 | 6;
  readonly protocols?: readonly BirdProtocol[];
  readonly routes?: readonly BirdRoute[];
  readonly kernel: readonly KernelRoute[];
  readonly error?: string;
}

export interface PingObservation {
  readonly from: string;
  readonly to: string;
  readonly family: 4 | 6;
  readonly dst: string;
  readonly ok: boolean;
  readonly rttMs?: number;
  /** Devices the packet crosses by the kernel FIBs, source pod to destination pod. */
  readonly path: readonly string[];
  readonly pathEnd?: string;
}

export interface Observations {
  readonly at: string;
  readonly switches: readonly SwitchObservation[];
  readonly nodes: readonly NodeObservation[];
  readonly pings: readonly PingObservation[];
}

const withLen = (dst: string, family: 4 | 6) =>
  dst === 'default'
    ? family === 4
      ? '0.0.0.0/0'
      : '::/0'
    : dst.includes('/')
      ? dst
      : `${dst}/${family === 4 ? 32 : 128}`;

/** `ip -j route show` output → routes with prefix lengths always written out. */
export function parseKernelRoutes(json: string, family: 4 | 6): KernelRoute[] {
  const rows = JSON.parse(json || '[]') as {
    dst: string;
    type?: string;
    protocol?: string;
    dev?: string;
    gateway?: string;
    via?: { host?: string };
    nexthops?: { gateway?: string; via?: { host?: string }; dev?: string }[];
  }[];
  // An IPv4 route via an IPv6 link-local gateway (RFC 8950, unnumbered fabric) names the link: `%dev`.
  const hop = (h: { gateway?: string; via?: { host?: string }; dev?: string }): string[] =>
    h.gateway ? [h.gateway] : h.via?.host ? [/^fe80:/i.test(h.via.host) ? `%${h.dev}` : h.via.host] : [];
  return rows.map((r) => ({
    dst: withLen(r.dst, family),
    ...(r.type && { type: r.type }),
    ...(r.protocol && { protocol: r.protocol }),
    ...(r.dev && { dev: r.dev }),
    gateways: r.nexthops ? r.nexthops.flatMap(hop) : hop(r),
  }));
}

/** `birdc show protocols` (BIRD 1.6) → one entry per protocol. */
export function parseBirdProtocols(text: string): BirdProtocol[] {
  const out: BirdProtocol[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\S+)\s*(.*)$/.exec(line);
    if (!m || m[1] === 'name' || m[1] === 'BIRD') continue;
    out.push({ name: m[1], proto: m[2], state: m[4], info: m[6].trim() });
  }
  return out;
}

/** `birdc show route` (BIRD 1.6) → prefixes with each route's next hop and protocol. */
export function parseBirdRoutes(text: string): BirdRoute[] {
  const out: { prefix: string; entries: BirdRoute['entries'][number][] }[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('BIRD ')) continue;
    const head = /^(\S+\/\d+)\s+(.*)$/.exec(line);
    const rest = head ? head[2] : line.trim();
    if (head) out.push({ prefix: head[1], entries: [] });
    const cur = out.at(-1);
    const proto = /\[(\S+)[\s\]]/.exec(rest);
    if (!cur || !proto) continue;
    const via = /^via (\S+)/.exec(rest);
    cur.entries.push({ ...(via && { via: via[1] }), protocol: proto[1], primary: /\]\s+\*/.test(rest) });
  }
  return out;
}

/** `ip -n NS` skips `ip netns exec`'s mount namespace set-up: several times cheaper. */
const ipIn = (ns: string, family: 4 | 6, ...args: string[]) =>
  run('ip', ['-n', ns, '-j', family === 4 ? '-4' : '-6', ...args]);

async function kernelRoutes(ns: string, family: 4 | 6): Promise<KernelRoute[]> {
  const r = await ipIn(ns, family, 'route', 'show');
  return r.code === 0 ? parseKernelRoutes(r.stdout, family) : [];
}

async function observeSwitch(p: LabPlan, device: string): Promise<SwitchObservation> {
  const ns = p.namespaces.find((n) => n.device === device)!.ns;
  const families: (4 | 6)[] = p.lab.calico.pool6 ? [4, 6] : [4];
  const kernel = (await Promise.all(families.map((f) => kernelRoutes(ns, f)))).flat();
  const [neighbors, rib] = await Promise.all([
    apiGet<NeighborView[]>(ns, '/api/neighbors'),
    apiGet<RibRoute[]>(ns, '/api/routes'),
  ]);
  if (!neighbors) return { device, kernel, error: `rackbgp's API does not answer in ${ns}` };
  return { device, neighbors, ...(rib && { rib }), kernel };
}

async function observeNode(p: LabPlan, device: string, family: 4 | 6): Promise<NodeObservation> {
  const name = family === 4 ? 'bird' : 'bird6';
  const proc = p.processes.find((x) => x.device === device && x.name === name)!;
  if (!('socket' in proc.ready)) throw new Error('not a BIRD process');
  const { socket, client } = proc.ready;
  const cli = (...args: string[]) => nsRun(proc.ns, [client, '-s', socket, ...args], 10_000);
  const [protocols, routes, kernel] = await Promise.all([
    cli('show', 'protocols'),
    cli('show', 'route'),
    kernelRoutes(proc.ns, family),
  ]);
  if (protocols.code !== 0)
    return { device, family, kernel, error: `${name}: ${(protocols.stderr || protocols.stdout).trim()}` };
  return {
    device,
    family,
    protocols: parseBirdProtocols(protocols.stdout),
    routes: parseBirdRoutes(routes.stdout),
    kernel,
  };
}

/** Follows the kernel FIBs from `from` toward `dst`: `ip route get` at each hop. */
export async function fibPath(
  p: LabPlan,
  from: PodPlan,
  dst: string,
  linkLocals: ReadonlyMap<string, string> = new Map(),
): Promise<{ hops: string[]; end?: string }> {
  const nsOf = new Map(p.namespaces.map((n) => [n.device, n.ns]));
  const family = dst.includes(':') ? 6 : 4;
  const hops = [from.device];
  let at = from.device;
  for (let i = 0; i < 12; i++) {
    const r = await ipIn(nsOf.get(at)!, family, 'route', 'get', dst);
    if (r.code !== 0) return { hops, end: `no route at ${at}: ${r.stderr.trim()}` };
    const [route] = JSON.parse(r.stdout) as {
      type?: string;
      gateway?: string;
      via?: { host?: string };
      dev?: string;
    }[];
    if (route.type && route.type !== 'unicast') return { hops, end: `${route.type} at ${at}` };
    const gw = route.gateway ?? route.via?.host; // `via inet6` on an unnumbered fabric
    const pod = p.pods.find((x) => x.device === at);
    const next =
      pod && (gw === CALI_GATEWAY || gw === CALI_LINK_LOCAL)
        ? pod.node
        : (p.owners.get(gw ?? dst) ?? (gw ? linkLocals.get(gw) : undefined));
    if (!next) return { hops, end: `${at} sends it to ${gw ?? route.dev}, which is no lab device` };
    hops.push(next);
    if (p.owners.get(dst) === next) return { hops };
    at = next;
  }
  return { hops, end: 'loop' };
}

/**
 * IPv6 link-local address → lab device: next hops the lab did not plan (RFC 2545 §3: BGP speakers on
 * a link send theirs beside the global next hop, and BIRD installs routes through them).
 */
export async function linkLocalOwners(p: LabPlan): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  await Promise.all(
    p.namespaces.map(async (n) => {
      const r = await ipIn(n.ns, 6, 'addr', 'show', 'scope', 'link');
      if (r.code !== 0) return;
      for (const link of JSON.parse(r.stdout) as { addr_info?: { local?: string }[] }[])
        for (const a of link.addr_info ?? []) if (a.local) owners.set(a.local, n.device);
    }),
  );
  return owners;
}

async function ping(
  p: LabPlan,
  from: PodPlan,
  to: PodPlan,
  family: 4 | 6,
  linkLocals: ReadonlyMap<string, string>,
): Promise<PingObservation> {
  const dst = family === 4 ? to.ip : to.ip6!;
  const [r, path] = await Promise.all([
    nsRun(from.ns, ['ping', `-${family}`, '-c', '1', '-W', '1', '-n', '-q', dst], 5000),
    fibPath(p, from, dst, linkLocals),
  ]);
  const rtt = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
  return {
    from: from.device,
    to: to.device,
    family,
    dst,
    ok: r.code === 0,
    ...(rtt && { rttMs: Number(rtt[1]) }),
    path: path.hops,
    ...(path.end && { pathEnd: path.end }),
  };
}

/** Pod pairs to ping: every pair across racks, both families when the lab is dual stack. */
export function pingPairs(p: LabPlan): { from: PodPlan; to: PodPlan; family: 4 | 6 }[] {
  const out: { from: PodPlan; to: PodPlan; family: 4 | 6 }[] = [];
  for (const [i, a] of p.pods.entries())
    for (const b of p.pods.slice(i + 1)) {
      if (a.rack === b.rack) continue;
      out.push({ from: a, to: b, family: 4 });
      if (a.ip6 && b.ip6) out.push({ from: a, to: b, family: 6 });
    }
  return out;
}

export async function observe(p: LabPlan, opts: { pings?: boolean } = {}): Promise<Observations> {
  const families: (4 | 6)[] = p.lab.calico.pool6 ? [4, 6] : [4];
  const linkLocals =
    (families.includes(6) || p.lab.fabric === 'unnumbered') && opts.pings !== false
      ? await linkLocalOwners(p)
      : new Map();
  const [switches, nodes, pings] = await Promise.all([
    Promise.all([...p.lab.spines, ...p.lab.leaves].map((s) => observeSwitch(p, s.name))),
    Promise.all(labNodes(p.lab).flatMap((n) => families.map((f) => observeNode(p, n.name, f)))),
    opts.pings === false
      ? []
      : Promise.all(pingPairs(p).map((x) => ping(p, x.from, x.to, x.family, linkLocals))),
  ]);
  return { at: new Date().toISOString(), switches, nodes, pings };
}
